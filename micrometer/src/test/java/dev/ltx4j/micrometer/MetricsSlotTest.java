package dev.ltx4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.syncer.DatabaseStatus;
import dev.ltx4j.syncer.EngineMetrics;
import dev.ltx4j.syncer.MetricsSource;
import dev.ltx4j.syncer.Database;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Counters stay monotonic when the engine's own counter restarts (the page cache's after a refresh or reload). */
class MetricsSlotTest {
    static class Source implements MetricsSource {
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

    /** A handle on an engine: the VFS gives a new one for each {@code database(path)} call, all on one engine. */
    static final class Handle extends Source {
        final Source engine;

        Handle(Source engine) {
            this.engine = engine;
        }

        @Override
        public EngineMetrics metrics() {
            return engine.metrics();
        }

        @Override
        public Object engineIdentity() {
            return engine;
        }
    }

    @Test
    void twoHandlesOfOneOpenEngineShareItsCounters() {
        MeterRegistry registry = new SimpleMeterRegistry();
        Source engine = new Source();
        engine.hits = 1000;
        LtxMetrics.bind(new Handle(engine), "app.db", registry);
        var hits = registry.get("ltx4j.cache.hits").functionCounter();
        assertThat(hits.count()).isEqualTo(1000);
        LtxMetrics.bind(new Handle(engine), "app.db", registry); // the same engine, another handle
        assertThat(hits.count()).isEqualTo(1000); // before: 2000
        engine.hits = 1010;
        assertThat(hits.count()).isEqualTo(1010);

        Source reopened = new Source(); // another engine counts from 0: what the first counted is carried
        reopened.hits = 5;
        LtxMetrics.bind(reopened, "app.db", registry);
        assertThat(hits.count()).isEqualTo(1015);
    }

    @Test
    void aDeniedMeterDoesNotKeepTheOthersOnTheFirstSource() {
        MeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("ltx4j.sync.duration"));
        Source first = new Source();
        first.hits = 3;
        LtxMetrics.bind(first, "app.db", registry);
        var hits = registry.get("ltx4j.cache.hits").functionCounter();
        assertThat(hits.count()).isEqualTo(3);
        Source second = new Source();
        LtxMetrics.bind(second, "app.db", registry);
        second.hits = 4;
        first.hits = 100; // before: the meters kept reading the first source
        assertThat(hits.count()).isEqualTo(7);
        assertThat(registry.find("ltx4j.sync.duration").meter()).isNull();
    }

    /** Code compiled against the former {@code Database} signatures still links. */
    @Test
    void theDatabaseSignaturesRemain() throws Exception {
        assertThat(LtxMetrics.class.getMethod("bind", Database.class, String.class, MeterRegistry.class)).isNotNull();
        assertThat(LtxMetrics.class.getConstructor(Database.class, String.class)).isNotNull();
    }
}
