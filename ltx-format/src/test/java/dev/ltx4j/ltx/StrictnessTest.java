package dev.ltx4j.ltx;

import static dev.ltx4j.ltx.TestLtx.fill;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

/**
 * Files the Go decoder accepts but the format forbids, crafted with a valid file checksum so that only the
 * structural rule can reject them; and the encoder's rules.
 */
class StrictnessTest {
    private static final int NC = Ltx.HEADER_FLAG_NO_CHECKSUM;

    /** Writes frames as given (any order, any content) with a correct index and file checksum. */
    private static final class Raw {
        final LtxHeader header;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final List<long[]> index = new ArrayList<>();
        long crc;

        Raw(LtxHeader header) {
            this.header = header;
            byte[] h = header.toBytes();
            out.writeBytes(h);
            crc = Crc64.update(0, h, 0, h.length);
        }

        /** A block frame whose payload decompresses to {@code page} (which may be the wrong size). */
        Raw page(long pgno, byte[] page) {
            byte[] block = LZ4Factory.safeInstance().fastCompressor().compress(page);
            ByteBuffer f = ByteBuffer.allocate(10 + block.length);
            f.putInt((int) pgno).putShort((short) 1).putInt(block.length).put(block);
            index.add(new long[] {pgno, out.size(), f.capacity()});
            crc = Crc64.update(crc, f.array(), 0, 10);
            crc = Crc64.update(crc, page, 0, page.length);
            out.writeBytes(f.array());
            return this;
        }

        byte[] finish(long post, long indexSizeDelta, boolean dropLastIndexEntry) {
            byte[] tail = new byte[6 + index.size() * 30 + 1 + 8 + 8];
            int p = 6;
            for (int i = 0; i < index.size() - (dropLastIndexEntry ? 1 : 0); i++) {
                for (long v : index.get(i)) {
                    p = LtxEncoder.putUvarint(tail, p, v);
                }
            }
            tail[p++] = 0;
            PageFrames.writeLongBE(tail, p, p - 6 + indexSizeDelta);
            p += 8;
            PageFrames.writeLongBE(tail, p, post);
            p += 8;
            crc = Crc64.update(crc, tail, 0, p);
            out.write(tail, 0, p);
            out.writeBytes(ByteBuffer.allocate(8).putLong(Ltx.CHECKSUM_FLAG | crc).array());
            return out.toByteArray();
        }

        byte[] finish() {
            return finish(0, 0, false);
        }
    }

    private static void assertRejected(byte[] file, String field, String message) {
        assertThatThrownBy(() -> LtxDecoder.verify(new ByteArrayInputStream(file), "crafted.ltx"))
                .isInstanceOf(LtxFormatException.class)
                .hasMessageContaining("crafted.ltx").hasMessageContaining(message)
                .satisfies(e -> assertThat(((LtxFormatException) e).field()).isEqualTo(field));
    }

    private static LtxHeader inc(int pageSize, long commit) {
        return LtxHeader.of(NC, pageSize, commit, 5, 5, 0, 0);
    }

    @Test
    void craftedControlFileIsAccepted() throws IOException {
        byte[] ok = new Raw(inc(512, 4)).page(2, fill(512, 2)).page(4, fill(512, 4)).finish();
        assertThat(LtxDecoder.verify(new ByteArrayInputStream(ok), "ok").pageCount()).isEqualTo(2);
    }

