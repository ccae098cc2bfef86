package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.LtxFileInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests a writer makes (issue 15, docs/request-economy-writer.md): a sync in the common case is one listing of
 * level 0 plus the create; the conflict check stays as strong (a rival at level 0 caught before the upload, a rival
 * whose level-0 files were compacted away caught by the full check once the horizon has passed, a replaced replica
 * caught because the own base file is gone); an idle writer, compaction lane included, makes no request at all
 * between the wake-ups that time alone makes due. Counts go through {@link CountingReplicaClient}; the engine's clock
 * (wall and monotonic) is the manual clock.
 */
class WriterRequestEconomyTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();
    final CountingReplicaClient counting = new CountingReplicaClient(replica);

    private Database writer(CompactionSettings settings) throws Exception {
        EngineClock engineClock = EngineClock.of(clock, () -> clock.millis() * 1_000_000L, d -> { });
        return Database.open(counting, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 3)
                .clock(engineClock).compaction(settings).build());
    }

    private SyncOutcome.Status commitAndSync(Database w, int fill) throws Exception {
        commitPages(w, PS, 1, fill, 2, fill);
        return w.syncOnce(clock.instant()).status();
    }

    @Test
    void aSyncIsOneLevelZeroListingPlusTheCreate() throws Exception {
        try (Database w = writer(CompactionSettings.defaults())) {
            CountingReplicaClient.Counts before = counting.snapshot();
            assertThat(commitAndSync(w, 1)).isEqualTo(SyncOutcome.Status.SYNCED);
            CountingReplicaClient.Counts first = counting.snapshot();
            long firstLists = first.lists() - before.lists();
            assertThat(firstLists).as("the first sync of a process lists every level").isEqualTo(10);
            for (int i = 2; i <= 31; i++) {
                clock.advance(Duration.ofSeconds(1));
                CountingReplicaClient.Counts b = counting.snapshot();
                assertThat(commitAndSync(w, i)).isEqualTo(SyncOutcome.Status.SYNCED);
                CountingReplicaClient.Counts a = counting.snapshot();
                assertThat(a.lists() - b.lists()).as("listings of sync %d", i).isEqualTo(1);
                assertThat(a.creates() - b.creates()).as("creates of sync %d", i).isEqualTo(1);
                assertThat(a.requests() - b.requests()).as("requests of sync %d", i).isEqualTo(2);
            }
            System.out.printf("MEASURE writer requests per sync: first %d (%d list), then %.2f%n",
                    first.requests() - before.requests(), firstLists,
                    (counting.snapshot().requests() - first.requests()) / 30.0);
            assertThat(w.sync.check().cheapChecks()).isEqualTo(30);
            assertThat(w.sync.check().fullChecks()).isEqualTo(1);

            // After a pause longer than the horizon the next sync lists every level once, then one listing again.
            clock.advance(SyncCheck.MAX_HORIZON.plusSeconds(1));
            long lists = counting.snapshot().lists();
            assertThat(commitAndSync(w, 40)).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(counting.snapshot().lists() - lists).isEqualTo(10);
            clock.advance(Duration.ofSeconds(1));
            lists = counting.snapshot().lists();
            assertThat(commitAndSync(w, 41)).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(counting.snapshot().lists() - lists).isEqualTo(1);
        }
    }

    @Test
    void aRivalAtLevelZeroIsCaughtBeforeTheUpload() throws Exception {
        try (Database w = writer(CompactionSettings.defaults())) {
            for (int i = 1; i <= 3; i++) {
                clock.advance(Duration.ofSeconds(1));
                assertThat(commitAndSync(w, i)).isEqualTo(SyncOutcome.Status.SYNCED);
            }
            Rival.append(replica, w.current().txid() + 1, PS);
            clock.advance(Duration.ofSeconds(1));
            long creates = counting.snapshot().creates();
            assertThat(commitAndSync(w, 9)).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(counting.snapshot().creates()).as("no upload once the listing shows the rival").isEqualTo(creates);
        }
    }

    @Test
    void aRivalWhoseLevelZeroFilesWereCompactedAwayIsCaughtByTheFullCheck() throws Exception {
        try (Database w = writer(CompactionSettings.defaults())) {
            for (int i = 1; i <= 3; i++) {
                clock.advance(Duration.ofSeconds(1));
                assertThat(commitAndSync(w, i)).isEqualTo(SyncOutcome.Status.SYNCED);
            }
            long base = w.current().txid();
            // Another writer's TXID base + 1, compacted into L1 with our files; its L0 file deleted by retention
            // (which needs it to be older than the grace period, so longer ago than the horizon), ours kept.
            Rival.file(replica, 1, 1, base + 1, PS, 2, new long[] {1, 2}, 5);
            clock.advance(Duration.ofMinutes(16));
            assertThat(commitAndSync(w, 9)).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(w.conflict().remoteTxid()).isEqualTo(base + 1);
        }
    }

    @Test
    void aReplacedReplicaIsCaughtWithinTheHorizonBecauseTheOwnBaseFileIsGone() throws Exception {
        try (Database w = writer(CompactionSettings.defaults())) {
            for (int i = 1; i <= 3; i++) {
                clock.advance(Duration.ofSeconds(1));
                assertThat(commitAndSync(w, i)).isEqualTo(SyncOutcome.Status.SYNCED);
            }
            long base = w.current().txid();
            replica.deleteAll();
            Rival.file(replica, 9, 1, base + 2, PS, 2, new long[] {1, 2}, 5); // restored from elsewhere, as a snapshot
            clock.advance(Duration.ofSeconds(1));
            assertThat(commitAndSync(w, 9)).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(w.conflict().remoteTxid()).isEqualTo(base + 2);
        }
    }

    @Test
    void anIdleWriterMakesNoRequests() throws Exception {
        try (Database w = writer(CompactionSettings.defaults())) {
            // Writing: one commit and sync a second for a minute, the lane stepped every second as its scheduler does.
            for (int i = 1; i <= 60; i++) {
                commitAndSync(w, i);
                w.compactOnce(clock.instant());
                clock.advance(Duration.ofSeconds(1));
            }
            long last = w.current().txid();
            // Idle. The levels take in the last syncs as their intervals come round (L3 hourly).
            long settling = idle(w, Duration.ofHours(2));
            assertThat(highest(1)).isEqualTo(last);
            assertThat(highest(3)).as("the hourly level holds the last sync").isEqualTo(last);
            long quiet = idle(w, Duration.ofHours(20));
            System.out.printf("MEASURE idle writer (default settings): %d requests while the levels settle (2 h),"
                    + " then %d in 20 h%n", settling, quiet);
            assertThat(quiet).as("requests of an idle writer in 20 h").isZero();

            // A day after the last sync time alone makes work due: the snapshot of the last TXID, then retention of
            // what left the window; then nothing again, for good.
            long wakes = idle(w, Duration.ofHours(4));
            long after = idle(w, Duration.ofHours(48));
            System.out.printf("MEASURE idle writer: %d requests at the wake-ups a day after the last sync, then %d in"
                    + " 48 h; L0 files %d -> snapshot L9 up to %d%n", wakes, after, replica.listFiles(0, 0, false).size(),
                    highest(9));
            assertThat(highest(9)).isEqualTo(last);
            assertThat(w.status().compaction().retention().filesDeleted()).isPositive();
            assertThat(after).isZero();

            // The next commit wakes everything up.
            long b = counting.snapshot().requests();
            assertThat(commitAndSync(w, 99)).isEqualTo(SyncOutcome.Status.SYNCED);
            w.compactOnce(clock.instant());
            assertThat(counting.snapshot().requests() - b).isPositive();
        }
    }

    @Test
    void aWriterThatNeverWritesMakesNoRequestsAfterItsFirstSteps() throws Exception {
        try (Database w = writer(CompactionSettings.defaults())) {
            commitAndSync(w, 1);
        }
        clock.advance(Duration.ofDays(3));
        try (Database w = writer(CompactionSettings.defaults())) {
            idle(w, Duration.ofMinutes(1)); // the first step runs what is due (a snapshot, retention)
            assertThat(idle(w, Duration.ofHours(10))).isZero();
        }
    }

    /** Steps the sync and the compaction lane every second for {@code d}, as the scheduler does; requests made. */
    private long idle(Database w, Duration d) {
        long before = counting.snapshot().requests();
        for (long s = 0; s < d.toSeconds(); s++) {
            clock.advance(Duration.ofSeconds(1));
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.NOTHING_TO_SYNC);
            w.compactOnce(clock.instant());
        }
        return counting.snapshot().requests() - before;
    }

    private long highest(int level) throws Exception {
        List<LtxFileInfo> files = replica.listFiles(level, 0, false);
        return files.isEmpty() ? 0 : files.get(files.size() - 1).maxTxid();
    }
}
