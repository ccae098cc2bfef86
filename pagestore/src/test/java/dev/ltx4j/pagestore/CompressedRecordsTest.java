package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.internal.LogHeader;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Buffer format version 2 ('Z' records: pages stored LZ4-compressed with their page CRC-64, docs/write-buffer-recovery.md)
 * and the upgrade from version 1: a buffer an older build wrote, with unsynced commits, opens, recovers, takes more
 * commits in its own format, syncs (the rewrite makes a version 2 file) and keeps every page.
 */
class CompressedRecordsTest {
    @TempDir
    Path dir;

    /** The image of {@code pgno} written in round {@code round}, as {@code format-v1-512.README} writes them. */
    static byte[] page(int pgno, int round) {
        SplittableRandom r = new SplittableRandom(pgno * 31L + round);
        byte[] p = new byte[512];
        for (int i = 0; i < 200; i++) {
            p[i] = (byte) r.nextInt();
        }
        p[511] = (byte) round;
        return p;
    }

    private static int version(Path path) throws Exception {
        return ByteBuffer.wrap(Files.readAllBytes(path), 8, 4).getInt();
    }

    private static void expectPages(WriteBuffer b, int[][] latest) throws Exception {
        byte[] dst = new byte[512];
        for (int[] pr : latest) {
            assertThat(b.readPage(pr[0], dst)).as("page %d", pr[0]).isTrue();
            assertThat(dst).as("page %d", pr[0]).isEqualTo(page(pr[0], pr[1]));
        }
        SyncSnapshot snap = b.snapshot();
        SyncSnapshot.Cursor cursor = snap.cursor();
        for (int i = 0; i < snap.pageCount(); i++) {
            cursor.read(i, dst);
            byte[] direct = new byte[512];
            snap.readPage(i, direct);
            assertThat(dst).as("cursor page %d", snap.pgno(i)).isEqualTo(direct);
        }
    }

