package dev.ltx4j.micrometer;

import static dev.ltx4j.micrometer.LtxMetricsTest.commit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.file.FileReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineClientStack;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.SyncOutcome;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The meters across a database's life as an operator's process sees it: closed and opened again under the same
 * name (the VFS closes an engine when its last connection closes), dropped, and scraped as Prometheus text.
 */
class LtxMetricsLifecycleTest {
    @TempDir
    Path tmp;
    final MemoryLogStorage buffer = new MemoryLogStorage();

    Database open(String mode) throws Exception {
        return Database.open(EngineClientStack.build(new FileReplicaClient(tmp.resolve("replica"), Clock.systemUTC()), 1),
                "app.db", EngineOptions.builder().writeEnabled(mode.equals("write")).durability(Durability.LOCAL)
                        .bufferStorage(buffer, "db.buffer").conflictDirectory(tmp.resolve("conflicts"))
                        .closeTimeout(Duration.ofSeconds(5)).build());
    }

    static double value(MeterRegistry r, String name) {
        return r.get(name).tag("database", "app.db").meter().measure().iterator().next().getValue();
    }

    static void sync(Database db) {
        assertThat(db.syncOnce(Instant.now()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
    }

    @Test
    void reboundAfterAReopenTheMetersFollowTheNewDatabaseAndCountersKeepGrowing() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        Database first = open("write");
        LtxMetrics.bind(first, "app.db", registry);
        commit(first, 1);
        sync(first);
        commit(first, 2);
        sync(first);
        double bytesBefore = value(registry, "ltx4j.sync.bytes");
        assertThat(bytesBefore).isPositive();
        first.close();

        try (Database second = open("write")) {
            LtxMetrics.bind(second, "app.db", registry); // Micrometer ignores a second registration of the same id
            commit(second, 3);
            assertThat(value(registry, "ltx4j.pending.commits")).isEqualTo(1); // before: the closed one's 0
            assertThat(value(registry, "ltx4j.txid")).isEqualTo(2); // the replica's; the commit is pending
            sync(second);
            FunctionTimer t = registry.get("ltx4j.sync.duration").tag("database", "app.db").functionTimer();
            assertThat(t.count()).isEqualTo(3); // two syncs of the first open, one of the second
            assertThat(value(registry, "ltx4j.sync.bytes")).isGreaterThan(bytesBefore); // before: frozen
            assertThat(value(registry, "ltx4j.sync.pages")).isEqualTo(3);
            assertThat(value(registry, "ltx4j.pending.commits")).isZero();
            assertThat(value(registry, "ltx4j.conflicted")).isZero();
            assertThat(value(registry, "ltx4j.failing")).isZero();
        }
    }

    @Test
    void bindingTheSameOpenDatabaseAgainDoesNotCountItsHistoryTwice() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = open("write")) {
            LtxMetrics.bind(db, "app.db", registry);
            commit(db, 1);
            sync(db);
            double bytes = value(registry, "ltx4j.sync.bytes");
            assertThat(bytes).isPositive();

            LtxMetrics.bind(db, "app.db", registry); // e.g. a second component binds the same database

            assertThat(value(registry, "ltx4j.sync.bytes")).isEqualTo(bytes); // before: twice as much
            assertThat(value(registry, "ltx4j.sync.pages")).isEqualTo(1);
            commit(db, 2);
            sync(db);
            assertThat(registry.get("ltx4j.sync.duration").tag("database", "app.db").functionTimer().count())
                    .isEqualTo(2);
            assertThat(value(registry, "ltx4j.sync.pages")).isEqualTo(2);
        }
    }

    @Test
    void theMetersDoNotKeepADroppedDatabaseAlive() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        Database db = open("write");
        LtxMetrics.bind(db, "app.db", registry);
        commit(db, 1);
        sync(db);
        assertThat(value(registry, "ltx4j.sync.pages")).isEqualTo(1); // a scrape
        db.close();
        WeakReference<Database> ref = new WeakReference<>(db);
        db = null;
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(ref.get()).as("a closed, dropped database is collected while its meters are registered").isNull();
        assertThat(value(registry, "ltx4j.pending.commits")).isNaN();
        assertThat(value(registry, "ltx4j.sync.pages")).isEqualTo(1); // a counter keeps its last value
    }

    @Test
    void aPrometheusScrapeHasEveryMeterWithConventionalNames() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Database w = open("write")) {
            commit(w, 1);
            sync(w);
            try (Database reader = open("read")) {
                LtxMetrics.bind(reader, "app.db", registry);
                String text = registry.scrape();
                assertThat(text).contains("ltx4j_sync_duration_seconds_count{database=\"app.db\"}",
                        "ltx4j_sync_bytes_total{database=\"app.db\"}", "ltx4j_pending_commits{database=\"app.db\"}",
                        "ltx4j_replica_lag_seconds{database=\"app.db\"}", "ltx4j_conflicted{database=\"app.db\"}",
                        "ltx4j_failing{database=\"app.db\"}", "ltx4j_txid{database=\"app.db\"} 1.0",
                        "ltx4j_replica_requests_total{database=\"app.db\",kind=\"list\",outcome=\"ok\"}");
                // A duration is never negative: "unknown" is NaN, not -1 ms.
                assertThat(text).doesNotContain("} -");
            }
        }
    }
}
