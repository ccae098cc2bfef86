package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxFileInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A relocation (a reader found a replica file gone) patches the sync base under the state lock; a refresh that
 * publishes a new base at the same time must not lose it to the patched old one (docs/engine-invariants.md I2).
 * The refresh used to write the base outside the state lock: a relocation that read the old base before and wrote
 * it back after put the pre-refresh base back, and the next sync saw the refreshed replica state as a rival's
 * (a false conflict). Deterministic: the preemption points hold each thread at the racing step.
 */
class RelocationRefreshRaceTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    private LtxFileInfo only(int level, long min) throws Exception {
        return replica.listFiles(level, min, false).get(0);
    }

    @Test
    void aRelocationRacingARefreshNeverPutsBackTheOldBase() throws Exception {
        Rival.file(replica, 0, 1, 1, PS, 2, new long[] {1, 2}, 10);
        Rival.file(replica, 0, 2, 2, PS, 2, new long[] {2}, 20);
        CountDownLatch reset = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Thread> refresher = new AtomicReference<>();
        EngineFaults faults = EngineFaults.builder().preemption(at -> {
            try {
                if (at == EngineFaults.Point.REFRESH_RESET) {
                    reset.countDown(); // the refresh reset the buffer and is about to publish the new base
                    go.await(10, TimeUnit.SECONDS);
                } else if (at == EngineFaults.Point.RELOCATION_PATCH && refresher.get() != null) {
                    go.countDown(); // the relocation holds the state lock with the old base read
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (refresher.get().getState() != Thread.State.BLOCKED && System.nanoTime() < until) {
                        Thread.sleep(1); // until the refresh waits for the state lock
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).build();
        try (Database db = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"),
                clock, 7).cacheBytes(0).faults(faults).build())) {
            ReadTransaction pinned = db.beginRead(); // TXID 2, pages in the two L0 files
            // Compaction elsewhere replaces the L0 files by one L1 file; then a rival appends TXID 3.
            Rival.file(replica, 1, 1, 2, PS, 2, new long[] {1, 2}, 10, 20);
            replica.deleteFiles(List.of(only(0, 1), only(0, 2)));
            Rival.append(replica, 3, PS);

            AtomicReference<Throwable> refreshFailed = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    db.refresh();
                } catch (Throwable e) {
                    refreshFailed.set(e);
                }
            });
            refresher.set(t);
            t.start();
            assertThat(reset.await(10, TimeUnit.SECONDS)).isTrue();
            byte[] page = new byte[PS];
            assertThat(pinned.read(PS, page, 0, PS)).isEqualTo(PS); // relocates page 2 to the L1 file
            pinned.close();
            t.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(refreshFailed.get()).isNull();

            assertThat(db.current().txid()).isEqualTo(3);
            assertThat(db.baseVersion().txid()).as("the sync base after the refresh").isEqualTo(3);
            commitPages(db, PS, 2, 5);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        }
    }
}