    @Test
    void aVersion1BufferWithUnsyncedCommitsOpensTakesCommitsAndSyncsIntoVersion2() throws Exception {
        Path path = dir.resolve("app.buffer");
        try (InputStream in = CompressedRecordsTest.class.getResourceAsStream("format-v1-512.buffer")) {
            Files.write(path, in.readAllBytes()); // written by main 82621a4 (format-v1-512.README)
        }
        assertThat(version(path)).isEqualTo(1);
        int[][] latest = {{1, 3}, {2, 2}, {3, 3}, {4, 3}, {5, 2}};
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 3))) {
            assertThat(b.recovery().corruptionDetected()).isFalse();
            assertThat(b.transactions()).hasSize(3);
            expectPages(b, latest);
            try (WriteTransaction tx = b.begin()) { // appended in the file's own format
                tx.writePage(2, page(2, 4));
                tx.writePage(6, page(6, 4));
                byte[] own = new byte[512];
                assertThat(tx.readPage(6, own)).isTrue();
                assertThat(own).isEqualTo(page(6, 4));
                tx.commit(6);
            }
        }
        assertThat(version(path)).isEqualTo(1);
        assertThat(Files.size(path)).isEqualTo(4408 + 2 * (12 + 512) + 40);
        int[][] after4 = {{1, 3}, {2, 4}, {3, 3}, {4, 3}, {5, 2}, {6, 4}};
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 4))) {
            assertThat(b.transactions()).hasSize(4);
            expectPages(b, after4);
            b.markSynced(2, 5, 0); // the rewrite: transactions 3 and 4 move into a version 2 file
            assertThat(version(path)).isEqualTo(LogHeader.VERSION);
            expectPages(b, new int[][] {{1, 3}, {2, 4}, {3, 3}, {4, 3}, {6, 4}}); // page 5's last image is synced
            assertThat(b.readPage(5, new byte[512])).isFalse();
            try (WriteTransaction tx = b.begin()) {
                tx.writePage(1, page(1, 5));
                tx.commit(6);
            }
        }
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 5))) {
            assertThat(b.recovery().corruptionDetected()).isFalse();
            List<CommittedTransaction> txns = b.transactions();
            assertThat(txns).extracting(CommittedTransaction::seq).containsExactly(3L, 4L, 5L);
            expectPages(b, new int[][] {{1, 5}, {2, 4}, {3, 3}, {4, 3}, {6, 4}});
        }
    }

    /** Three transactions of five pages each, forced one by one (each commit vouches for the one before). */
    private static Path writeThree(Path path) throws Exception {
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 8))) {
            for (int t = 1; t <= 3; t++) {
                try (WriteTransaction tx = b.begin()) {
                    for (int p = 1; p <= 5; p++) {
                        tx.writePage(p, page(p, t));
                    }
                    tx.commit(5);
                }
            }
        }
        return path;
    }

    /** Offset of the first record of the {@code t}-th transaction (1-based). */
    private static long firstRecord(Path path, int t) throws Exception {
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 9))) {
            return b.transactions().get(t - 1).pages().get(0).offset();
        }
    }

    /**
     * Damage in a 'Z' record vouched for by later commits (a byte of the block, the length field pushed beyond the
     * LZ4 bound, the stored page CRC-64) is refused at open, naming the offset, and the file is left unchanged.
     */
    @ParameterizedTest
    @ValueSource(ints = {LogFormat.Z_HEADER + 2, LogFormat.Z_LENGTH, LogFormat.Z_LENGTH + 3, LogFormat.Z_PAGE_CRC + 7})
    void damageInsideACompressedRecordIsRefusedNotTruncated(int within) throws Exception {
        Path path = writeThree(dir.resolve("d.buffer"));
        long at = firstRecord(path, 2) + within;
        byte[] bytes = Files.readAllBytes(path);
        bytes[(int) at] ^= (byte) 0x40;
        Files.write(path, bytes);
        assertThatThrownBy(() -> WriteBuffer.open(path, options(512, Durability.LOCAL, 10)).close())
                .isInstanceOf(BufferDamagedException.class).hasMessageContaining(path.toString());
        assertThat(Files.readAllBytes(path)).isEqualTo(bytes);
    }

    /** The same damage in the last transaction, which nothing vouches for, is a torn tail: cut, earlier commits kept. */
    @ParameterizedTest
    @ValueSource(ints = {LogFormat.Z_HEADER + 2, LogFormat.Z_LENGTH, LogFormat.Z_PAGE_CRC + 7})
    void damageInTheLastTransactionIsCutAsATornTail(int within) throws Exception {
        Path path = writeThree(dir.resolve("t.buffer"));
        long cut = firstRecord(path, 3);
        long at = cut + within;
        byte[] bytes = Files.readAllBytes(path);
        bytes[(int) at] ^= (byte) 0x40;
        Files.write(path, bytes);
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 11))) {
            assertThat(b.transactions()).hasSize(2);
            assertThat(b.recovery().validLength()).isEqualTo(cut);
            byte[] dst = new byte[512];
            assertThat(b.readPage(4, dst)).isTrue();
            assertThat(dst).isEqualTo(page(4, 2));
        }
    }

    /**
     * A read of a buffered page whose block no longer decompresses to exactly one page (damaged after recovery) is
     * a typed error naming the page and the file, never a wrong page; a read through a pinned generation likewise.
     */
    @Test
    void aBlockThatDoesNotDecompressToOnePageIsADamagedBufferOnRead() throws Exception {
        Path path = dir.resolve("r.buffer");
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 12))) {
            try (WriteTransaction tx = b.begin()) {
                tx.writePage(1, page(1, 1));
                tx.commit(1);
            }
            long offset = b.transactions().get(0).pages().get(0).offset();
            // Shorten the block by one (a valid length): it decompresses to fewer bytes or not at all.
            byte[] all = Files.readAllBytes(path);
            int n = ByteBuffer.wrap(all).getInt((int) offset + LogFormat.Z_LENGTH);
            ByteBuffer.wrap(all).putInt((int) offset + LogFormat.Z_LENGTH, n - 1);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path,
                    java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(all, (int) offset + LogFormat.Z_LENGTH, 4), offset + LogFormat.Z_LENGTH);
            }
            byte[] dst = new byte[512];
            assertThatThrownBy(() -> b.readPage(1, dst)).isInstanceOf(BufferCorruptException.class)
                    .hasMessageContaining("page 1").hasMessageContaining(path.toString())
                    .hasMessageContaining("decompress");
            LocalGeneration g = b.openGeneration(Runnable::run).generation();
            try {
                assertThatThrownBy(() -> g.read(offset, 1, dst)).isInstanceOf(BufferCorruptException.class)
                        .hasMessageContaining("page 1").hasMessageContaining("decompress");
            } finally {
                g.release();
            }
        }
    }
}
