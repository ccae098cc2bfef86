package dev.ltx4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.file.FileReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineClientStack;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.SyncOutcome;
import dev.ltx4j.syncer.WriteSession;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The binder's meters follow {@link Database#metrics()} through a commit, a sync and a conflict. */
class LtxMetricsTest {
    static final int PS = 4096;
    final Clock clock = Clock.fixed(Instant.parse("2026-12-05T00:00:00Z"), ZoneOffset.UTC);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    @TempDir
    Path tmp;

    Database writer(ReplicaClient client, String dir, long seed) throws Exception {
        return Database.open(client, "app.db", EngineOptions.builder()
                .writeEnabled(true)
                .durability(Durability.LOCAL)
                .bufferStorage(new MemoryLogStorage(), "db.buffer")
                .conflictDirectory(tmp.resolve(dir))
                .clock(EngineClock.of(clock, System::nanoTime, d -> { }))
                .seed(seed)
                .closeTimeout(Duration.ofSeconds(5))
                .build());
    }

    static void commit(Database db, int fill) throws Exception {
        byte[] p = new byte[PS];
        Arrays.fill(p, (byte) fill);
        System.arraycopy("SQLite format 3\0".getBytes(StandardCharsets.US_ASCII), 0, p, 0, 16);
        p[16] = (byte) (PS >>> 8);
        p[17] = (byte) PS;
        try (WriteSession s = db.beginWrite()) {
            s.write(0, p, 0, PS);
            s.commit();
        }
    }

    static double value(MeterRegistry r, String name) {
        var m = r.get(name).tag("database", "app.db").meter();
        return m.measure().iterator().next().getValue();
    }

    @Test
    void metersFollowCommitsAndSyncs() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = writer(replica, "c1", 1)) {
            LtxMetrics.bind(db, "app.db", registry);
            commit(db, 1);
            assertThat(value(registry, "ltx4j.pending.commits")).isEqualTo(1);
            assertThat(value(registry, "ltx4j.pending.bytes")).isEqualTo(PS);
            // The header, the page as its compressed record (format 2: a few hundred bytes here) and the commit.
            assertThat(value(registry, "ltx4j.buffer.bytes")).isGreaterThan(96 + 40);
            assertThat(value(registry, "ltx4j.sync.bytes")).isZero();

            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            FunctionTimer t = registry.get("ltx4j.sync.duration").tag("database", "app.db").functionTimer();
            assertThat(t.count()).isEqualTo(1);
            assertThat(t.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(0);
            long size = replica.listFiles(0, 0, false).get(0).size();
            assertThat(value(registry, "ltx4j.sync.bytes")).isEqualTo(size).isGreaterThan(0);
            assertThat(value(registry, "ltx4j.sync.pages")).isEqualTo(1);
            assertThat(value(registry, "ltx4j.pending.commits")).isZero();
            assertThat(value(registry, "ltx4j.pending.bytes")).isZero();
            assertThat(value(registry, "ltx4j.replica.lag")).isZero();
            assertThat(value(registry, "ltx4j.sync.failures")).isZero();
            assertThat(value(registry, "ltx4j.conflicts")).isZero();
            assertThat(registry.find("ltx4j.cache.hits").functionCounter()).isNotNull();
            assertThat(registry.find("ltx4j.cache.misses").functionCounter()).isNotNull();
        }
    }

    @Test
    void aConflictIsCounted() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (Database first = writer(replica, "c1", 1)) {
            commit(first, 1);
            first.syncOnce(clock.instant());
            try (Database second = writer(replica, "c2", 2)) {
                LtxMetrics.bind(second, "app.db", registry);
                commit(first, 2);
                assertThat(first.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
                commit(second, 3);
                assertThat(second.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.CONFLICT);
                assertThat(value(registry, "ltx4j.conflicts")).isEqualTo(1);
                assertThat(value(registry, "ltx4j.pending.commits")).isEqualTo(1);
            }
        }
    }

    @Test
    void replicaRequestsAreCountedPerKindAndOutcomeAgainstARealFileReplica() throws Exception {
        MeterRegistry registry = new SimpleMeterRegistry();
        FileReplicaClient file = new FileReplicaClient(tmp.resolve("replica"), clock);
        CountingReplicaClient truth = new CountingReplicaClient(file);
        // The stack every host builds (the VFS, the CLI, the simulator): retries over counting over the backend.
        try (Database db = writer(EngineClientStack.build(truth, 1), "c3", 3)) {
            LtxMetrics.bind(db, "app.db", registry);
            commit(db, 1);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commit(db, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);

            CountingReplicaClient.Counts real = truth.snapshot();
            assertThat(requests(registry, "create", "ok")).isEqualTo(2).isEqualTo(real.creates());
            assertThat(requests(registry, "list", "ok")).isPositive().isEqualTo(real.lists());
            double all = registry.get("ltx4j.replica.requests").tag("database", "app.db").functionCounters().stream()
                    .mapToDouble(c -> c.count()).sum();
            assertThat(all).isEqualTo(real.requests());
            assertThat(requests(registry, "create", "already_exists")).isZero(); // registered before it happens
            assertThat(registry.get("ltx4j.replica.requests").functionCounters())
                    .hasSize(CountingReplicaClient.KINDS.size() * CountingReplicaClient.OUTCOMES.size());
            assertThat(value(registry, "ltx4j.retries")).isZero();
        }
    }

    static double requests(MeterRegistry r, String kind, String outcome) {
        return r.get("ltx4j.replica.requests").tag("database", "app.db").tag("kind", kind).tag("outcome", outcome)
                .functionCounter().count();
    }
}
