package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Relocation (a page's replica file was compacted and deleted) on a store whose listings lag behind its writes
 * (issue 10; simulator {@code --scenario compaction --seed 44}): the re-plan must not fall short of the TXID the
 * engine holds because the listing does not show the newest files yet. The writer plans with its own uploads and
 * the files its state was built from; a follower with the files its state was built from. And a relocation whose
 * answer is gone as well (simulator seed 1221 with {@code -Dltx4j.sim.strictReaders=true}) relocates again.
 */
class RelocationUnderListingLagTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    /** A client whose listings leave out the files in {@link #hidden} (they exist and read fine: listing lag). */
    static final class LaggingListings extends ForwardingClient {
        final Set<String> hidden = ConcurrentHashMap.newKeySet();
        /** While set, every file created through this client is hidden from its listings. */
        volatile boolean hideNewFiles;

        LaggingListings(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
            LtxFileInfo info = super.createFile(level, minTxid, maxTxid, body);
            if (hideNewFiles) {
                hidden.add(info.toString());
            }
            return info;
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
            List<LtxFileInfo> out = new ArrayList<>();
            for (LtxFileInfo f : super.listFiles(level, seekTxid, useMetadata)) {
                if (!hidden.contains(f.toString())) {
                    out.add(f);
                }
            }
            return out;
        }
    }

    private void deleteL0(long min, long max) throws Exception {
        List<LtxFileInfo> gone = new ArrayList<>();
        for (LtxFileInfo f : replica.listFiles(0, min, false)) {
            if (f.maxTxid() <= max) {
                gone.add(f);
            }
        }
        replica.deleteFiles(gone);
    }

    @Test
    void aWriterReadsItsStateAfterCompactionWhileTheListingLacksItsNewestUploads() throws Exception {
        LaggingListings lagging = new LaggingListings(replica);
        try (Database w = Database.open(lagging, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"),
                clock, 7).compaction(CompactionSettings.off()).cacheBytes(0).build())) {
            commitPages(w, PS, 1, 1, 2, 1, 3, 1, 4, 1, 5, 1, 6, 1);
            w.syncOnce(clock.instant());
            for (int i = 2; i <= 5; i++) {
                commitPages(w, PS, 1, i, i, 10 + i);
                assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            }
            // The store's listings stop showing new files; the writer syncs TXIDs 6 and 7. TXID 7 rewrites every
            // page TXID 6 wrote, so no page of the held state points at L0/6: only the writer's record of its own
            // uploads knows that file.
            lagging.hideNewFiles = true;
            commitPages(w, PS, 1, 60, 6, 60);
            assertThat(w.syncOnce(clock.instant()).txid()).isEqualTo(6);
            commitPages(w, PS, 1, 70, 6, 70);
            assertThat(w.syncOnce(clock.instant()).txid()).isEqualTo(7);
            assertThat(lagging.listFiles(0, 0, false)).hasSize(5);
            byte[] expected = restore(replica, 7, tmp);
            // Another process compacts L0 1-5 into L1 (listed) and retention deletes them.
            ReadersSurviveCompactionTest.compact(replica, 0, 1, 5, 1);
            deleteL0(1, 5);

            // Pages 2..5 were in the deleted files: each read relocates at TXID 7.
            assertThat(readAll(w)).isEqualTo(expected);
            assertThat(w.current().txid()).isEqualTo(7);
        }
    }

    @Test
    void aFollowerReadsItsStateAfterCompactionWhileTheListingLacksTheFilesItLoaded() throws Exception {
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"),
                clock, 7).compaction(CompactionSettings.off()).build())) {
            commitPages(w, PS, 1, 1, 2, 1, 3, 1, 4, 1, 5, 1, 6, 1);
            w.syncOnce(clock.instant());
            for (int i = 2; i <= 7; i++) {
                commitPages(w, PS, 1, i, i, 10 + i);
                w.syncOnce(clock.instant());
            }
        }
        byte[] expected = restore(replica, 7, tmp);
        LaggingListings lagging = new LaggingListings(replica);
        try (Database f = Database.open(lagging, "app.db", Kit.reader(clock).cacheBytes(0).build())) {
            assertThat(f.current().txid()).isEqualTo(7);
            // Its next listings come from a node that has not seen TXIDs 6 and 7 yet; meanwhile L0 1-5 are
            // compacted into L1 and deleted.
            lagging.hidden.add("L0/0000000000000006-0000000000000006.ltx");
            lagging.hidden.add("L0/0000000000000007-0000000000000007.ltx");
            ReadersSurviveCompactionTest.compact(replica, 0, 1, 5, 1);
            deleteL0(1, 5);

            assertThat(readAll(f)).isEqualTo(expected);
            assertThat(f.current().txid()).isEqualTo(7);
        }
    }

    @Test
    void aRelocationWhoseAnsweredFileIsGoneTooRelocatesAgain() throws Exception {
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"),
                clock, 7).compaction(CompactionSettings.off()).cacheBytes(0).build())) {
            commitPages(w, PS, 1, 1, 2, 1, 3, 1, 4, 1);
            w.syncOnce(clock.instant());
            for (int i = 2; i <= 5; i++) {
                commitPages(w, PS, 1, i, i % 2 == 0 ? 2 : 3, 10 + i);
                w.syncOnce(clock.instant());
            }
            byte[] expected = restore(replica, 5, tmp);
            try (ReadTransaction pinned = w.beginRead()) {
                ReadersSurviveCompactionTest.compact(replica, 0, 1, 5, 1);
                deleteL0(1, 5);
                byte[] page = new byte[PS];
                // Page 3 relocates into L1/1-5; the engine remembers that rebuilt page map.
                pinned.read(2L * PS, page, 0, PS);
                // L1/1-5 goes the same way; page 2 of the pinned version still points at its deleted L0 file, and the
                // remembered map answers L1/1-5, which is gone too.
                ReadersSurviveCompactionTest.compact(replica, 1, 1, 5, 2);
                replica.deleteFiles(replica.listFiles(1, 0, false));
                byte[] got = new byte[expected.length];
                assertThat(pinned.read(0, got, 0, got.length)).isEqualTo(got.length);
                assertThat(got).isEqualTo(expected);
            }
        }
    }
}
