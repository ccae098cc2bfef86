package dev.ltx4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Encoding with page checksums known in advance writes the same bytes as hashing every page. */
class KnownChecksumEncodeTest {
    private static byte[] encode(LtxHeader h, long[] pgnos, byte[][] pages, boolean known, long post)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder e = new LtxEncoder(out, h, "test");
        for (int i = 0; i < pgnos.length; i++) {
            long sum = known ? Crc64.pageChecksum(pgnos[i], pages[i], 0, h.pageSize()) : 0;
            e.writePage(pgnos[i], pages[i], 0, sum);
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
            byte[] hashed = encode(h, pgnos, pages, false, Ltx.CHECKSUM_FLAG | 4);
            byte[] known = encode(h, pgnos, pages, true, Ltx.CHECKSUM_FLAG | 4);
            assertThat(known).as("page size %d", ps).isEqualTo(hashed);
            LtxDecoder.verify(new ByteArrayInputStream(known), "known");
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
        assertThat(encode(h, pgnos, pages, true, sum.value())).isEqualTo(encode(h, pgnos, pages, false, sum.value()));
    }

    @Test
    void aChecksumWithoutTheFlagIsRefused() throws IOException {
        LtxEncoder e = new LtxEncoder(OutputStream.nullOutputStream(),
                LtxHeader.of(0, 512, 1, 2, 2, 0, Ltx.CHECKSUM_FLAG));
        assertThatThrownBy(() -> e.writePage(1, new byte[512], 0, 42)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("page 1");
    }
}