    @Test
    void decoderRejectsWhatGoAccepts() {
        assertRejected(new Raw(inc(512, 4)).page(3, fill(512, 3)).page(2, fill(512, 2)).finish(),
                "page[2].pgno", "out-of-order");
        assertRejected(new Raw(inc(512, 4)).page(3, fill(512, 3)).page(3, fill(512, 3)).finish(),
                "page[3].pgno", "out-of-order");
        assertRejected(new Raw(inc(512, 2)).page(3, fill(512, 3)).finish(), "page[3].pgno", "out-of-bounds");
        long lock = Ltx.lockPgno(65536);
        assertRejected(new Raw(inc(65536, lock + 1)).page(lock, new byte[65536]).finish(),
                "page[" + lock + "].pgno", "lock page");
        assertRejected(new Raw(inc(512, 2)).page(1, fill(500, 1)).finish(), "page[1].data", "500 bytes");
        assertRejected(new Raw(LtxHeader.of(NC, 512, 3, 1, 1, 0, 0)).page(1, fill(512, 1)).page(2, fill(512, 2)).finish(),
                "page", "snapshot is incomplete");
        assertRejected(new Raw(LtxHeader.of(NC, 512, 3, 1, 1, 0, 0)).page(2, fill(512, 1)).finish(),
                "page[2].pgno", "nonsequential");
        assertRejected(new Raw(inc(512, 2)).page(1, fill(512, 1)).finish(0, 1, false), "pageIndex.size", "index size field");
        assertRejected(new Raw(inc(512, 2)).page(1, fill(512, 1)).page(2, fill(512, 2)).finish(0, 0, true),
                "pageIndex[1].pgno", "index ends after 1 entries");
        assertRejected(new Raw(inc(512, 2)).page(1, fill(512, 1)).finish(Ltx.CHECKSUM_FLAG | 5, 0, false),
                "trailer.postApplyChecksum", "not allowed");
        long snapSum = Crc64.pageChecksum(1, fill(512, 1), 0, 512);
        assertRejected(new Raw(LtxHeader.of(0, 512, 1, 1, 1, 0, 0)).page(1, fill(512, 1)).finish(snapSum ^ 1, 0, false),
                "trailer.postApplyChecksum", "does not match calculated checksum");
    }

    @Test
    void oversizedCompressedSizeIsRejectedBeforeReading() {
        byte[] file = new Raw(inc(512, 2)).page(1, fill(512, 1)).finish();
        ByteBuffer.wrap(file).putInt(106, 0x7FFFFFFF);
        assertRejected(file, "page[1].compressedSize", "outside 1..530");
    }

    @Test
    void encoderRules() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        LtxEncoder e = new LtxEncoder(sink, inc(512, 3), "enc");
        assertThatThrownBy(() -> e.writePage(4, fill(512, 1), 0)).hasMessageContaining("out-of-bounds for commit size 3");
        assertThatThrownBy(() -> e.writePage(0, fill(512, 1), 0)).isInstanceOf(LtxFormatException.class);
        assertThatThrownBy(() -> e.writePage(1, fill(100, 1), 0)).hasMessageContaining("invalid page buffer size");
        e.writePage(2, fill(512, 1), 0);
        assertThatThrownBy(() -> e.writePage(2, fill(512, 1), 0)).hasMessageContaining("out-of-order page numbers: 2,2");
        assertThatThrownBy(() -> e.finish(Ltx.CHECKSUM_FLAG)).hasMessageContaining("post-apply checksum not allowed");

        LtxEncoder snap = new LtxEncoder(sink, LtxHeader.of(NC, 512, 3, 1, 1, 0, 0), "snap");
        assertThatThrownBy(() -> snap.writePage(2, fill(512, 1), 0)).hasMessageContaining("must start with page number 1");
        snap.writePage(1, fill(512, 1), 0);
        assertThatThrownBy(() -> snap.writePage(3, fill(512, 1), 0)).hasMessageContaining("nonsequential");
        snap.writePage(2, fill(512, 1), 0);
        assertThatThrownBy(() -> snap.finish(0)).hasMessageContaining("snapshot must hold pages 1..3");

        LtxEncoder big = new LtxEncoder(sink, inc(65536, 20000), "big");
        long lock = Ltx.lockPgno(65536);
        assertThatThrownBy(() -> big.writePage(lock, new byte[65536], 0)).hasMessageContaining("cannot encode lock page: pgno=16385");
        big.writePage(lock - 1, new byte[65536], 0);
        big.writePage(lock + 1, new byte[65536], 0);

        LtxEncoder tracked = new LtxEncoder(sink, LtxHeader.of(0, 512, 2, 2, 2, 0, Ltx.CHECKSUM_FLAG | 1), "t");
        assertThatThrownBy(() -> tracked.finish(0)).hasMessageContaining("post-apply checksum required");
        assertThatThrownBy(() -> tracked.finish(1)).hasMessageContaining("invalid post-apply checksum format");
        assertThatThrownBy(() -> new LtxEncoder(sink, LtxHeader.of(0, 500, 2, 2, 2, 0, 0)))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("invalid page size: 500");
    }
}
