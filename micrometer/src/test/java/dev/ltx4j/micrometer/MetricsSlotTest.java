package dev.ltx4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.syncer.DatabaseStatus;
import dev.ltx4j.syncer.EngineMetrics;
import dev.ltx4j.syncer.MetricsSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Counters stay monotonic when the engine's own counter restarts (the page cache's after a refresh or reload). */
class MetricsSlotTest {
    static final class Source implements MetricsSource {
        long hits;

        @Override
        public String name() {
            return "app.db";
        }

        @Override
        public EngineMetrics metrics() {
            return new EngineMetrics(0, 0, 0, 0, 0, 0, 0, 0, -1, 0, hits, 0, Map.of(), 0, Map.of()); // lag unknown
        }

        @Override
        public DatabaseStatus status() {
            return new DatabaseStatus("read", 1, 0, -1, -1, null, null, 4096, 1, null);
        }
    }

    @Test
    void aRestartedEngineCounterIsCarried() {
        MeterRegistry registry = new SimpleMeterRegistry();
        Source s = new Source();
        LtxMetrics.bind(s, "app.db", registry);
        var hits = registry.get("ltx4j.cache.hits").functionCounter();
        s.hits = 5;
        assertThat(hits.count()).isEqualTo(5);
        s.hits = 2; // a new page cache counts from 0
        assertThat(hits.count()).isEqualTo(7);
        s.hits = 3;
        assertThat(hits.count()).isEqualTo(8);
        assertThat(registry.get("ltx4j.replica.lag").timeGauge().value()).isNaN(); // -1: unknown
    }
}
