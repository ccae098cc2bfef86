package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.replica.TxidUnavailableException;
import dev.ltx4j.pagestore.replica.RemotePage;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files deleted under a reader are re-resolved; polls seek each level instead of listing it all. */
class ReplicaChangesTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();
    final List<long[]> listings = new ArrayList<>();
    final ForwardingClient recording = new ForwardingClient(replica) {
        @Override
        public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
            listings.add(new long[] {level, seekTxid});
            return super.listFiles(level, seekTxid, useMetadata);
        }
    };

    Database follower() throws Exception {
        return Database.open(recording, "app.db", Kit.reader(clock).cacheBytes(0).build());
    }

    private LtxFileInfo only(int level, long min) throws Exception {
        return replica.listFiles(level, min, false).get(0);
    }

    @Test
    void aReadOfAFileDeletedByCompactionIsResolvedAgainFromTheRestorePlan() throws Exception {
        Rival.file(replica, 0, 1, 1, PS, 2, new long[] {1, 2}, 10);
        Rival.file(replica, 0, 2, 2, PS, 2, new long[] {2}, 20);
        try (Database f = follower()) {
            byte[] before = readAll(f);
            // Compaction elsewhere: one L1 file with the same state, then retention drops the L0 files.
            Rival.file(replica, 1, 1, 2, PS, 2, new long[] {1, 2}, 10, 20);
            replica.deleteFiles(List.of(only(0, 1), only(0, 2)));
            ReadTransaction r = f.beginRead();
            byte[] after = new byte[before.length];
            assertThat(r.read(0, after, 0, after.length)).isEqualTo(after.length);
            r.close();
            assertThat(after).isEqualTo(before).isEqualTo(restore(replica, 0, tmp));
            // The current version was patched: later reads go straight to the L1 file.
            assertThat(((RemotePage) f.current().pages().get(1)).file().level()).isEqualTo(1);
            assertThat(((RemotePage) f.current().pages().get(2)).file().level()).isEqualTo(1);
        }
    }

    @Test
    void aPageWhoseStateNoLongerExistsFailsWithATypedError() throws Exception {
        Rival.file(replica, 0, 1, 1, PS, 2, new long[] {1, 2}, 10);
        Rival.file(replica, 0, 2, 2, PS, 2, new long[] {2}, 20);
        try (Database f = follower()) {
            ReadTransaction pinned = f.beginRead();
            // TXID 3 lands and everything is compacted past TXID 2: that state cannot be rebuilt any more.
            Rival.file(replica, 0, 3, 3, PS, 2, new long[] {2}, 30);
            Rival.file(replica, 1, 1, 3, PS, 2, new long[] {1, 2}, 10, 30);
            replica.deleteFiles(List.of(only(0, 1), only(0, 2), only(0, 3)));
            byte[] page = new byte[PS];
            assertThatThrownBy(() -> pinned.read(PS, page, 0, PS)).isInstanceOf(TxidUnavailableException.class)
                    .hasMessageContaining("L0/");
            pinned.close();
        }
    }

    @Test
    void pollsSeekEachLevelFromTheLastFileSeenAndRelistAfterAGap() throws Exception {
        Rival.file(replica, 0, 1, 1, PS, 2, new long[] {1, 2}, 10);
        Rival.file(replica, 0, 2, 2, PS, 2, new long[] {2}, 20);
        Rival.file(replica, 1, 1, 2, PS, 2, new long[] {1, 2}, 10, 20);
        try (Database f = follower()) {
            f.pollOnce(clock.instant()); // first poll: everything from 0
            Rival.file(replica, 0, 3, 3, PS, 2, new long[] {2}, 30);
            listings.clear();
            PollOutcome p = f.pollOnce(clock.instant());
            assertThat(p.filesApplied()).isEqualTo(1);
            assertThat(seekOf(0)).isEqualTo(3); // where the open's plan left level 0: after the L1 file's end
            assertThat(seekOf(1)).isEqualTo(1);
            assertThat(seekOf(5)).isZero(); // never saw a file there
            assertThat(readAll(f)).isEqualTo(restore(replica, 0, tmp));

            // A straddling compaction (L1 3-4) after the L0 files it covers are gone is still found.
            Rival.file(replica, 1, 3, 4, PS, 2, new long[] {1, 2}, 40, 40);
            replica.deleteFiles(List.of(only(0, 3)));
            listings.clear();
            assertThat(f.pollOnce(clock.instant()).filesApplied()).isEqualTo(1);
            assertThat(f.current().txid()).isEqualTo(4);
            assertThat(seekOf(0)).isEqualTo(3);

            // A gap: the next poll lists every level in full.
            Rival.file(replica, 0, 6, 6, PS, 2, new long[] {2}, 60);
            assertThat(f.pollOnce(clock.instant()).gap()).isTrue();
            listings.clear();
            f.pollOnce(clock.instant());
            for (int level = 0; level <= 9; level++) {
                assertThat(seekOf(level)).isZero();
            }
        }
    }

    private long seekOf(int level) {
        long seek = -1;
        for (long[] l : listings) {
            if (l[0] == level) {
                seek = l[1];
            }
        }
        return seek;
    }
}
