package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tests named W1_, W3_, ... guard the reference VFS flaw of that label: see docs/reference-flaws.md. */
class ReadModeTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    Database follower() throws Exception {
        return Database.open(replica, "app.db", Kit.reader(clock).build());
    }

    static byte[] pageOf(byte[] db, long pgno) {
        return Arrays.copyOfRange(db, (int) ((pgno - 1) * PS), (int) (pgno * PS));
    }

    @Test
    void followerSeesWriterSyncsAfterAPollAndPinnedViewsNeverTear() throws Exception {
        try (Database w = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 5).build())) {
            commitPages(w, PS, 1, 1, 2, 2, 3, 3);
            w.syncOnce(clock.instant());
            try (Database f = follower()) {
                assertThat(readAll(f)).isEqualTo(readAll(w));
                ReadTransaction pinned = f.beginRead();
                byte[] before = new byte[(int) pinned.sizeBytes()];
                pinned.read(0, before, 0, before.length);

                commitPages(w, PS, 2, 22, 4, 4, 5, 5);
                w.syncOnce(clock.instant());
                assertThat(f.current().txid()).isEqualTo(1); // not until a poll
                PollOutcome p = f.pollOnce(clock.instant());
                assertThat(p.ok()).isTrue();
                assertThat(p.filesApplied()).isEqualTo(1);
                assertThat(f.current().txid()).isEqualTo(2);
                assertThat(readAll(f)).isEqualTo(readAll(w));

                // The pinned reader still sees TXID 1 in full: same size, same pages.
                byte[] again = new byte[before.length];
                assertThat(pinned.sizeBytes()).isEqualTo(3L * PS);
                assertThat(pinned.read(0, again, 0, again.length)).isEqualTo(again.length);
                assertThat(again).isEqualTo(before);
                pinned.close();

                // Shrink reaches the follower as a commit drop, not a replace.
                try (WriteSession s = w.beginWrite()) {
                    s.truncate(2L * PS);
                    s.commit();
                }
                w.syncOnce(clock.instant());
                f.pollOnce(clock.instant());
                assertThat(f.current().commit()).isEqualTo(2);
                assertThat(readAll(f)).isEqualTo(readAll(w)).isEqualTo(restore(replica, 0, tmp));
            }
        }
    }

    /** Builds a replica by hand: snapshot L9 1-2, L0 3..5, then an L1 compaction 3-4 (straddles nothing). */
    private void seed() throws Exception {
        Rival.file(replica, 9, 1, 2, PS, 3, new long[] {1, 2, 3}, 10);
        Rival.file(replica, 0, 3, 3, PS, 3, new long[] {1}, 30);
        Rival.file(replica, 0, 4, 4, PS, 3, new long[] {2}, 40);
    }

    @Test
    void W6_higherMaxTxidWinsOverALowerLevelAndTiesGoToTheHigherLevel() throws Exception {
        seed();
        try (Database f = follower()) {
            assertThat(f.current().txid()).isEqualTo(4);
            // L0 5 rewrites page 1; then an L1 compaction 3-4 appears: older than 5 for page 1, so it must not win.
            Rival.file(replica, 0, 5, 5, PS, 3, new long[] {1}, 50);
            Rival.file(replica, 1, 3, 4, PS, 3, new long[] {1, 2}, 30, 40); // same content as L0 3 + 4
            f.pollOnce(clock.instant());
            byte[] db = readAll(f);
            assertThat(pageOf(db, 1)).isEqualTo(Rival.content(PS, 1, 50));
            assertThat(pageOf(db, 2)).isEqualTo(Rival.content(PS, 2, 40));
            assertThat(db).isEqualTo(restore(replica, 0, tmp));
        }
        // Same pages, same max TXID at two levels: the higher level is the one served.
        dev.ltx4j.pagestore.replica.DatabaseVersion v = dev.ltx4j.pagestore.replica.DatabaseVersion.EMPTY;
        dev.ltx4j.pagestore.replica.ReplicaIndex idx = new dev.ltx4j.pagestore.replica.ReplicaIndex(replica);
        for (LtxFileInfo info : List.of(replica.listFiles(9, 0, false).get(0), replica.listFiles(0, 3, false).get(0),
                replica.listFiles(0, 4, false).get(0))) {
            v = dev.ltx4j.pagestore.replica.ReplicaIndex.apply(v, idx.load(info));
        }
        v = dev.ltx4j.pagestore.replica.ReplicaIndex.apply(v, idx.load(replica.listFiles(1, 0, false).get(0)));
        assertThat(((dev.ltx4j.pagestore.replica.RemotePage) v.pages().get(2)).file().level()).isEqualTo(1);
    }

    @Test
    void W6_commitDropRemovesOnlyPagesAboveTheNewCommit() throws Exception {
        seed();
        try (Database f = follower()) {
            Rival.file(replica, 0, 5, 5, PS, 2, new long[] {1}, 50); // shrink to 2 pages, touching only page 1
            f.pollOnce(clock.instant());
            assertThat(f.current().commit()).isEqualTo(2);
            byte[] db = readAll(f);
            assertThat(db).hasSize(2 * PS);
            assertThat(pageOf(db, 2)).isEqualTo(Rival.content(PS, 2, 40)); // kept, not replaced away
            assertThat(db).isEqualTo(restore(replica, 0, tmp));
        }
    }

    @Test
    void W6_snapshotReplacesWholesale() throws Exception {
        seed();
        try (Database f = follower()) {
            Rival.file(replica, 9, 1, 6, PS, 2, new long[] {1, 2}, 60);
            f.pollOnce(clock.instant());
            assertThat(f.current().txid()).isEqualTo(6);
            assertThat(readAll(f)).isEqualTo(restore(replica, 0, tmp));
        }
    }

    @Test
    void W6_gapTriggersARelistInsteadOfWedging() throws Exception {
        seed();
        try (Database f = follower()) {
            Rival.file(replica, 0, 6, 6, PS, 3, new long[] {3}, 60); // 5 is missing for now
            PollOutcome p = f.pollOnce(clock.instant());
            assertThat(p.gap()).isTrue();
            assertThat(f.current().txid()).isEqualTo(4);
            assertThat(f.status().lastError()).contains("gap");
            // A straddling compaction appears (L0 5 never shows up, e.g. deleted by retention).
            Rival.file(replica, 1, 3, 5, PS, 3, new long[] {1, 2, 3}, 35);
            p = f.pollOnce(clock.instant());
            assertThat(p.gap()).isFalse();
            assertThat(p.filesApplied()).isEqualTo(2);
            assertThat(f.current().txid()).isEqualTo(6);
            byte[] db = readAll(f);
            assertThat(pageOf(db, 3)).isEqualTo(Rival.content(PS, 3, 60));
            assertThat(pageOf(db, 1)).isEqualTo(Rival.content(PS, 1, 35));
        }
    }

    @Test
    void sequentialReadsCoalesceAdjacentFramesIntoOneRequest() throws Exception {
        long[] pages = new long[64];
        for (int i = 0; i < 64; i++) {
            pages[i] = i + 1;
        }
        Rival.file(replica, 9, 1, 1, PS, 64, pages, 1);
        CountingReplicaClient counting = new CountingReplicaClient(replica);
        try (Database f = Database.open(counting, "app.db", Kit.reader(clock).readAheadPages(16).build())) {
            counting.reset();
            try (ReadTransaction r = f.beginRead()) {
                byte[] page = new byte[PS];
                for (int p = 0; p < 64; p++) {
                    r.read((long) p * PS, page, 0, PS);
                    assertThat(page).isEqualTo(Rival.content(PS, p + 1, 1));
                }
            }
            // 64 pages: the first alone, then runs of up to 16.
            assertThat(counting.snapshot().opens()).isLessThanOrEqualTo(6);
            counting.reset();
            readAll(f);
            assertThat(counting.snapshot().opens()).isZero();
        }
    }

    @Test
    void readsPastTheEndAreShortAndZeroFilled() throws Exception {
        seed();
        try (Database f = follower(); ReadTransaction r = f.beginRead()) {
            byte[] buf = new byte[2 * PS];
            Arrays.fill(buf, (byte) 7);
            assertThat(r.read(2L * PS, buf, 0, buf.length)).isEqualTo(PS);
            assertThat(Arrays.copyOfRange(buf, PS, 2 * PS)).containsOnly(0);
        }
    }
}
