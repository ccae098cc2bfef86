package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.compaction.RetentionPlan;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer compacts, snapshots and applies retention as a step function on the engine clock (issue 10): levels
 * and snapshots appear, old level-0 files go after the grace period, every TXID the replica can still restore
 * equals what was committed at it (every restore point of the retention window included), the writer and a
 * follower opened afterwards read the latest state from few files, and a slow compaction never blocks a commit
 * or a sync.
 */
class WriterCompactionTest {
    static final int PS = 4096;
    static final CompactionSettings SHORT = Kit.SHORT_COMPACTION;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    private Database writer(CompactionSettings settings) throws Exception {
        return Kit.compactingWriter(replica, tmp.resolve("c"), clock, 7, settings);
    }

    private int count(int level) throws ReplicaException {
        return replica.listFiles(level, 0, false).size();
    }

    @Test
    void levelsSnapshotsAndRetentionKeepEveryRestorableTxidEqualToWhatWasCommitted() throws Exception {
        Map<Long, byte[]> committed = new HashMap<>();
        try (Database w = writer(SHORT)) {
            for (int i = 1; i <= 40; i++) {
                commitPages(w, PS, i == 1 ? new int[] {1, 1, 2, 1, 3, 1, 4, 1} : new int[] {1, i, 2 + i % 3, i});
                assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
                committed.put(w.current().txid(), readAll(w));
                clock.advance(Duration.ofMillis(500));
                w.compactOnce(clock.instant());
            }
            for (int i = 0; i < 12; i++) { // idle: the grace period passes, retention deletes what is covered
                clock.advance(Duration.ofSeconds(1));
                w.compactOnce(clock.instant());
            }
            CompactionStatus st = w.status().compaction();
            assertThat(st.enabled()).isTrue();
            assertThat(st.level(1).filesCreated()).isPositive();
            assertThat(st.level(2).filesCreated()).isPositive();
            assertThat(st.level(9).filesCreated()).isPositive();
            assertThat(st.retention().filesDeleted()).isPositive();
            assertThat(st.retention().lastError()).isNull();
            assertThat(count(1)).isPositive();
            assertThat(count(2)).isPositive();
            assertThat(count(9)).isPositive();
            assertThat(count(0)).isLessThan(40);
            assertThat(w.status().toJson()).contains("\"compaction\":{\"enabled\":true")
                    .contains("\"files_per_level\":[");

            // Every TXID still restorable equals what was committed; every restore point of the window is one.
            int restorable = 0;
            for (long t = 1; t <= 40; t++) {
                try {
                    new RestorePlanner(replica).plan(RestoreTarget.txid(t));
                } catch (RestorePlanException e) {
                    continue;
                }
                assertThat(restore(replica, t, tmp)).as("TXID %d", t).isEqualTo(committed.get(t));
                restorable++;
            }
            RetentionPlan plan = RetentionPlan.of(RetentionPlan.listAll(replica), clock.instant(),
                    SHORT.retention(), SHORT.retentionGrace());
            for (long t : plan.restorePoints()) {
                assertThat(restore(replica, t, tmp)).as("restore point %d", t).isEqualTo(committed.get(t));
            }
            assertThat(restorable).isGreaterThanOrEqualTo(plan.restorePoints().size());

            // The writer's own pages pointed at L0 files retention deleted: it still reads its latest state.
            assertThat(readAll(w)).isEqualTo(committed.get(40L));

            // Its conflict check still sees a rival although the files below its listing positions are gone.
            Rival.append(replica, 41, PS);
            commitPages(w, PS, 1, 99);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.CONFLICT);
        }
        CountingReplicaClient counting = new CountingReplicaClient(replica);
        try (Database f = Database.open(counting, "app.db", Kit.reader(clock).build())) {
            assertThat(f.current().txid()).isEqualTo(41); // the rival's file, on top of the compacted levels
            assertThat(readAll(f)).isEqualTo(restore(replica, 0, tmp));
            assertThat(f.status().compaction().enabled()).isFalse(); // a follower never compacts
            assertThat(f.compactOnce(clock.instant()).enabled()).isFalse();
            assertThat(counting.snapshot().lists()).isEqualTo(10);
            assertThat(counting.snapshot().creates() + counting.snapshot().deletes()).isZero();
        }
    }

    @Test
    void compactionOffRunsNothing() throws Exception {
        try (Database w = writer(CompactionSettings.off())) {
            for (int i = 1; i <= 5; i++) {
                commitPages(w, PS, 1, i);
                w.syncOnce(clock.instant());
                clock.advance(Duration.ofSeconds(10));
                w.compactOnce(clock.instant());
            }
            for (int level = 1; level <= 9; level++) {
                assertThat(count(level)).isZero();
            }
            assertThat(w.status().compaction().enabled()).isFalse();
        }
    }

    @Test
    void aSlowCompactionNeverBlocksCommitsOrSyncs() throws Exception {
        CountDownLatch inCreate = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ForwardingClient slow = new ForwardingClient(replica) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                if (level > 0) {
                    inCreate.countDown();
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.createFile(level, min, max, body);
            }
        };
        try (Database w = Database.open(slow, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 7)
                .compaction(SHORT).build())) {
            commitPages(w, PS, 1, 1, 2, 1);
            w.syncOnce(clock.instant());
            AtomicReference<CompactionStatus> done = new AtomicReference<>();
            Thread lane = new Thread(() -> done.set(w.compactOnce(clock.instant())));
            lane.start();
            assertThat(inCreate.await(20, TimeUnit.SECONDS)).isTrue(); // the compaction is stuck in its upload
            for (int i = 2; i <= 4; i++) {
                commitPages(w, PS, 1, i);
                assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            }
            assertThat(lane.isAlive()).isTrue();
            release.countDown();
            lane.join(20_000);
            assertThat(done.get().level(1).filesCreated()).isEqualTo(1);
            assertThat(w.current().txid()).isEqualTo(4);
        }
    }
}
