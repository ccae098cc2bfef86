package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.storage.FileLogStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rewrite of the log (after a sync, {@link WriteBuffer#markSynced}) writes into the file the previous rewrite
 * replaced, kept as {@code <name>.spare}, instead of allocating and zero-filling a new one (docs/sync-cost.md): only
 * once no pinned generation reads it; the stale records beyond the new end never count, neither after a clean
 * close nor after a crash; a leftover spare is deleted at open.
 */
class SpareLogReuseTest {
    static final int PS = 1024;

    @TempDir
    Path dir;

    private static void commit(WriteBuffer buf, long commitSize, int fill, int... pgnos) throws Exception {
        try (WriteTransaction tx = buf.begin()) {
            for (int p : pgnos) {
                tx.writePage(p, TestSupport.page(PS, fill + p));
            }
            tx.commit(commitSize);
        }
    }

    /** Pages of random bytes: they do not compress, so the log grows by a whole page per record (format 2). */
    private static void commitIncompressible(WriteBuffer buf, long commitSize, int seed, int... pgnos) throws Exception {
        java.util.Random random = new java.util.Random(seed);
        try (WriteTransaction tx = buf.begin()) {
            for (int p : pgnos) {
                byte[] page = new byte[PS];
                random.nextBytes(page);
                tx.writePage(p, page);
            }
            tx.commit(commitSize);
        }
    }

    private static int[] pages(int from, int to) {
        int[] out = new int[to - from + 1];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }

    private Object inode(String name) throws Exception {
        return Files.readAttributes(dir.resolve(name), BasicFileAttributes.class).fileKey();
    }

    private static void assertPage(WriteBuffer buf, int pgno, int fill) throws Exception {
        byte[] page = new byte[PS];
        assertThat(buf.readPage(pgno, page)).as("page %d held", pgno).isTrue();
        assertThat(page).as("page %d", pgno).isEqualTo(TestSupport.page(PS, fill + pgno));
    }

    /** Commits that fill most of the log, then a sync of all of them; returns the sequence number synced. */
    private static long fillAndSync(WriteBuffer buf, int fill, long txid) throws Exception {
        for (int t = 0; t < 8; t++) {
            commit(buf, 64, fill + t, pages(1 + t * 8, 8 + t * 8));
        }
        long seq = buf.lastCommittedSeq();
        buf.markSynced(seq, txid, 0);
        return seq;
    }

    @Test
    void aRewriteWritesIntoTheFileThePreviousRewriteReplaced() throws Exception {
        String name = TestSupport.NAME;
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 3))) {
            buf.openGeneration(Runnable::run).generation().release(); // as the engine does: a handle per file
            Object opened = inode(name);
            fillAndSync(buf, 5, 1);
            assertThat(Files.exists(dir.resolve(name + WriteBuffer.SPARE_SUFFIX)))
                    .as("the file the buffer opened with is never kept (an earlier instance's reader may read it)")
                    .isFalse();
            buf.openGeneration(Runnable::run).generation().release();
            Object first = inode(name);
            assertThat(first).isNotEqualTo(opened);
            fillAndSync(buf, 10, 2);
            buf.openGeneration(Runnable::run).generation().release();
            assertThat(inode(name + WriteBuffer.SPARE_SUFFIX)).as("the replaced file is kept").isEqualTo(first);
            Object second = inode(name);

            commit(buf, 64, 40, 1, 2, 3);
            fillAndSync(buf, 20, 3);
            assertThat(inode(name)).as("written into the kept file").isEqualTo(first);
            assertThat(inode(name + WriteBuffer.SPARE_SUFFIX)).isEqualTo(second);

            // Commits after the reuse land inside the old file's space, which still holds older records beyond.
            long physicalBefore = Files.size(dir.resolve(name));
            commit(buf, 64, 50, 5, 6);
            commit(buf, 64, 60, 6, 7);
            assertThat(Files.size(dir.resolve(name))).as("no growth: appends overwrite old bytes")
                    .isEqualTo(physicalBefore);
            assertPage(buf, 5, 50);
            assertPage(buf, 6, 60);
            assertPage(buf, 7, 60);
            assertThat(buf.transactions()).hasSize(2);
        }
        assertThat(Files.exists(dir.resolve(name + WriteBuffer.SPARE_SUFFIX))).as("a closing buffer drops its spare")
                .isFalse();
        // A clean close cuts the stale bytes: the reopened log ends exactly after its last commit.
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 3))) {
            assertThat(buf.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.CLEAN_END);
            assertThat(buf.transactions()).hasSize(2);
            assertPage(buf, 6, 60);
            assertThat(Files.size(dir.resolve(name))).isEqualTo(buf.logSize());
        }
    }

    @Test
    void unsyncedTransactionsCopiedIntoTheSpareStayReadableAndSurviveAReopen() throws Exception {
        String name = TestSupport.NAME;
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 6))) {
            buf.openGeneration(Runnable::run).generation().release();
            fillAndSync(buf, 5, 1);
            buf.openGeneration(Runnable::run).generation().release();
            fillAndSync(buf, 10, 2);
            buf.openGeneration(Runnable::run).generation().release();
            Object spare = inode(name + WriteBuffer.SPARE_SUFFIX);
            commit(buf, 64, 30, pages(1, 16));
            long synced = buf.lastCommittedSeq();
            commit(buf, 64, 40, pages(10, 20)); // not synced: copied into the reused spare
            commit(buf, 64, 50, 20, 21);
            buf.markSynced(synced, 3, 0);
            assertThat(inode(name)).isEqualTo(spare);
            assertThat(buf.transactions()).hasSize(2);
            for (int p = 10; p <= 19; p++) {
                assertPage(buf, p, 40);
            }
            assertPage(buf, 20, 50);
            assertPage(buf, 21, 50);
        }
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 6))) {
            assertThat(buf.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.CLEAN_END);
            assertThat(buf.transactions()).hasSize(2);
            assertPage(buf, 15, 40);
            assertPage(buf, 21, 50);
        }
    }

    @Test
    void aSpareLeftLargeByABulkLoadGivesBackWhatTheNextIntervalDoesNotNeed() throws Exception {
        String name = TestSupport.NAME;
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 8))) {
            buf.openGeneration(Runnable::run).generation().release();
            commit(buf, 64, 1, 1);
            buf.markSynced(buf.lastCommittedSeq(), 1, 0); // a file this instance wrote (only such are kept)
            buf.openGeneration(Runnable::run).generation().release();
            Object bulkFile = inode(name);
            for (int t = 0; t < 4; t++) {
                commitIncompressible(buf, 2400, t, pages(1 + t * 600, 600 + t * 600)); // ~2.5 MB of records
            }
            buf.markSynced(buf.lastCommittedSeq(), 2, 0);
            buf.openGeneration(Runnable::run).generation().release();
            assertThat(Files.size(dir.resolve(name + WriteBuffer.SPARE_SUFFIX))).isGreaterThan(2L << 20);
            commit(buf, 2400, 90, 1, 2);
            buf.markSynced(buf.lastCommittedSeq(), 3, 0);
            assertThat(inode(name)).isEqualTo(bulkFile);
            assertThat(Files.size(dir.resolve(name))).as("shrunk to the spare's floor")
                    .isEqualTo(LogRewriter.MIN_SPARE);
            commit(buf, 2400, 95, 3);
            assertPage(buf, 3, 95);
        }
    }

    /** Found in review: a rewrite whose copy buffer hit the direct memory limit left {@code <name>.next} behind. */
    @Test
    void aRewriteThatCannotGetItsCopyBufferLeavesNoNextFile() throws Exception {
        String name = TestSupport.NAME;
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 5))) {
            commit(buf, 64, 10, 1, 2);
            commit(buf, 64, 20, 3);
            DirectMemoryException.refuseFor = "rewrite";
            try {
                buf.markSynced(1, 1, 0);
            } catch (DirectMemoryException expected) {
                assertThat(expected).hasMessageContaining("the write buffer's rewrite");
            } finally {
                DirectMemoryException.refuseFor = null;
            }
            assertThat(dir.resolve(name + WriteBuffer.NEXT_SUFFIX)).doesNotExist();
            assertPage(buf, 3, 20);
        }
    }

    @Test
    void openDeletesALeftoverSpare() throws Exception {
        String name = TestSupport.NAME;
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 5))) {
            commit(buf, 64, 10, 1, 2);
        }
        // What a crash between keeping the spare and the rename leaves: the spare is the named log itself.
        Files.createLink(dir.resolve(name + WriteBuffer.SPARE_SUFFIX), dir.resolve(name));
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 5))) {
            assertThat(Files.exists(dir.resolve(name + WriteBuffer.SPARE_SUFFIX))).isFalse();
            buf.openGeneration(Runnable::run).generation().release();
            buf.markSynced(1, 1, 0); // never writes into the named file
            commit(buf, 64, 20, 3);
            assertPage(buf, 3, 20);
            assertThat(buf.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.CLEAN_END);
        }
    }

    @Test
    void aCrashAfterAReuseRecoversTheCommittedPrefixAndCutsTheStaleBytes() throws Exception {
        String name = TestSupport.NAME;
        Path crashed = Files.createDirectory(dir.resolve("crashed"));
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 6; round++) {
            Path live = Files.createDirectory(dir.resolve("live" + round));
            try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(live), name,
                    TestSupport.options(PS, Durability.LOCAL, round))) {
                buf.openGeneration(Runnable::run).generation().release();
                fillAndSync(buf, 5, 1);
                buf.openGeneration(Runnable::run).generation().release();
                fillAndSync(buf, 10, 2);
                buf.openGeneration(Runnable::run).generation().release();
                fillAndSync(buf, 20, 3); // into the spare: its old records lie beyond the new end
                int commits = 1 + random.nextInt(5);
                for (int c = 0; c < commits; c++) {
                    commit(buf, 64, 70 + c, pages(1 + c, 1 + c + random.nextInt(4)));
                }
                // What a kill leaves (every forced byte, nothing cut): the live file as it is now, before close. A
                // torn last record on top in odd rounds: a few bytes of a record that never finished.
                Path copy = crashed.resolve(name);
                Files.copy(live.resolve(name), copy, StandardCopyOption.REPLACE_EXISTING);
                long end = buf.logSize();
                assertThat(Files.size(copy)).as("stale bytes follow the log").isGreaterThan(end);
                if (round % 2 == 1) {
                    try (var ch = java.nio.channels.FileChannel.open(copy,
                            java.nio.file.StandardOpenOption.WRITE)) {
                        ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 0, 0, 0, 9}), end);
                    }
                }
                Files.deleteIfExists(crashed.resolve(name + WriteBuffer.LOCK_SUFFIX));
                try (WriteBuffer reopened = WriteBuffer.open(new FileLogStorage(crashed), name,
                        TestSupport.options(PS, Durability.LOCAL, round))) {
                    RecoveryReport r = reopened.recovery();
                    assertThat(r.transactions()).as("round %d", round).isEqualTo(commits);
                    assertThat(r.validLength()).isEqualTo(end);
                    assertThat(r.tail()).as("round %d: stale bytes are a torn tail, not corruption: %s", round, r)
                            .isEqualTo(RecoveryReport.TailStatus.TORN_TAIL);
                    assertThat(r.corruptionDetected()).isFalse();
                    assertThat(reopened.transactions()).hasSize(commits);
                    byte[] expected = new byte[PS];
                    byte[] got = new byte[PS];
                    for (int p = 1; p <= 64; p++) {
                        boolean held = buf.readPage(p, expected);
                        assertThat(reopened.readPage(p, got)).isEqualTo(held);
                        if (held) {
                            assertThat(got).as("page %d", p).isEqualTo(expected);
                        }
                    }
                    assertThat(Files.size(crashed.resolve(name))).as("stale tail cut").isEqualTo(end);
                }
            }
        }
    }

    @Test
    void aSpareStillReadByAPinnedGenerationIsNotWrittenAgain() throws Exception {
        String name = TestSupport.NAME;
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 4))) {
            buf.openGeneration(Runnable::run).generation().release();
            fillAndSync(buf, 5, 1);
            buf.openGeneration(Runnable::run).generation().release();
            commit(buf, 64, 10, 1, 2, 3);
            BufferGeneration pinned = buf.openGeneration(Runnable::run); // a reader's version points into it
            PageRecords held = pinned.latest(pinned.lastSeq());
            Object first = inode(name);
            fillAndSync(buf, 20, 2);
            Object second = inode(name);
            buf.openGeneration(Runnable::run).generation().release();
            commit(buf, 64, 30, 1, 2, 3);
            fillAndSync(buf, 40, 3); // the spare (the pinned file) must not be written
            assertThat(inode(name)).isNotEqualTo(first).isNotEqualTo(second);
            byte[] page = new byte[PS];
            for (int i = 0; i < held.size(); i++) {
                pinned.generation().read(held.offset(i), held.pgno(i), page);
                assertThat(page).isEqualTo(TestSupport.page(PS, 10 + (int) held.pgno(i)));
            }
            pinned.generation().release();
            buf.openGeneration(Runnable::run).generation().release();
            commit(buf, 64, 50, 1);
            fillAndSync(buf, 60, 4); // the spare is the second file now, which no one reads: written again
            assertThat(inode(name)).isEqualTo(second);
            commit(buf, 64, 70, 1, 9);
            assertPage(buf, 1, 70);
            assertPage(buf, 9, 70);
        }
    }

    /**
     * What {@code WriteSide.reopenFailedBuffer} does: a buffer stops, the engine closes it and opens the file again
     * while a reader still holds a version pinned through the first instance. The second instance never sees that
     * reader, so it must never write into the file it opened with, however many rewrites follow.
     */
    @Test
    void aReaderPinnedThroughAnEarlierInstanceKeepsItsPagesAcrossTheReopenedBuffersRewrites() throws Exception {
        String name = TestSupport.NAME;
        WriteBuffer first = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 11));
        first.openGeneration(Runnable::run).generation().release();
        commit(first, 64, 10, 1, 2, 3);
        commit(first, 64, 11, 4, 5);
        BufferGeneration pinned = first.openGeneration(Runnable::run); // the reader's version points into it
        PageRecords held = pinned.latest(pinned.lastSeq());
        first.close();
        try (WriteBuffer reopened = WriteBuffer.open(new FileLogStorage(dir), name,
                TestSupport.options(PS, Durability.LOCAL, 12))) {
            for (int s = 1; s <= 4; s++) {
                reopened.openGeneration(Runnable::run).generation().release(); // the engine's handle per file
                commit(reopened, 64, 20 * s, 1, 2, 3); // the same pages at the same offsets, in a file written again
                commit(reopened, 64, 20 * s + 1, 4, 5);
                reopened.markSynced(reopened.lastCommittedSeq(), s, 0);
                commit(reopened, 64, 20 * s + 2, 1, 2, 3, 4, 5);
            }
            byte[] page = new byte[PS];
            for (int i = 0; i < held.size(); i++) {
                pinned.generation().read(held.offset(i), held.pgno(i), page);
                int fill = held.pgno(i) <= 3 ? 10 : 11;
                assertThat(page).as("page %d of the pinned version", held.pgno(i))
                        .isEqualTo(TestSupport.page(PS, fill + (int) held.pgno(i)));
            }
        } finally {
            pinned.generation().release();
        }
    }

    /** Damage to forced records of a reused file is still refused, whatever stale bytes follow the log. */
    @Test
    void damageToForcedRecordsOfAReusedFileIsStillRefused() throws Exception {
        String name = TestSupport.NAME;
        Path crashed = Files.createDirectory(dir.resolve("crashed"));
        Path live = Files.createDirectory(dir.resolve("live"));
        long damagedAt;
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(live), name,
                TestSupport.options(PS, Durability.LOCAL, 13))) {
            for (int s = 1; s <= 3; s++) {
                buf.openGeneration(Runnable::run).generation().release();
                fillAndSync(buf, 10 * s, s);
            }
            commit(buf, 64, 70, 1, 2);
            damagedAt = buf.transactions().get(0).pages().get(1).offset() + 20; // a byte of page 2's image
            commit(buf, 64, 71, 3);
            commit(buf, 64, 72, 4); // vouches for the first as forced
            Files.copy(live.resolve(name), crashed.resolve(name)); // a kill: the stale bytes stay
        }
        try (var ch = java.nio.channels.FileChannel.open(crashed.resolve(name),
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) 0x5a}), damagedAt);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WriteBuffer.open(new FileLogStorage(crashed), name,
                TestSupport.options(PS, Durability.LOCAL, 13))).isInstanceOf(BufferDamagedException.class);
    }
}
