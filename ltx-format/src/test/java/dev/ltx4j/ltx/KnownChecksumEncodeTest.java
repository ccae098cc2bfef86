package dev.ltx4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Encoding with page checksums known in advance writes the same bytes as hashing every page. */
class KnownChecksumEncodeTest {
    enum Source { HASHED, KNOWN, CHECKSUMMED, DIRECT_BUFFER, HEAP_BUFFER, CHECKSUMMED_DIRECT, CHECKSUMMED_HEAP,
        /** Compressed and hashed ahead ({@link PageBlock}, as the write buffer stores pages), the frame copied. */
        PREPARED_DIRECT, PREPARED_HEAP }

    private static byte[] encode(LtxHeader h, long[] pgnos, byte[][] pages, Source source, long post)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder e = new LtxEncoder(out, h, "test");
        int ps = h.pageSize();
        boolean direct = source == Source.DIRECT_BUFFER || source == Source.CHECKSUMMED_DIRECT;
        ByteBuffer buf = direct ? ByteBuffer.allocateDirect(ps + 21)
                : ByteBuffer.allocate(ps + 21);
        for (int i = 0; i < pgnos.length; i++) {
            long sum = Crc64.pageChecksum(pgnos[i], pages[i], 0, ps);
            switch (source) {
                case HASHED -> e.writePage(pgnos[i], pages[i], 0, 0);
                case KNOWN -> e.writePage(pgnos[i], pages[i], 0, sum);
                case CHECKSUMMED -> assertThat(e.writePageChecksummed(pgnos[i], pages[i], 0)).isEqualTo(sum);
                case PREPARED_DIRECT, PREPARED_HEAP -> {
                    ByteBuffer block = source == Source.PREPARED_DIRECT
                            ? ByteBuffer.allocateDirect(PageBlock.maxBlockSize(ps) + 40)
                            : ByteBuffer.allocate(PageBlock.maxBlockSize(ps) + 40);
                    int at = 7 + i % 8; // unaligned, after other bytes, as in a sync's read window
                    int n = PageBlock.compress(ByteBuffer.wrap(pages[i]), 0, ps, block, at);
                    long crc = PageBlock.pageCrc(pgnos[i], ByteBuffer.wrap(pages[i]), 0, ps);
                    assertThat(crc).isEqualTo(PageBlock.pageCrc(pgnos[i], pages[i], 0, ps));
                    byte[] back = new byte[ps];
                    assertThat(PageBlock.decompress(block, at, n, back, ps)).isEqualTo(ps);
                    assertThat(back).isEqualTo(pages[i]);
                    assertThat(e.writeCompressedPage(pgnos[i], block.asReadOnlyBuffer(), at, n, crc)).isEqualTo(sum);
                }
                default -> {
                    buf.clear().position(13 + i % 8); // unaligned, after other bytes, as in a read window
                    buf.put(pages[i]);
                    if (source == Source.CHECKSUMMED_DIRECT || source == Source.CHECKSUMMED_HEAP) {
                        // hashed and compressed where the page is (a sync's read window), checksum returned
                        assertThat(e.writePageChecksummed(pgnos[i], buf.asReadOnlyBuffer(), 13 + i % 8))
                                .isEqualTo(sum);
                    } else {
                        e.writePage(pgnos[i], buf.asReadOnlyBuffer(), 13 + i % 8, sum);
                    }
                }
            }
        }
        e.finish(post);
        return out.toByteArray();
    }

    @Test
    void sameBytesAsHashingEachPage() throws IOException {
        Random rnd = new Random(5);
        for (int ps : new int[] {512, 4096, 65536}) {
            long[] pgnos = {1, 2, 5, 9, 300, 301, 70_000};
            byte[][] pages = new byte[pgnos.length][ps];
            for (byte[] p : pages) {
                for (int i = 0; i < ps / 3; i++) {
                    p[i] = (byte) rnd.nextInt();
                }
            }
            LtxHeader h = LtxHeader.of(0, ps, 70_000, 7, 7, 1_700_000_000_000L, Ltx.CHECKSUM_FLAG | 3);
            byte[] hashed = encode(h, pgnos, pages, Source.HASHED, Ltx.CHECKSUM_FLAG | 4);
            LtxDecoder.verify(new ByteArrayInputStream(hashed), "hashed");
            for (Source s : Source.values()) {
                assertThat(encode(h, pgnos, pages, s, Ltx.CHECKSUM_FLAG | 4)).as("page size %d, %s", ps, s)
                        .isEqualTo(hashed);
            }
        }
    }

    @Test
    void snapshotsTooAndTheirPostApplyCheck() throws IOException {
        int ps = 4096;
        long[] pgnos = {1, 2, 3};
        byte[][] pages = {TestLtx.fill(ps, 1), TestLtx.fill(ps, 2), new byte[ps]};
        DatabaseChecksum sum = new DatabaseChecksum(ps);
        for (int i = 0; i < 3; i++) {
            sum.toggle(pgnos[i], pages[i], 0);
        }
        LtxHeader h = LtxHeader.of(0, ps, 3, 1, 1, 1_700_000_000_000L, 0);
        byte[] hashed = encode(h, pgnos, pages, Source.HASHED, sum.value());
        for (Source s : Source.values()) {
            assertThat(encode(h, pgnos, pages, s, sum.value())).as("%s", s).isEqualTo(hashed);
        }
    }

    @Test
    void aChecksumWithoutTheFlagIsRefused() throws IOException {
        LtxEncoder e = new LtxEncoder(OutputStream.nullOutputStream(),
                LtxHeader.of(0, 512, 1, 2, 2, 0, Ltx.CHECKSUM_FLAG));
        assertThatThrownBy(() -> e.writePage(1, new byte[512], 0, 42)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("page 1");
        assertThatThrownBy(() -> e.writePage(1, ByteBuffer.allocate(512), 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs its page checksum");
        assertThatThrownBy(() -> e.writePageChecksummed(1, ByteBuffer.allocateDirect(600), 100))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("invalid page buffer size: 500");
    }

    @Test
    void aPreparedFrameMeetsTheSameRulesAndItsLengthIsBounded() throws IOException {
        int ps = 512;
        LtxEncoder e = new LtxEncoder(OutputStream.nullOutputStream(), LtxHeader.of(0, ps, 4, 2, 2, 0,
                Ltx.CHECKSUM_FLAG));
        ByteBuffer block = ByteBuffer.allocate(PageBlock.maxBlockSize(ps) + 1);
        int n = PageBlock.compress(ByteBuffer.wrap(new byte[ps]), 0, ps, block, 0);
        assertThatThrownBy(() -> e.writeCompressedPage(5, block, 0, n, 1)).isInstanceOf(LtxFormatException.class)
                .hasMessageContaining("out-of-bounds");
        assertThatThrownBy(() -> e.writeCompressedPage(2, block, 0, PageBlock.maxBlockSize(ps) + 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("compressed page 2");
        assertThatThrownBy(() -> e.writeCompressedPage(2, block, 0, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside 1..");
        e.writeCompressedPage(3, block, 0, n, PageBlock.pageCrc(3, new byte[ps], 0, ps));
        assertThatThrownBy(() -> e.writeCompressedPage(2, block, 0, n, 1)).isInstanceOf(LtxFormatException.class)
                .hasMessageContaining("out-of-order");
        // A damaged block is no page: the decoder's safe decompressor says so instead of overrunning.
        byte[] dst = new byte[ps];
        assertThat(PageBlock.decompress(ByteBuffer.wrap(new byte[] {(byte) 0xF0, 1, 2}), 0, 3, dst, ps))
                .isNotEqualTo(ps);
    }
}
