package dev.ltx4j.compaction;

import static dev.ltx4j.compaction.Clients.T0;
import static dev.ltx4j.compaction.Clients.level;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionResult.Outcome;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The Compactor end to end over time: scheduling, retention on a live replica, crashes, status. */
class CompactorTest {
    /** Scaled-down Litestream schedule: one TXID every 10 s. */
    static final CompactionSettings SCALED = CompactionSettings.defaults()
            .withLevelIntervals(List.of(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(20)))
            .withSnapshotInterval(Duration.ofHours(1)).withRetention(Duration.ofMinutes(30))
            .withRetentionGrace(Duration.ofMinutes(5));

    @TempDir
    Path dir;

    static java.time.Instant syncTime(long txid) {
        return T0.plusSeconds(10 * txid);
    }

    /** Every TXID synced at or after now - retention, and the last one synced before it. */
    static List<Long> promised(Model m, Instant now, Duration retention) {
        List<Long> out = new ArrayList<>();
        Instant start = now.minus(retention);
        for (long t = 1; t <= m.txid(); t++) {
            if (!syncTime(t).isBefore(start) || t == m.txid() || !syncTime(t + 1).isBefore(start)
                    && !syncTime(t).isAfter(start)) {
                out.add(t);
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void aLiveReplicaStaysRestorableInsideTheWindowAndBounded(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir)) {
            Model m = new Model(23, kind == Clients.FILE);
            Compactor c = new Compactor(client, SCALED, CompactionFaults.NONE);
            long lastRetention = 0;
            for (int i = 1; i <= 1080; i++) {
                Instant now = syncTime(i);
                m.commit(client, now);
                CompactionStatus s = c.step(now);
                assertThat(s.levels()).allSatisfy(l -> assertThat(l.lastError()).isNull());
                assertThat(s.retention().lastError()).isNull();
                if (s.retention().filesDeleted() != lastRetention) {
                    lastRetention = s.retention().filesDeleted();
                    List<Long> points = promised(m, now, SCALED.retention());
                    assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(client), points))
                            .as("after retention at TXID %d", i).isEmpty();
                }
            }
            Instant end = syncTime(1080);
            CompactionStatus s = c.status();
            assertThat(s.level(1).filesCreated()).isGreaterThan(100);
            assertThat(s.level(3).filesCreated()).isGreaterThan(5);
            assertThat(s.level(9).filesCreated()).isEqualTo(3);
            assertThat(s.retention().filesDeleted()).isGreaterThan(700);
            assertThat(s.retention().bytesDeleted()).isPositive();
            // Bounded: the window (180 TXIDs), grace and one retention interval of L0, far from 1080.
            assertThat(level(client, 0).size()).isLessThan(400);
            assertThat(s.filesPerLevel().get(0)).isPositive();
            List<Long> points = promised(m, end, SCALED.retention());
            assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(client), points)).isEmpty();
            List<Long> sample = new ArrayList<>();
            for (int k = 0; k < points.size(); k += 9) {
                sample.add(points.get(k));
            }
            sample.add(points.get(points.size() - 1));
            assertThat(RestorabilityCheck.contentProblems(client, sample, m::databaseAt, dir)).isEmpty();
            // Point-in-time restores by timestamp inside the window (what time travel asks) still work.
            for (long t = 1080 - 170; t <= 1080; t += 17) {
                Instant before = syncTime(t).plusSeconds(5); // strictly after TXID t's files, before t + 1's
                assertThat(restoreBefore(client, before)).as("before %s", before).isEqualTo(m.databaseAt(t));
            }
        }
    }

    private byte[] restoreBefore(ReplicaClient client, Instant before) throws IOException {
        List<LtxFileInfo> plan;
        try {
            plan = new dev.ltx4j.replica.RestorePlanner(client).plan(dev.ltx4j.replica.RestoreTarget.before(before));
        } catch (dev.ltx4j.replica.RestorePlanException e) {
            throw new IOException(e);
        }
        List<dev.ltx4j.ltx.LtxSource> chain = new ArrayList<>();
        for (LtxFileInfo f : plan) {
            chain.add(dev.ltx4j.ltx.LtxSource.of(f.toString(),
                    () -> client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)));
        }
        Path db = dir.resolve("before.db");
        dev.ltx4j.ltx.LtxRestorer.restore(chain, db);
        return java.nio.file.Files.readAllBytes(db);
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void snapshotRestoresTheLatestState(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir)) {
            Model m = new Model(29, false);
            for (int i = 1; i <= 40; i++) {
                m.commit(client, syncTime(i));
            }
            Compactor c = new Compactor(client, SCALED, CompactionFaults.NONE);
            c.compactLevel(1, syncTime(40));
            for (int i = 41; i <= 45; i++) {
                m.commit(client, syncTime(i));
            }
            CompactionResult r = c.snapshot(syncTime(45));
            assertThat(r.outcome()).isEqualTo(Outcome.CREATED);
            assertThat(r.output().level()).isEqualTo(9);
            assertThat(r.output().range()).isEqualTo(new dev.ltx4j.ltx.TxidRange(1, 45));
            assertThat(r.inputs()).extracting(LtxFileInfo::level).startsWith(1);
            assertThat(r.output().createdAt()).isEqualTo(syncTime(45));
            // The snapshot alone restores the latest state.
            try (ReplicaClient only = kind.open(dir.resolve("only"))) {
                only.createFile(9, 1, 45, LtxBody.of(client.readRange(9, 1, 45, 0, 0)));
                assertThat(RestorabilityCheck.restore(only, 45, dir)).isEqualTo(m.databaseAt(45));
            }
            assertThat(c.snapshot(syncTime(46)).outcome()).isEqualTo(Outcome.NOTHING_TO_DO);
            assertThat(new Compactor(kind.open(dir.resolve("empty")), SCALED, CompactionFaults.NONE)
                    .snapshot(T0).outcome()).isEqualTo(Outcome.NOTHING_TO_DO);
        }
    }

    @Test
    void stepRunsWhatIsDueAndRecordsIt() throws IOException {
        ReplicaClient client = new dev.ltx4j.conformance.InMemoryReplicaClient();
        Model m = new Model(31, false);
        for (int i = 1; i <= 10; i++) {
            m.commit(client, syncTime(i));
        }
        Compactor c = new Compactor(client, SCALED, CompactionFaults.NONE);
        Instant t = syncTime(10);
        CompactionStatus s = c.step(t);
        // First step: every level at once (L1 1-10, then L2 and L3 from it), the snapshot, retention.
        assertThat(s.level(1).filesCreated()).isEqualTo(1);
        assertThat(s.level(2).filesCreated()).isEqualTo(1);
        assertThat(s.level(3).filesCreated()).isEqualTo(1);
        assertThat(s.level(9).filesCreated()).isEqualTo(1);
        assertThat(s.retention().lastRun()).isEqualTo(t);
        assertThat(s.level(1).lastFile().toString()).isEqualTo("L1/0000000000000001-000000000000000a.ltx");
        m.commit(client, syncTime(11));
        // 30 s later nothing is due.
        s = c.step(t.plusSeconds(30));
        assertThat(s.level(1).lastRun()).isEqualTo(t);
        // A minute later level 1 runs, the others wait.
        s = c.step(t.plusSeconds(60));
        assertThat(s.level(1).lastRun()).isEqualTo(t.plusSeconds(60));
        assertThat(s.level(1).filesCreated()).isEqualTo(2);
        assertThat(s.level(2).lastRun()).isEqualTo(t);
        assertThat(s.level(9).lastRun()).isEqualTo(t);
        assertThat(s.retention().lastRun()).isEqualTo(t);
        // Status JSON for litestream_status().
        String json = s.toJson();
        assertThat(json).startsWith("{\"enabled\":true,\"levels\":[{\"level\":1,\"interval_ms\":60000,"
                + "\"files_created\":2,\"already_compacted\":0,\"last_run\":\"2026-01-01T00:02:40Z\","
                + "\"last_file\":\"L1/000000000000000b-000000000000000b.ltx\",\"last_error\":null}");
        assertThat(json).contains("{\"level\":9,\"interval_ms\":3600000,\"files_created\":1")
                .contains("\"retention\":{\"window_ms\":1800000,\"grace_ms\":300000,\"last_run\":\"2026-01-01T00:01:40Z\"")
                .endsWith("\"files_per_level\":[10,2,1,1,0,0,0,0,0,1]}");
        // Disabled: a step does nothing.
        Compactor off = new Compactor(client, SCALED.withEnabled(false), CompactionFaults.NONE);
        assertThat(off.step(t).level(1).lastRun()).isNull();
        assertThat(off.status().enabled()).isFalse();
    }

    @Test
    void oneFailingPartDoesNotStopTheOthers() throws IOException {
        ReplicaClient memory = new dev.ltx4j.conformance.InMemoryReplicaClient();
        Model m = new Model(37, false);
        for (int i = 1; i <= 10; i++) {
            m.commit(memory, syncTime(i));
        }
        ReplicaClient failingL1 = new ForwardingReplicaClient(memory) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                if (level == 1) {
                    throw new ReplicaTransientException("L1 is down", null);
                }
                return delegate.createFile(level, min, max, body);
            }
        };
        Compactor c = new Compactor(failingL1, SCALED, CompactionFaults.NONE);
        CompactionStatus s = c.step(syncTime(10));
        assertThat(s.level(1).lastError()).contains("L1 is down");
        assertThat(s.level(9).filesCreated()).isEqualTo(1);
        assertThat(s.level(9).lastError()).isNull();
        assertThat(s.retention().lastRun()).isEqualTo(syncTime(10));
        assertThat(s.retention().lastError()).isNull();
        // The failing level is retried at its next interval and recovers when storage does.
        Compactor healthy = new Compactor(memory, SCALED, CompactionFaults.NONE);
        assertThat(healthy.step(syncTime(16)).level(1).filesCreated()).isEqualTo(1);
    }

    @Test
    void aFailedSnapshotIsRetriedAfterAMinuteNotAfterItsInterval() throws IOException {
        ReplicaClient memory = new dev.ltx4j.conformance.InMemoryReplicaClient();
        Model m = new Model(39, false);
        for (int i = 1; i <= 10; i++) {
            m.commit(memory, syncTime(i));
        }
        int[] failures = {1};
        ReplicaClient flaky = new ForwardingReplicaClient(memory) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                if (level == 9 && failures[0]-- > 0) {
                    throw new ReplicaTransientException("503 slow down", null);
                }
                return delegate.createFile(level, min, max, body);
            }
        };
        Compactor c = new Compactor(flaky, SCALED, CompactionFaults.NONE);
        Instant t = syncTime(10);
        assertThat(c.step(t).level(9).lastError()).contains("503 slow down");
        assertThat(c.step(t.plusSeconds(59)).level(9).filesCreated()).isZero();
        CompactionStatus s = c.step(t.plusSeconds(60));
        assertThat(s.level(9).filesCreated()).isEqualTo(1);
        assertThat(s.level(9).lastError()).isNull();
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void aCrashBetweenDeleteBatchesLeavesAValidReplicaAndTheNextRunFinishes(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir)) {
            Model m = new Model(41, false);
            Compactor writer = new Compactor(client, SCALED.withRetention(Duration.ZERO), CompactionFaults.NONE);
            for (int i = 1; i <= 400; i++) {
                m.commit(client, syncTime(i));
                writer.step(syncTime(i));
            }
            Instant now = syncTime(400);
            RetentionPlan expected = RetentionPlan.of(RetentionPlan.listAll(client), now, SCALED.retention(),
                    SCALED.retentionGrace());
            assertThat(expected.delete().size()).isGreaterThan(20);
            RuntimeException crash = new IllegalStateException("crash between batches");
            AtomicInteger batches = new AtomicInteger();
            CompactionFaults faults = new CompactionFaults() {
                @Override
                public void beforeDelete(List<LtxFileInfo> batch) {
                    if (batches.incrementAndGet() == 3) {
                        throw crash;
                    }
                }
            };
            Compactor crashing = new Compactor(client, SCALED, faults);
            crashing.setDeleteBatchSize(5);
            assertThatThrownBy(() -> crashing.retain(now, true)).isSameAs(crash);
            assertThat(crashing.status().retention().lastRunFilesDeleted()).isEqualTo(10);
            assertThat(crashing.status().retention().lastError()).contains("crash between batches");
            List<Long> points = promised(m, now, SCALED.retention());
            assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(client), points)).isEmpty();
            assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(client), expected.restorePoints())).isEmpty();
            // A new process finishes the job.
            Compactor next = new Compactor(client, SCALED, CompactionFaults.NONE);
            RetentionResult r = next.retain(now, true);
            assertThat(r.filesDeleted()).isEqualTo(expected.delete().size() - 10);
            assertThat(next.retain(now, true).filesDeleted()).isZero();
            assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(client), points)).isEmpty();
            assertThat(RestorabilityCheck.contentProblems(client, List.of(points.get(0), 400L), m::databaseAt, dir))
                    .isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void aCrashAroundCreateLeavesAValidReplicaAndTheNextStepGoesOn(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir)) {
            Model m = new Model(43, false);
            for (int i = 1; i <= 30; i++) {
                m.commit(client, syncTime(i));
            }
            Error before = new AssertionError("crash before create");
            Compactor a = new Compactor(client, SCALED, new CompactionFaults() {
                @Override
                public void beforeCreate(LtxFileInfo file) {
                    throw before;
                }
            });
            assertThatThrownBy(() -> a.step(syncTime(30))).isSameAs(before);
            assertThat(level(client, 1)).isEmpty();
            assertThat(a.status().level(1).lastError()).contains("crash before create");
            Exception after = new Exception("crash after create");
            Compactor b = new Compactor(client, SCALED, new CompactionFaults() {
                @Override
                public void afterCreate(LtxFileInfo file) throws Exception {
                    throw after;
                }
            });
            assertThatThrownBy(() -> b.compactLevel(1, syncTime(30))).isSameAs(after);
            assertThat(level(client, 1)).hasSize(1);
            // Crashed between the create and any delete: the replica restores everywhere; the next process goes on.
            assertThat(RestorabilityCheck.contentProblems(client, RetentionPlanTest.range(1, 30), m::databaseAt, dir))
                    .isEmpty();
            for (int i = 31; i <= 200; i++) {
                m.commit(client, syncTime(i));
            }
            Compactor next = new Compactor(client, SCALED, CompactionFaults.NONE);
            CompactionStatus s = next.step(syncTime(200));
            assertThat(s.level(1).lastFile().range()).isEqualTo(new dev.ltx4j.ltx.TxidRange(31, 200));
            assertThat(s.retention().filesDeleted()).isPositive();
            assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(client),
                    promised(m, syncTime(200), SCALED.retention()))).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void theDeleteTooEarlySwitchIsCaught(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir)) {
            Model m = new Model(47, false);
            Compactor writer = new Compactor(client, SCALED.withRetention(Duration.ZERO), CompactionFaults.NONE);
            for (int i = 1; i <= 400; i++) {
                m.commit(client, syncTime(i));
                writer.step(syncTime(i));
            }
            Compactor bug = new Compactor(client, SCALED, new CompactionFaults() {
                @Override
                public boolean deleteTooEarly() {
                    return true;
                }
            });
            RetentionResult r = bug.retain(syncTime(400), true);
            List<String> problems = RestorabilityCheck.problems(RetentionPlan.listAll(client),
                    r.plan().restorePoints());
            assertThat(problems).isNotEmpty();
            assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(client),
                    promised(m, syncTime(400), SCALED.retention()))).isNotEmpty();
        }
    }

    @Test
    void ownFreshCompactionsAreProtectedByTheGracePeriod() throws IOException {
        // An old replica compacted now: the new files carry their newest input's (old) timestamp, but a reader that
        // listed a minute ago still holds the L0 files; they stay for the grace period.
        ReplicaClient client = new dev.ltx4j.conformance.InMemoryReplicaClient();
        Model m = new Model(53, false);
        for (int i = 1; i <= 50; i++) {
            m.commit(client, syncTime(i));
        }
        Instant now = syncTime(50).plus(Duration.ofDays(3));
        Compactor c = new Compactor(client, SCALED, CompactionFaults.NONE);
        c.compactLevel(1, now);
        c.snapshot(now);
        assertThat(c.retain(now, true).filesDeleted()).isZero();
        assertThat(c.retain(now.plus(Duration.ofMinutes(4)), true).filesDeleted()).isZero();
        RetentionResult later = c.retain(now.plus(Duration.ofMinutes(5)), true);
        assertThat(later.filesDeleted()).isEqualTo(49 + 0);
        assertThat(level(client, 0)).hasSize(1);
        // A separate process (no memory of the creation) sees only the timestamps: documented limit.
        Map<Integer, List<LtxFileInfo>> listing = RetentionPlan.listAll(client);
        assertThat(RestorabilityCheck.problems(listing, List.of(50L))).isEmpty();
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertThatThrownBy(() -> SCALED.withLevelIntervals(List.of(Duration.ZERO)))
                .hasMessageContaining("compaction_intervals").hasMessageContaining("level 1");
        assertThatThrownBy(() -> SCALED.withRetention(Duration.ofSeconds(-1))).hasMessageContaining("retention");
        assertThatThrownBy(() -> SCALED.withRetentionGrace(Duration.ofSeconds(-1)))
                .hasMessageContaining("retention_grace");
        assertThatThrownBy(() -> SCALED.withSnapshotInterval(Duration.ofSeconds(-1)))
                .hasMessageContaining("snapshot_interval");
        assertThat(CompactionSettings.parseLevelIntervals("compaction_intervals", "30s,5m,1h"))
                .containsExactly(Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofHours(1));
        assertThat(CompactionSettings.parseLevelIntervals("x", " none ")).isEmpty();
        assertThatThrownBy(() -> CompactionSettings.parseLevelIntervals("LITESTREAM_COMPACTION_INTERVALS", "30s,0"))
                .hasMessageContaining("LITESTREAM_COMPACTION_INTERVALS");
        assertThat(CompactionSettings.parseDurationOrZero("retention", "0")).isZero();
        assertThatThrownBy(() -> CompactionSettings.parseDurationOrZero("snapshot_interval", "soon"))
                .hasMessageContaining("snapshot_interval").hasMessageContaining("soon");
        assertThatThrownBy(() -> new Compactor(new dev.ltx4j.conformance.InMemoryReplicaClient(), SCALED,
                CompactionFaults.NONE).compactLevel(9, T0)).hasMessageContaining("level 9");
        CompactionSettings d = CompactionSettings.defaults();
        assertThat(d.levelIntervals()).containsExactly(Duration.ofSeconds(30), Duration.ofMinutes(5),
                Duration.ofHours(1));
        assertThat(d.snapshotInterval()).isEqualTo(Duration.ofHours(24));
        assertThat(d.retention()).isEqualTo(Duration.ofHours(24));
        assertThat(d.retentionGrace()).isEqualTo(Duration.ofMinutes(15));
        assertThat(CompactionSettings.off().enabled()).isFalse();
    }

    static ReplicaPermanentException unused() {
        return null;
    }
}
