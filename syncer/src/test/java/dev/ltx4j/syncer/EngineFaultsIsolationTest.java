package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault points belong to one engine: two databases in one JVM, one with the simulator's bug switches on, one
 * without, interleaved step by step, each behave as their own options say (the old static hooks made them share).
 */
class EngineFaultsIsolationTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);

    @Test
    void twoEnginesWithDifferentFaultsDoNotInterfere() throws Exception {
        List<EngineFaults.Point> faultyPoints = new ArrayList<>();
        EngineFaults faults = EngineFaults.builder().cutSyncMidTransaction(true).preemption(faultyPoints::add).build();
        InMemoryReplicaClient faultyReplica = new InMemoryReplicaClient();
        InMemoryReplicaClient cleanReplica = new InMemoryReplicaClient();
        try (Database faulty = Database.open(faultyReplica, "app.db", Kit.writer(new MemoryLogStorage(),
                tmp.resolve("c1"), clock, 7).faults(faults).build());
             Database clean = Database.open(cleanReplica, "app.db", Kit.writer(new MemoryLogStorage(),
                tmp.resolve("c2"), clock, 8).build())) {
            for (Database db : List.of(faulty, clean)) {
                commitPages(db, PS, 1, 1, 2, 2);
            }
            for (Database db : List.of(clean, faulty)) {
                assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            }
            for (Database db : List.of(faulty, clean)) {
                commitPages(db, PS, 2, 20, 3, 30);
            }
            for (Database db : List.of(faulty, clean)) {
                assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            }

            assertThat(faulty.faults()).isSameAs(faults);
            assertThat(clean.faults()).isSameAs(EngineFaults.NONE);
            // Only the faulty engine's syncs reached its preemption point.
            assertThat(faultyPoints).containsExactly(EngineFaults.Point.SYNC_SNAPSHOT, EngineFaults.Point.SYNC_SNAPSHOT);
            // The clean engine's upload is whole; the faulty one's lost its last page (page 3) as the switch says.
            assertThat(restore(cleanReplica, 0, tmp)).isEqualTo(readAll(clean));
            assertThatThrownBy(() -> restore(faultyReplica, 0, tmp)).hasMessageContaining("grows from 2 to 3 pages");
        }
    }

    @Test
    void anInlineBackgroundExecutorClosesReplacedGenerationsWithNoThread() throws Exception {
        // The simulator's setting: the engine starts no thread; a replaced generation is closed by the step itself.
        InMemoryReplicaClient replica = new InMemoryReplicaClient();
        try (Database db = Database.open(replica, "threadless.db", Kit.writer(new MemoryLogStorage(),
                tmp.resolve("c"), clock, 7).background(Runnable::run).build())) {
            commitPages(db, PS, 1, 1, 2, 2);
            LocalGeneration first = db.currentGeneration();
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(db.currentGeneration()).isNotSameAs(first);
            assertThat(first.isClosed()).isTrue();
            assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().contains("threadless.db"));
            assertThat(db.backgroundFailures()).isZero();
        }
    }
}
