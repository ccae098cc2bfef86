package dev.ltx4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every truncation and (nearly) every bit flip of valid files is rejected with LtxFormatException, never with an
 * unchecked exception. Flips the format cannot detect (inside a compressed payload that still decompresses to
 * the same page) must leave the decoded content unchanged. Scale the random sample with
 * {@code -Dltx.bitflips=N} (default 6000).
 */
class CorruptionTest {
    private static final int RANDOM_FLIPS = Integer.getInteger("ltx.bitflips", 6000);

    private static List<byte[]> corpus() throws IOException {
        List<byte[]> files = new ArrayList<>();
        for (String v : new String[] {"V1", "V2", "V3", "V4", "V5", "V6", "C2", "C3", "L1", "L2"}) {
            files.add(TestLtx.vector(v));
        }
        RandomLtx gen = new RandomLtx(7);
        while (files.size() < 14) {
            RandomLtx.Generated g = gen.next();
            if (g.pages().size() >= 2 && g.bytes().length < 20000) {
                files.add(g.bytes());
            }
        }
        return files;
    }

    @Test
    void everyTruncationIsRejected() throws IOException {
        int checked = 0;
        for (byte[] file : corpus()) {
            for (int len = 0; len < file.length; len++) {
                byte[] cut = Arrays.copyOf(file, len);
                assertRejected(cut, "truncated to " + len);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(3000);
    }

    @Test
    void trailingBytesAreRejected() throws IOException {
        byte[] file = TestLtx.vector("V1");
        byte[] longer = Arrays.copyOf(file, file.length + 1);
        assertThatThrownBy(() -> LtxDecoder.verify(new ByteArrayInputStream(longer), "V1+1"))
                .isInstanceOf(LtxFormatException.class)
                .satisfies(e -> assertThat(((LtxFormatException) e).field()).isEqualTo("trailer"))
                .hasMessageContaining("V1+1");
    }

    @Test
    void everyBitFlipOfTheVectorsIsHandled() throws IOException {
        int undetected = 0;
        int total = 0;
        for (String v : new String[] {"V1", "V2", "V3", "V5", "L1", "L2"}) {
            byte[] file = TestLtx.vector(v);
            var original = TestLtx.decode(file, v);
            for (int i = 0; i < file.length; i++) {
                for (int bit = 0; bit < 8; bit++) {
                    undetected += flipAndCheck(file, original.pages(), i, bit) ? 0 : 1;
                    total++;
                }
            }
        }
        // Only payload flips that decompress identically can pass; they are rare.
        assertThat(undetected).isLessThan(total / 50);
    }

    @Test
    void randomBitFlipsOfLargerFilesAreHandled() throws IOException {
        Random rnd = new Random(99);
        List<byte[]> files = corpus();
        List<Map<Long, byte[]>> decoded = new ArrayList<>();
        for (byte[] f : files) {
            decoded.add(TestLtx.decode(f, "x").pages());
        }
        int detected = 0;
        for (int n = 0; n < RANDOM_FLIPS; n++) {
            int k = rnd.nextInt(files.size());
            byte[] f = files.get(k);
            detected += flipAndCheck(f, decoded.get(k), rnd.nextInt(f.length), rnd.nextInt(8)) ? 1 : 0;
        }
        assertThat(detected).isGreaterThan(RANDOM_FLIPS * 9 / 10);
    }

    /** @return true if the flip was rejected; false if it was accepted with unchanged content */
    private static boolean flipAndCheck(byte[] file, Map<Long, byte[]> pages, int i, int bit) {
        byte[] bad = file.clone();
        bad[i] ^= (byte) (1 << bit);
        String what = "flip byte " + i + " bit " + bit;
        try {
            var d = TestLtx.decode(bad, "flipped.ltx");
            assertThat(d.pages().keySet()).as(what).containsExactlyElementsOf(pages.keySet());
            pages.forEach((p, data) -> assertThat(d.pages().get(p)).as(what).isEqualTo(data));
            return false;
        } catch (LtxFormatException e) {
            assertThat(e.getMessage()).as(what).contains("flipped.ltx");
            assertThat(e.field()).as(what).isNotBlank();
            return true;
        } catch (IOException | RuntimeException e) {
            fail(what + ": unexpected " + e, e);
            return false;
        }
    }

    private static void assertRejected(byte[] bad, String what) {
        try {
            LtxDecoder.verify(new ByteArrayInputStream(bad), "bad.ltx");
            fail(what + ": accepted");
        } catch (LtxFormatException e) {
            assertThat(e.getMessage()).as(what).contains("bad.ltx");
        } catch (IOException | RuntimeException e) {
            fail(what + ": unexpected " + e, e);
        }
    }

    @Test
    void tailCorruptionNeverEscapesAsUncheckedForRandomAccess() throws IOException {
        Random rnd = new Random(5);
        int rejected = 0;
        for (byte[] file : corpus()) {
            for (int n = 0; n < 300; n++) {
                byte[] bad = file.clone();
                int i = Math.max(0, bad.length - 1 - rnd.nextInt(Math.min(bad.length, 80)));
                bad[i] ^= (byte) (1 << rnd.nextInt(8));
                try {
                    PageIndex idx = PageIndex.read((off, len) -> Arrays.copyOfRange(bad, (int) off, (int) (off + len)),
                            bad.length, "tail.ltx");
                    byte[] page = new byte[65536];
                    for (int e = 0; e < idx.size(); e++) {
                        int ps = LtxHeader.parse(bad, "tail.ltx").pageSize();
                        if (Ltx.isValidPageSize(ps)) {
                            LtxFrame.decode(bad, (int) idx.offset(e), idx.frameSize(e), idx.pgno(e), ps, page, 0,
                                    "tail.ltx");
                        }
                    }
                } catch (LtxFormatException e) {
                    rejected++;
                }
            }
        }
        assertThat(rejected).isPositive();
    }

    @Test
    void frameDecodeRejectsTruncationAndWrongPage() throws IOException {
        byte[] file = TestLtx.vector("V2");
        byte[] page = new byte[1024];
        for (int len = 0; len < 36; len++) {
            int l = len;
            assertThatThrownBy(() -> LtxFrame.decode(file, 100, l, 1, 1024, page, 0, "V2"))
                    .isInstanceOf(LtxFormatException.class);
        }
        assertThatThrownBy(() -> LtxFrame.decode(file, 100, 37, 1, 1024, page, 0, "V2"))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("trailing");
        assertThatThrownBy(() -> LtxFrame.decode(file, 100, 36, 2, 1024, page, 0, "V2"))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("page[2].pgno");
        assertThatThrownBy(() -> LtxFrame.decode(file, 100, 36, 1, 2048, new byte[2048], 0, "V2"))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("page[1].data");
    }
}
