package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.internal.LogFormat;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bit rot in a 'Z' record of a buffer already open (after recovery checked its chain): a flipped literal byte still
 * decompresses to a full page, so only the stored page CRC-64 and the record's chained CRC tell it. Reads refuse the
 * page, and a log rewrite refuses to re-chain the record under its new salt (which would make it "valid").
 */
class RottenRecordTest {
    @TempDir
    Path dir;

    /** Flips one bit of the block's literals of the first page record of transaction {@code index}. */
    private static long rot(Path path, WriteBuffer b, int index) throws Exception {
        long record = b.transactions().get(index).pages().get(0).offset();
        long at = record + LogFormat.Z_HEADER + 40; // inside the 200 random literal bytes of the page
        try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
            f.seek(at);
            int v = f.read();
            f.seek(at);
            f.write(v ^ 0x10);
        }
        return record;
    }

    @Test
    void aReadRefusesARottenPageThatStillDecompresses() throws Exception {
        Path path = dir.resolve("app.buffer");
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 3))) {
            try (WriteTransaction tx = b.begin()) {
                tx.writePage(1, CompressedRecordsTest.page(1, 1));
                tx.commit(1);
            }
            long record = rot(path, b, 0);
            byte[] dst = new byte[512];
            // Before: the page came back with the flipped byte.
            assertThatThrownBy(() -> b.readPage(1, dst)).isInstanceOf(BufferCorruptException.class)
                    .hasMessageContaining("page 1").hasMessageContaining("offset " + record)
                    .hasMessageContaining("CRC-64").hasMessageContaining(path.toString());
        }
    }

    @Test
    void aLogRewriteRefusesToReChainARottenRecord() throws Exception {
        Path path = dir.resolve("app.buffer");
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 4))) {
            long synced;
            try (WriteTransaction tx = b.begin()) {
                tx.writePage(1, CompressedRecordsTest.page(1, 1));
                synced = tx.commit(1);
            }
            try (WriteTransaction tx = b.begin()) {
                tx.writePage(2, CompressedRecordsTest.page(2, 1));
                tx.commit(2);
            }
            long record = rot(path, b, 1);
            // Before: the rewrite copied the block under the new salt's chain, a "valid" record from then on.
            assertThatThrownBy(() -> b.markSynced(synced, 1, 0)).isInstanceOf(BufferCorruptException.class)
                    .hasMessageContaining("page 2").hasMessageContaining("offset " + record)
                    .hasMessageContaining("chained CRC").hasMessageContaining(path.toString());
            assertThat(b.transactions()).hasSize(2); // the old file is untouched and still current
        }
    }

    /**
     * Version 1 ('P' records, a buffer an older build wrote): the rewrite that upgrades it compresses each record
     * under the new salt's chain, so its chained CRC is checked first, as a 'Z' record's is. The record's CRC sits
     * inside it, so the one it chains from is found apart (the previous page record's, or the commit record's before a
     * transaction's first).
     */
    @Test
    void aLogRewriteRefusesToReChainARottenVersion1Record() throws Exception { // intact ones: CompressedRecordsTest
        Path path = dir.resolve("app.buffer");
        try (java.io.InputStream in = CompressedRecordsTest.class.getResourceAsStream("format-v1-512.buffer")) {
            java.nio.file.Files.write(path, in.readAllBytes()); // three commits: pages {1,2,3}, {2,5}, {1,3,4}
        }
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 5))) {
            assertThat(b.recovery().corruptionDetected()).isFalse();
            long record = b.transactions().get(2).pages().stream().filter(p -> p.pgno() == 4).findFirst()
                    .orElseThrow().offset();
            try (RandomAccessFile f = new RandomAccessFile(path.toFile(), "rw")) {
                long at = record + LogFormat.PAGE_HEADER + 40; // a byte of the page image
                f.seek(at);
                int v = f.read();
                f.seek(at);
                f.write(v ^ 0x10);
            }
            // Before: the rewrite compressed the rotten image into a 'Z' record chained under the new salt.
            assertThatThrownBy(() -> b.markSynced(1, 1, 0)).isInstanceOf(BufferCorruptException.class)
                    .hasMessageContaining("page 4").hasMessageContaining("offset " + record)
                    .hasMessageContaining("chained CRC").hasMessageContaining(path.toString());
            assertThat(b.transactions()).hasSize(3); // the old file is untouched and still current
        }
    }
}
