package dev.ltx4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Binding many databases in one registry scans the registry's meters once per rebind, not once per meter per bind:
 * a find per meter made the k-th bind cost ~86*86*k checks under the binder's lock (300 databases took minutes).
 */
class ManyDatabasesBindTest {
    /** Counts the scans of the registry's meters (Micrometer's search reads them through {@link #getMeters()}). */
    static final class CountingRegistry extends SimpleMeterRegistry {
        int scans;

        @Override
        public List<Meter> getMeters() {
            scans++;
            return super.getMeters();
        }
    }

    @Test
    void firstBindsScanNothingAndARebindScansOnce() {
        CountingRegistry registry = new CountingRegistry();
        for (int i = 0; i < 1000; i++) {
            LtxMetrics.bind(new MetricsSlotTest.Source(), "db" + i, registry);
        }
        assertThat(registry.scans).isZero(); // before: one per meter per bind (86000)
        int meters = registry.getMeters().size();
        assertThat(registry.find("ltx4j.cache.hits").meters()).hasSize(1000);

        registry.scans = 0;
        LtxMetrics.bind(new MetricsSlotTest.Source(), "db500", registry); // a reopen
        assertThat(registry.scans).isEqualTo(1);
        assertThat(registry.getMeters()).hasSize(meters); // nothing registered twice, nothing lost

        registry.remove(registry.get("ltx4j.cache.hits").tag("database", "db7").functionCounter());
        LtxMetrics.bind(new MetricsSlotTest.Source(), "db7", registry); // a removed meter comes back on a rebind
        assertThat(registry.find("ltx4j.cache.hits").tag("database", "db7").meters()).hasSize(1);
        assertThat(registry.getMeters()).hasSize(meters);
    }
}
