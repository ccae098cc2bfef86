package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writer's compaction reuses the bytes of its own recent uploads instead of downloading them again
 * (docs/compaction-upload-reuse.md): a level-1 compaction of 30 of its level-0 files reads two 16-byte trailers from
 * the store, then one per compaction, instead of 30 whole files; the output is the merge of the stored files; a
 * rival's file of the same name and size in the store is merged from the store, never replaced by the kept bytes;
 * after a restart nothing is kept and the files are downloaded.
 */
class CompactionUploadReuseTest {
    static final int PS = 4096;
    /** Level 1 only (every 30 s), no snapshots, no retention: each step is one level-1 compaction. */
    static final CompactionSettings L1_ONLY = new CompactionSettings(true, List.of(Duration.ofSeconds(30)),
            Duration.ZERO, Duration.ZERO, Duration.ofMinutes(15));

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();
    final CountingReplicaClient counting = new CountingReplicaClient(replica, true);
    final MemoryLogStorage storage = new MemoryLogStorage();

    private Database writer(CompactionSettings settings) throws Exception {
        return Database.open(counting, "app.db", Kit.writer(storage, tmp.resolve("c"), clock, 3)
                .compaction(settings).build());
    }

    private void syncs(Database w, int from, int to) throws Exception {
        for (int i = from; i <= to; i++) {
            commitPages(w, PS, 1, i, 2 + i % 5, i);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            clock.advance(Duration.ofSeconds(1));
        }
    }

    /** GETs (any range) the compaction step at now makes. */
    private long compactionGets(Database w) {
        long before = counting.snapshot().opens();
        w.compactOnce(clock.instant());
        return counting.snapshot().opens() - before;
    }

    @Test
    void aLevelOneCompactionOfTheWritersOwnUploadsReadsTrailersNotFiles() throws Exception {
        try (Database w = writer(L1_ONLY)) {
            syncs(w, 1, 30);
            long first = compactionGets(w);
            assertThat(replica.listFiles(1, 0, false)).extracting(LtxFileInfo::maxTxid).containsExactly(30L);
            assertThat(first).as("the trailers of the first and last input, not 30 downloads").isEqualTo(2);
            assertOutputIsTheMergeOfTheStoredFiles(1, 30);
            assertThat(w.compaction.uploads().heldFiles()).as("compacted inputs are forgotten").isZero();

            syncs(w, 31, 60);
            clock.advance(Duration.ofSeconds(30));
            long second = compactionGets(w);
            assertThat(replica.listFiles(1, 0, false)).extracting(LtxFileInfo::maxTxid).containsExactly(30L, 60L);
            assertThat(second).as("the run continues the verified end of the last one: its last trailer only")
                    .isEqualTo(1);
            assertOutputIsTheMergeOfTheStoredFiles(31, 60);
            assertThat(w.compaction.uploads().served()).isEqualTo(60);
            assertThat(w.compaction.uploads().refused()).isZero();
            System.out.printf("MEASURE writer L1 compaction of 30 own uploads: %d GETs, then %d (30 each before)%n",
                    first, second);
            assertThat(Kit.restore(replica, 0, tmp)).isEqualTo(readAll(w));
        }
    }

