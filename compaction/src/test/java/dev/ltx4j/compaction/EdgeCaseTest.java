package dev.ltx4j.compaction;

import static dev.ltx4j.compaction.Clients.T0;
import static dev.ltx4j.compaction.Clients.level;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionResult.Outcome;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdgeCaseTest {
    @TempDir
    Path dir;

    static Model write(ReplicaClient client, long seed, int count) throws IOException {
        Model m = new Model(seed, false);
        for (int i = 0; i < count; i++) {
            m.commit(client, T0.plusSeconds(m.txid() + 1));
        }
        return m;
    }

    /** Creates that land but whose response is lost, or that do not land at all. */
    static final class LostResponse extends ForwardingReplicaClient {
        boolean land;

        LostResponse(ReplicaClient delegate, boolean land) {
            super(delegate);
            this.land = land;
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            if (level > 0) {
                if (land) {
                    delegate.createFile(level, min, max, body);
                }
                throw new ReplicaOutcomeUnknownException("response lost");
            }
            return delegate.createFile(level, min, max, body);
        }
    }

    @Test
    void anAmbiguousCreateIsResolvedByReadingBack() throws IOException {
        InMemoryReplicaClient memory = new InMemoryReplicaClient();
        Model m = write(memory, 3, 8);
        Compactor landed = new Compactor(new LostResponse(memory, true), CompactionSettings.defaults(),
                CompactionFaults.NONE);
        CompactionResult r = landed.compactLevel(1, T0);
        assertThat(r.outcome()).isEqualTo(Outcome.CREATED);
        assertThat(r.output().size()).isPositive();
        assertThat(level(memory, 1)).hasSize(1);

        InMemoryReplicaClient other = new InMemoryReplicaClient();
        write(other, 3, 8);
        Compactor lost = new Compactor(new LostResponse(other, false), CompactionSettings.defaults(),
                CompactionFaults.NONE);
        assertThatThrownBy(() -> lost.compactLevel(1, T0)).isInstanceOf(ReplicaOutcomeUnknownException.class);
        assertThat(lost.status().level(1).lastError()).contains("response lost");
        assertThat(level(other, 1)).isEmpty();
        assertThat(RestorabilityCheck.contentProblems(memory, List.of(8L), m::databaseAt, dir)).isEmpty();
    }

    @Test
    void inputsAndOutputsBeyondTheMemoryBudgetGoThroughTemporaryFiles() throws IOException {
        InMemoryReplicaClient client = new InMemoryReplicaClient();
        Model m = write(client, 5, 30);
        Path spool = Files.createDirectories(dir.resolve("spool"));
        Compactor c = new Compactor(client, CompactionSettings.defaults(), CompactionFaults.NONE);
        c.setSpoolDirectory(spool);
        c.spoolMemoryBudget = 600; // a file or two
        assertThat(c.compactLevel(1, T0).output().range()).isEqualTo(new dev.ltx4j.ltx.TxidRange(1, 30));
        assertThat(c.snapshot(T0).created()).isTrue();
        try (Stream<Path> left = Files.list(spool)) {
            assertThat(left).isEmpty(); // temporary files are removed
        }
        assertThat(RestorabilityCheck.restore(client, 30, dir)).isEqualTo(m.databaseAt(30));
        ReplicaClient onlySnapshot = new InMemoryReplicaClient();
        onlySnapshot.createFile(9, 1, 30, LtxBody.of(client.readRange(9, 1, 30, 0, 0)));
        assertThat(RestorabilityCheck.restore(onlySnapshot, 30, dir)).isEqualTo(m.databaseAt(30));
    }

    @Test
    void aCappedChainIsContinuedByTheNextStep() throws IOException {
        InMemoryReplicaClient client = new InMemoryReplicaClient();
        Model m = write(client, 7, Compactor.MAX_INPUTS + 10);
        CompactionSettings onlyL1 = CompactionSettings.defaults().withLevelIntervals(List.of(Duration.ofHours(1)))
                .withSnapshotInterval(Duration.ZERO).withRetention(Duration.ZERO);
        Compactor c = new Compactor(client, onlyL1, CompactionFaults.NONE);
        c.step(T0);
        assertThat(level(client, 1)).extracting(LtxFileInfo::maxTxid).containsExactly((long) Compactor.MAX_INPUTS);
        // Due again at once, although the hour has not passed.
        c.step(T0.plusSeconds(1));
        assertThat(level(client, 1)).extracting(LtxFileInfo::maxTxid)
                .containsExactly((long) Compactor.MAX_INPUTS, (long) Compactor.MAX_INPUTS + 10);
        c.step(T0.plusSeconds(2));
        assertThat(level(client, 1)).hasSize(2);
        assertThat(RestorabilityCheck.contentProblems(client, List.of(5L, 1024L, 1034L), m::databaseAt, dir)).isEmpty();
    }

    @Test
    void aStorageFailureInADeleteBatchLeavesAValidReplica() throws IOException {
        InMemoryReplicaClient memory = new InMemoryReplicaClient();
        Model m = new Model(11, false);
        CompactionSettings s = CompactorTest.SCALED;
        Compactor writer = new Compactor(memory, s.withRetention(Duration.ZERO), CompactionFaults.NONE);
        for (int i = 1; i <= 300; i++) {
            m.commit(memory, CompactorTest.syncTime(i));
            writer.step(CompactorTest.syncTime(i));
        }
        int[] calls = {0};
        ReplicaClient flaky = new ForwardingReplicaClient(memory) {
            @Override
            public void deleteFiles(Collection<LtxFileInfo> files) throws ReplicaException {
                if (++calls[0] == 2) {
                    delegate.deleteFiles(List.copyOf(files).subList(0, 1)); // part of the batch went
                    throw new ReplicaTransientException("throttled");
                }
                delegate.deleteFiles(files);
            }
        };
        Compactor c = new Compactor(flaky, s, CompactionFaults.NONE);
        c.setDeleteBatchSize(4);
        java.time.Instant now = CompactorTest.syncTime(300);
        assertThatThrownBy(() -> c.retain(now, true)).isInstanceOf(ReplicaTransientException.class);
        assertThat(c.status().retention().lastError()).contains("throttled");
        assertThat(c.status().retention().lastRunFilesDeleted()).isEqualTo(4);
        List<Long> points = CompactorTest.promised(m, now, s.retention());
        assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(memory), points)).isEmpty();
        assertThat(c.retain(now, true).filesDeleted()).isPositive();
        assertThat(c.status().retention().lastError()).isNull();
        assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(memory), points)).isEmpty();
        // A dry run deletes nothing and reports the plan.
        RetentionResult dry = c.retain(now.plus(Duration.ofHours(1)), false);
        assertThat(dry.applied()).isFalse();
        assertThat(dry.deleted()).isEmpty();
        assertThat(dry.deletable()).isNotEmpty();
        assertThat(RetentionPlan.listAll(memory).values().stream().mapToInt(List::size).sum())
                .isEqualTo(dry.plan().keep().size() + dry.plan().delete().size());
    }

    @Test
    void anIdleDatabaseCostsNoFullListingOfTheLowerLevel() throws IOException {
        InMemoryReplicaClient memory = new InMemoryReplicaClient();
        write(memory, 13, 50);
        List<String> listings = new java.util.ArrayList<>();
        ReplicaClient counting = new ForwardingReplicaClient(memory) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                listings.add(level + "@" + seek);
                return delegate.listFiles(level, seek, meta);
            }
        };
        Compactor c = new Compactor(counting, CompactionSettings.defaults(), CompactionFaults.NONE);
        c.compactLevel(1, T0);
        listings.clear();
        assertThat(c.compactLevel(1, T0.plusSeconds(30)).outcome()).isEqualTo(Outcome.NOTHING_TO_DO);
        assertThat(listings).containsExactly("1@0", "0@51");
    }

    @Test
    void aKeptFileVanishingWhileRetentionPlansStopsItsDeletes() throws IOException {
        InMemoryReplicaClient memory = new InMemoryReplicaClient();
        Model m = new Model(17, false);
        CompactionSettings s = CompactorTest.SCALED;
        Compactor writer = new Compactor(memory, s.withRetention(Duration.ZERO), CompactionFaults.NONE);
        for (int i = 1; i <= 300; i++) {
            m.commit(memory, CompactorTest.syncTime(i));
            writer.step(CompactorTest.syncTime(i));
        }
        java.time.Instant now = CompactorTest.syncTime(300);
        // Another process deletes the newest snapshot between this run's listing and its deletes.
        int[] fullListingsOfL9 = {0};
        ReplicaClient racing = new ForwardingReplicaClient(memory) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                List<LtxFileInfo> files = delegate.listFiles(level, seek, meta);
                if (level == 9 && seek == 0 && ++fullListingsOfL9 [0] == 1) {
                    delegate.deleteFiles(List.of(files.get(files.size() - 1)));
                }
                return files;
            }
        };
        Compactor c = new Compactor(racing, s, CompactionFaults.NONE);
        int before = RetentionPlan.listAll(memory).values().stream().mapToInt(List::size).sum();
        assertThatThrownBy(() -> c.retain(now, true)).isInstanceOf(CompactionException.class)
                .hasMessageContaining("vanished").hasMessageContaining("L9/");
        assertThat(RetentionPlan.listAll(memory).values().stream().mapToInt(List::size).sum()).isEqualTo(before - 1);
        // The next run plans from what is there and goes on.
        assertThat(c.retain(now, true).filesDeleted()).isPositive();
        assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(memory),
                CompactorTest.promised(m, now, s.retention()))).isEmpty();
    }

    @Test
    void aRivalDeletingDuringABatchHookIsNoticedBeforeTheDeletes() throws IOException {
        // The simulator's race hook runs a rival inside beforeDelete; the rival removes a file this run keeps.
        InMemoryReplicaClient memory = new InMemoryReplicaClient();
        Model m = new Model(23, false);
        CompactionSettings s = CompactorTest.SCALED;
        Compactor writer = new Compactor(memory, s.withRetention(Duration.ZERO), CompactionFaults.NONE);
        for (int i = 1; i <= 300; i++) {
            m.commit(memory, CompactorTest.syncTime(i));
            writer.step(CompactorTest.syncTime(i));
        }
        java.time.Instant now = CompactorTest.syncTime(300);
        int[] hooks = {0};
        Compactor c = new Compactor(memory, s, new CompactionFaults() {
            @Override
            public void beforeDelete(List<LtxFileInfo> batch) throws Exception {
                if (hooks[0]++ == 1) {
                    List<LtxFileInfo> l0 = memory.listFiles(0, 0, false);
                    memory.deleteFiles(List.of(l0.get(l0.size() - 1))); // the newest L0: always kept
                }
            }
        });
        c.setDeleteBatchSize(3);
        assertThatThrownBy(() -> c.retain(now, true)).isInstanceOf(CompactionException.class)
                .hasMessageContaining("stopped deleting").hasMessageContaining("L0/");
        assertThat(c.status().retention().lastRunFilesDeleted()).isEqualTo(3);
    }

    @Test
    void filesAnotherProcessCompactedAreProtectedFromWhenThisOneFirstSawThem() throws IOException {
        // An old replica: L0 1..50, three days old. Retention runs in a long-lived process; another process then
        // compacts (its files carry the old timestamps); the L0 files they cover stay for the grace period.
        InMemoryReplicaClient memory = new InMemoryReplicaClient();
        Model m = new Model(19, false);
        for (int i = 1; i <= 50; i++) {
            m.commit(memory, CompactorTest.syncTime(i));
        }
        CompactionSettings s = CompactorTest.SCALED;
        java.time.Instant now = CompactorTest.syncTime(50).plus(Duration.ofDays(3));
        Compactor retention = new Compactor(memory, s, CompactionFaults.NONE);
        assertThat(retention.retain(now, true).filesDeleted()).isZero(); // L0 is the only path
        Compactor other = new Compactor(memory, s, CompactionFaults.NONE);
        other.compactLevel(1, now.plusSeconds(10));
        other.snapshot(now.plusSeconds(10));
        assertThat(retention.retain(now.plusSeconds(60), true).filesDeleted()).isZero();
        assertThat(retention.retain(now.plusSeconds(60).plus(s.retentionGrace()).minusSeconds(1), true)
                .filesDeleted()).isZero();
        assertThat(retention.retain(now.plusSeconds(60).plus(s.retentionGrace()), true).filesDeleted()).isEqualTo(49);
        assertThat(RestorabilityCheck.contentProblems(memory, List.of(50L), m::databaseAt, dir)).isEmpty();
    }

    @Test
    void theCheckerReportsWhatTheRestorePlannerCannotReach() {
        Map<Integer, List<LtxFileInfo>> files = new HashMap<>();
        files.put(0, List.of(f(0, 1, 1), f(0, 2, 2), f(0, 4, 4)));
        files.put(1, List.of(f(1, 1, 5)));
        assertThat(RestorabilityCheck.problems(files, List.of(1L, 2L, 5L))).isEmpty();
        List<String> problems = RestorabilityCheck.problems(files, List.of(3L, 4L));
        assertThat(problems).hasSize(2);
        assertThat(problems.get(0)).startsWith("TXID 0000000000000003: no plan");
        assertThat(problems.get(1)).startsWith("TXID 0000000000000004: no plan");
        files.put(0, List.of(f(0, 2, 2)));
        files.put(1, List.of());
        assertThat(RestorabilityCheck.problems(files, List.of(2L))).singleElement().asString().contains("no plan");
        assertThatThrownBy(() -> RestorabilityCheck.verify(files, List.of(2L)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("1 restore point(s) not restorable");
    }

    static LtxFileInfo f(int level, long min, long max) {
        return new LtxFileInfo(level, min, max, 100, T0.plusSeconds(max));
    }
}
