package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.LtxCompactor;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.pagestore.replica.TxidUnavailableException;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-mode connections survive compaction and retention (issue 10): the files a version points at are replaced by
 * a covering higher-level file and deleted; every page still reads, pinned reads keep their exact version, opens
 * and polls that lose a file between listing and reading re-plan once, and a TXID no plan reaches any more fails
 * with an error naming the TXID and the {@code retention} setting.
 */
class ReadersSurviveCompactionTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    /** A writer syncing {@code commits} transactions (one L0 file each, tracked checksums) over 12 pages. */
    private void writeL0(int commits) throws Exception {
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"),
                clock, 7).build())) {
            for (int i = 1; i <= commits; i++) {
                int[] pages = i == 1 ? new int[] {1, 1, 2, 1, 3, 1, 4, 1, 5, 1, 6, 1, 7, 1, 8, 1, 9, 1, 10, 1, 11, 1,
                        12, 1} : new int[] {1, i, 1 + (i % 11) + 1, i};
                commitPages(w, PS, pages);
                w.syncOnce(clock.instant());
            }
        }
    }

    /** Merges the files of {@code level} in [{@code min}, {@code max}] into one file at {@code into}, as a compactor. */
    static LtxFileInfo compact(ReplicaClient client, int level, long min, long max, int into) throws Exception {
        return compact(client, level, min, max, into, false);
    }

    static LtxFileInfo compact(ReplicaClient client, int level, long min, long max, int into, boolean noChecksum)
            throws Exception {
        List<LtxSource> inputs = new ArrayList<>();
        for (LtxFileInfo f : client.listFiles(level, min, false)) {
            if (f.maxTxid() <= max) {
                inputs.add(LtxSource.of(f.toString(), () -> client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxCompactor.compact(inputs, out, noChecksum ? dev.ltx4j.ltx.Ltx.HEADER_FLAG_NO_CHECKSUM : 0);
        return client.createFile(into, min, max, LtxBody.of(out.toByteArray()));
    }

    private void deleteLevel(int level) throws Exception {
        replica.deleteFiles(replica.listFiles(level, 0, false));
    }

    @Test
    void everyPageReadsAfterTheL0FilesAreCompactedAndDeleted() throws Exception {
        writeL0(20);
        try (Database f = Database.open(replica, "app.db", Kit.reader(clock).cacheBytes(0).build())) {
            byte[] expected = restore(replica, 0, tmp);
            compact(replica, 0, 1, 20, 1);
            deleteLevel(0);
            assertThat(readAll(f)).isEqualTo(expected);
            for (long pgno = 1; pgno <= 12; pgno++) { // page by page too, each a fresh read transaction
                try (ReadTransaction r = f.beginRead()) {
                    byte[] page = new byte[PS];
                    assertThat(r.read((pgno - 1) * PS, page, 0, PS)).isEqualTo(PS);
                    assertThat(page).isEqualTo(java.util.Arrays.copyOfRange(expected, (int) (pgno - 1) * PS,
                            (int) pgno * PS));
                }
            }
            assertThat(f.pollOnce(clock.instant()).error()).isNull();
            assertThat(f.current().txid()).isEqualTo(20);
        }
    }

    @Test
    void aPinnedReadKeepsItsVersionWhileLaterFilesAreCompactedUnderIt() throws Exception {
        writeL0(10);
        try (Database f = Database.open(replica, "app.db", Kit.reader(clock).cacheBytes(0).build())) {
            byte[] at10 = restore(replica, 10, tmp);
            ReadTransaction pinned = f.beginRead();
            try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c2"),
                    clock, 8).build())) {
                for (int i = 0; i < 5; i++) {
                    commitPages(w, PS, 1, 100 + i, 3, 100 + i);
                    w.syncOnce(clock.instant());
                }
            }
            assertThat(f.pollOnce(clock.instant()).error()).isNull();
            byte[] at15 = restore(replica, 15, tmp);
            // L1 1-10 and 11-15 keep TXID 10 reachable; the L0 files go.
            compact(replica, 0, 1, 10, 1);
            compact(replica, 0, 11, 15, 1);
            deleteLevel(0);
            byte[] got = new byte[at10.length];
            assertThat(pinned.read(0, got, 0, got.length)).isEqualTo(got.length);
            assertThat(got).isEqualTo(at10);
            pinned.close();
            assertThat(readAll(f)).isEqualTo(at15);
        }
    }

    @Test
    void aPinnedTxidThatRetentionRemovedFailsNamingTheTxidAndTheSetting() throws Exception {
        writeL0(10);
        try (Database f = Database.open(replica, "app.db", Kit.reader(clock).cacheBytes(0).build())) {
            ReadTransaction pinned = f.beginRead();
            try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c2"),
                    clock, 8).build())) {
                commitPages(w, PS, 1, 100, 3, 100);
                w.syncOnce(clock.instant());
            }
            assertThat(f.pollOnce(clock.instant()).error()).isNull();
            compact(replica, 0, 1, 11, 1); // nothing ends at TXID 10 any more
            deleteLevel(0);
            byte[] page = new byte[PS];
            assertThatThrownBy(() -> pinned.read(2 * PS, page, 0, PS)).isInstanceOf(TxidUnavailableException.class)
                    .hasMessageContaining("TXID 000000000000000a").hasMessageContaining("retention")
                    .hasMessageContaining("new read transaction");
            pinned.close();
            assertThat(readAll(f)).isEqualTo(restore(replica, 0, tmp)); // the latest state still reads
        }
    }

    @Test
    void aPollWhoseListedFilesVanishBeforeItReadsThemReplansInTheSamePoll() throws Exception {
        writeL0(5);
        AtomicBoolean compactAfterListing = new AtomicBoolean();
        ForwardingClient racing = new ForwardingClient(replica) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
                List<LtxFileInfo> l = super.listFiles(level, seekTxid, useMetadata);
                if (level == ReplicaClient.MAX_LEVEL && compactAfterListing.getAndSet(false)) {
                    try { // a compactor and retention run right after this listing
                        compact(replica, 0, 1, 8, 1);
                        deleteLevel(0);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                return l;
            }
        };
        try (Database f = Database.open(racing, "app.db", Kit.reader(clock).cacheBytes(0).build())) {
            assertThat(f.current().txid()).isEqualTo(5);
            try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c2"),
                    clock, 8).build())) {
                for (int i = 0; i < 3; i++) {
                    commitPages(w, PS, 1, 50 + i, 4, 50 + i);
                    w.syncOnce(clock.instant());
                }
            }
            compactAfterListing.set(true);
            PollOutcome p = f.pollOnce(clock.instant());
            assertThat(p.error()).isNull();
            assertThat(f.current().txid()).isEqualTo(8);
            assertThat(readAll(f)).isEqualTo(restore(replica, 0, tmp));
        }
    }

    @Test
    void anOpenWhosePlannedFilesVanishBeforeItReadsThemReplans() throws Exception {
        writeL0(6);
        AtomicBoolean compactAfterListing = new AtomicBoolean(true);
        ForwardingClient racing = new ForwardingClient(replica) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
                List<LtxFileInfo> l = super.listFiles(level, seekTxid, useMetadata);
                if (level == 0 && compactAfterListing.getAndSet(false)) {
                    try {
                        compact(replica, 0, 1, 6, 1);
                        deleteLevel(0);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                return l;
            }
        };
        byte[] expected = restore(replica, 0, tmp);
        try (Database f = Database.open(racing, "app.db", Kit.reader(clock).cacheBytes(0).build())) {
            assertThat(f.current().txid()).isEqualTo(6);
            assertThat(readAll(f)).isEqualTo(expected);
        }
    }

    @Test
    void anOpenAndItsFirstPollListAndReadOnlyWhatThePlanNeeds() throws Exception {
        int n = 3_000;
        for (long t = 1; t <= n; t++) {
            Rival.file(replica, 0, t, t, PS, 3, t == 1 ? new long[] {1, 2, 3} : new long[] {1 + t % 3},
                    (int) (t % 200));
        }
        compact(replica, 0, 1, 2_990, 9, true); // a snapshot, then a tail of ten L0 files
        long[] entries = new long[1];
        dev.ltx4j.replica.CountingReplicaClient counting = new dev.ltx4j.replica.CountingReplicaClient(
                new ForwardingClient(replica) {
                    @Override
                    public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                        List<LtxFileInfo> l = super.listFiles(level, seek, meta);
                        entries[0] += l.size();
                        return l;
                    }
                });
        try (Database f = Database.open(counting, "app.db", Kit.reader(clock).build())) {
            assertThat(f.current().txid()).isEqualTo(n);
            Rival.file(replica, 0, n + 1, n + 1, PS, 3, new long[] {2}, 9);
            assertThat(f.pollOnce(clock.instant()).filesApplied()).isEqualTo(1);
            assertThat(readAll(f)).isEqualTo(restore(replica, 0, tmp));
            assertThat(counting.snapshot().lists()).isEqualTo(20); // ten levels at open, ten at the poll
            assertThat(entries[0]).isLessThan(40); // not the 3,000 L0 files
            assertThat(counting.opensOf(0, 5, 5)).isZero(); // the snapshot covers the old L0 files
            assertThat(counting.opensOf(9, 1, 2_990)).isPositive();
        }
    }
}