    @Test
    void aRivalsFileOfTheSameNameAndSizeIsMergedFromTheStoreNeverReplacedByTheKeptBytes() throws Exception {
        for (long[] replaced : new long[][] {{10}, {1}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}) {
            InMemoryReplicaClient fresh = new InMemoryReplicaClient();
            CountingReplicaClient c = new CountingReplicaClient(fresh, true);
            try (Database w = Database.open(c, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 5)
                    .compaction(L1_ONLY).build())) {
                for (int i = 1; i <= 10; i++) {
                    commitPages(w, PS, 1, i, 2 + i % 5, i);
                    assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
                    clock.advance(Duration.ofSeconds(1));
                }
                for (long t : replaced) {
                    replaceWithRival(fresh, t);
                }
                w.compactOnce(clock.instant());
                assertThat(fresh.listFiles(1, 0, false)).as("replaced %s", java.util.Arrays.toString(replaced))
                        .extracting(LtxFileInfo::maxTxid).containsExactly(10L);
                Map<Long, byte[]> merged = pages(read(fresh, fresh.listFiles(1, 0, false).get(0)));
                Map<Long, byte[]> expected = expectedMerge(fresh, 1, 10);
                assertThat(merged.keySet()).isEqualTo(expected.keySet());
                for (long p : expected.keySet()) {
                    assertThat(merged.get(p)).as("page %d with L0 %s replaced", p, java.util.Arrays.toString(replaced))
                            .isEqualTo(expected.get(p));
                }
                assertThat(w.compaction.uploads().refused()).as("held inputs refused").isPositive();
            }
        }
    }

    @Test
    void afterARestartNothingIsKeptAndTheInputsAreDownloaded() throws Exception {
        try (Database w = writer(L1_ONLY)) {
            syncs(w, 1, 10);
        }
        try (Database w = writer(L1_ONLY)) {
            syncs(w, 11, 15);
            long gets = compactionGets(w);
            for (long t = 1; t <= 10; t++) {
                assertThat(counting.opensOf(0, t, t)).as("L0 %d, uploaded by the previous process", t)
                        .isGreaterThanOrEqualTo(1);
            }
            assertThat(gets).as("10 downloads and the two trailers of this process's run").isEqualTo(12);
            assertOutputIsTheMergeOfTheStoredFiles(1, 15);
        }
    }

    @Test
    void aCacheOfZeroBytesDownloadsEveryInput() throws Exception {
        try (Database w = writer(L1_ONLY.withUploadCacheBytes(0))) {
            syncs(w, 1, 10);
            assertThat(compactionGets(w)).isEqualTo(10);
            assertThat(w.compaction.uploads()).isNull();
        }
    }

    @Test
    void theBoundIsASettingOfItsOwn() {
        assertThat(CompactionOptions.fromEnvironment(Map.of("LITESTREAM_COMPACTION_UPLOAD_CACHE", "1MiB"))
                .uploadCacheBytes()).isEqualTo(1 << 20);
        assertThat(CompactionOptions.fromEnvironment(Map.of()).uploadCacheBytes()).isEqualTo(16 << 20);
        assertThat(CompactionOptions.toParameters(L1_ONLY.withUploadCacheBytes(0))).containsEntry(
                "compaction_upload_cache", "0");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CompactionOptions.fromEnvironment(
                Map.of("LITESTREAM_COMPACTION_UPLOAD_CACHE", "-1"))).hasMessageContaining(
                        "environment variable LITESTREAM_COMPACTION_UPLOAD_CACHE");
    }

    /** Deletes L0 {@code txid} and writes a valid file of the same name and size with other page contents. */
    private static void replaceWithRival(InMemoryReplicaClient client, long txid) throws Exception {
        LtxFileInfo ours = client.listFiles(0, txid, false).get(0);
        assertThat(ours.maxTxid()).isEqualTo(txid);
        byte[] mine = read(client, ours);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long post;
        try (LtxDecoder d = new LtxDecoder(new ByteArrayInputStream(mine), ours.toString())) {
            LtxHeader h = d.header();
            LtxEncoder enc = new LtxEncoder(out, h);
            DatabaseChecksum sum = new DatabaseChecksum(PS).reset(0); // a snapshot's post-apply covers its pages
            byte[] page = new byte[PS];
            long pgno;
            while ((pgno = d.readPage(page, 0)) != 0) {
                // Same page, other fill: the same compressed size, so the same file size.
                byte[] image = pgno == 1 ? page : Kit.page(PS, (page[0] + 100) & 0x7f);
                enc.writePage(pgno, image, 0);
                sum.toggle(pgno, image, 0);
            }
            post = h.isSnapshot() ? sum.value() : d.summary().postApplyChecksum();
            enc.finish(post);
        }
        byte[] theirs = out.toByteArray();
        assertThat(theirs).as("the rival's file has our size").hasSize(mine.length).isNotEqualTo(mine);
        client.deleteFiles(List.of(ours));
        client.createFile(0, txid, txid, LtxBody.of(theirs));
    }

    private void assertOutputIsTheMergeOfTheStoredFiles(long min, long max) throws Exception {
        LtxFileInfo out = replica.listFiles(1, min, false).get(0);
        assertThat(out.minTxid()).isEqualTo(min);
        assertThat(out.maxTxid()).isEqualTo(max);
        assertThat(pages(read(replica, out))).usingRecursiveComparison().isEqualTo(expectedMerge(replica, min, max));
    }

    /** Each page's newest image among the stored L0 files min..max. */
    private static Map<Long, byte[]> expectedMerge(ReplicaClient client, long min, long max) throws Exception {
        Map<Long, byte[]> out = new TreeMap<>();
        for (LtxFileInfo f : client.listFiles(0, min, false)) {
            if (f.maxTxid() <= max) {
                out.putAll(pages(read(client, f)));
            }
        }
        return out;
    }

    private static byte[] read(ReplicaClient client, LtxFileInfo f) throws Exception {
        try (InputStream in = client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)) {
            return in.readAllBytes();
        }
    }

    private static Map<Long, byte[]> pages(byte[] ltx) throws Exception {
        Map<Long, byte[]> out = new TreeMap<>();
        try (LtxDecoder d = new LtxDecoder(new ByteArrayInputStream(ltx), "ltx")) {
            d.header();
            byte[] page = new byte[PS];
            long pgno;
            while ((pgno = d.readPage(page, 0)) != 0) {
                out.put(pgno, page.clone());
            }
        }
        return out;
    }
}
