package dev.ltx4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streaming decoder's read-ahead on files far longer than its buffer: the buffer grows (16 KiB, 64 KiB, 128 KiB
 * for a 64 KiB page's block), moves its unread tail to the front, keeps a frame's header and size in front of its
 * block, and hashes the page index a group of entries at a time. Whatever the stream's read sizes, every page and
 * the summary come out exactly as encoded (a byte hashed twice or skipped would fail the file checksum), and damage
 * anywhere, including past the first buffer and in later index groups, is still rejected.
 */
class StreamingDecodeTest {
    /** Reads at most a random 1..max bytes per call, as a network stream may. */
    private static final class ShortReads extends InputStream {
        private final byte[] data;
        private final Random rnd;
        private final int max;
        private int pos;

        ShortReads(byte[] data, long seed, int max) {
            this.data = data;
            this.rnd = new Random(seed);
            this.max = max;
        }

        @Override
        public int read() {
            return pos < data.length ? data[pos++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (pos == data.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, 1 + rnd.nextInt(max)), data.length - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    private record File(String name, LtxHeader header, Map<Long, byte[]> pages, byte[] bytes) {}

    /** A delta of mixed 4 KiB pages, a tracked snapshot of incompressible 64 KiB pages, and 9000 small pages. */
    private static File[] files() throws IOException {
        RandomLtx gen = new RandomLtx(14);
        Map<Long, byte[]> delta = new LinkedHashMap<>();
        for (long p = 3; p <= 1200; p += 2) {
            delta.put(p, gen.page(4096));
        }
        LtxHeader dh = LtxHeader.of(0, 4096, 1300, 5, 5, 1_700_000_000_000L, TestLtx.hex("8000000000000001"));
        Map<Long, byte[]> big = new LinkedHashMap<>();
        Random rnd = new Random(3);
        for (long p = 1; p <= 6; p++) {
            byte[] b = new byte[65536];
            rnd.nextBytes(b); // LZ4 cannot shrink it: each block is longer than the 64 KiB steady buffer
            big.put(p, b);
        }
        LtxHeader bh = LtxHeader.of(0, 65536, 6, 1, 1, 1_700_000_000_000L, 0);
        Map<Long, byte[]> small = new LinkedHashMap<>();
        for (long p = 1; p <= 9000; p++) {
            small.put(p, p % 7 == 0 ? gen.page(512) : new byte[512]);
        }
        LtxHeader sh = LtxHeader.of(0, 512, 9000, 1, 1, 1_700_000_000_000L, 0);
        return new File[] {
            new File("delta-4k", dh, delta, TestLtx.encode(dh, delta, TestLtx.hex("8000000000000002"))),
            new File("snapshot-64k", bh, big, TestLtx.encode(bh, big, TestLtx.rolling(65536, big))),
            new File("snapshot-512", sh, small, TestLtx.encode(sh, small, TestLtx.rolling(512, small))),
        };
    }

    private static TestLtx.Decoded decode(InputStream in, String name) throws IOException {
        return TestLtx.decode(in, name);
    }

    @Test
    void longFilesDecodeExactlyWhateverTheReadSizes() throws IOException {
        for (File f : files()) {
            assertThat(f.bytes().length).as(f.name()).isGreaterThan(64 * 1024);
            TestLtx.Decoded whole = decode(new ByteArrayInputStream(f.bytes()), f.name());
            assertThat(whole.header()).isEqualTo(f.header());
            assertThat(whole.pages().keySet()).as(f.name()).containsExactlyElementsOf(f.pages().keySet());
            f.pages().forEach((p, data) -> assertThat(whole.pages().get(p)).as(f.name() + " page " + p).isEqualTo(data));
            assertThat(whole.summary().fileChecksum())
                    .isEqualTo(PageFrames.readLongBE(f.bytes(), f.bytes().length - 8));
            assertThat(whole.summary().pageIndex().size()).isEqualTo(f.pages().size());
            for (int max : new int[] {3, 700, 5000, 70_000}) {
                TestLtx.Decoded chunked = decode(new ShortReads(f.bytes(), max, max), f.name());
                assertThat(chunked.summary()).as(f.name() + " reads of up to " + max).isEqualTo(whole.summary());
                f.pages().forEach((p, data) ->
                        assertThat(chunked.pages().get(p)).as(f.name() + " page " + p).isEqualTo(data));
            }
        }
    }

    @Test
    void inMemoryFilesDecodeInPlaceAsStreamsDo() throws IOException {
        Random rnd = new Random(5);
        for (File f : files()) {
            TestLtx.Decoded whole = decode(new ByteArrayInputStream(f.bytes()), f.name());
            byte[] padded = new byte[f.bytes().length + 20];
            System.arraycopy(f.bytes(), 0, padded, 7, f.bytes().length);
            LtxDecoder d = new LtxDecoder(padded, 7, f.bytes().length, f.name());
            assertThat(d.header()).isEqualTo(f.header());
            byte[] buf = new byte[f.header().pageSize()];
            for (Map.Entry<Long, byte[]> p : f.pages().entrySet()) {
                assertThat(d.readPage(buf, 0)).isEqualTo(p.getKey());
                assertThat(buf).as(f.name() + " page " + p.getKey()).isEqualTo(p.getValue());
            }
            assertThat(d.readPage(buf, 0)).isZero();
            assertThat(d.summary()).isEqualTo(whole.summary());
            for (int n = 0; n < 40; n++) {
                int at = 7 + rnd.nextInt(f.bytes().length);
                byte[] bad = padded.clone();
                bad[at] ^= (byte) (1 << rnd.nextInt(8));
                int len = f.bytes().length - (n % 4 == 0 ? 1 + rnd.nextInt(f.bytes().length - 1) : 0);
                try {
                    LtxDecoder b = new LtxDecoder(bad, 7, len, "bad.ltx");
                    b.header();
                    while (b.readPage(buf, 0) != 0) {
                        // every page is checked
                    }
                    if (len == f.bytes().length) {
                        // a flip inside a block that decompresses identically is the only acceptable escape
                        assertThat(bad[at]).isNotEqualTo(padded[at]);
                        assertThat(b.summary().pageIndex()).isEqualTo(whole.summary().pageIndex());
                    } else {
                        fail(f.name() + " cut to " + len + ": accepted");
                    }
                } catch (LtxFormatException e) {
                    assertThat(e.getMessage()).contains("bad.ltx");
                }
            }
        }
    }

    @Test
    void damagePastTheFirstBufferIsRejected() throws IOException {
        Random rnd = new Random(41);
        for (File f : files()) {
            byte[] file = f.bytes();
            PageIndex idx = LtxDecoder.verify(new ByteArrayInputStream(file), f.name()).pageIndex();
            int indexStart = (int) (idx.offset(idx.size() - 1) + idx.frameSize(idx.size() - 1)) + Ltx.PAGE_HEADER_SIZE;
            int checked = 0;
            // Every frame's header and size field, the whole index (all its hash groups) and the tail.
            for (int i = 0; i < idx.size(); i += 1 + idx.size() / 25) {
                for (int k = 0; k < Ltx.PAGE_HEADER_SIZE + 4; k += 3) {
                    checked += flipRejected(file, (int) idx.offset(i) + k, rnd, f.name());
                }
            }
            for (int at = indexStart; at < file.length; at += 1 + (file.length - at) / 60) {
                checked += flipRejected(file, at, rnd, f.name());
            }
            for (int len = file.length - 1; len > 0; len -= 1 + rnd.nextInt(Math.max(1, len / 8))) {
                assertRejected(Arrays.copyOf(file, len), f.name() + " cut to " + len, rnd);
                checked++;
            }
            assertThat(checked).as(f.name()).isGreaterThan(80);
        }
    }

    private static int flipRejected(byte[] file, int at, Random rnd, String name) {
        byte[] bad = file.clone();
        bad[at] ^= (byte) (1 << rnd.nextInt(8));
        assertRejected(bad, name + " flipped at " + at, rnd);
        return 1;
    }

    private static void assertRejected(byte[] bad, String what, Random rnd) {
        try {
            LtxDecoder.verify(new ShortReads(bad, rnd.nextLong(), 1 + rnd.nextInt(9000)), "bad.ltx");
            fail(what + ": accepted");
        } catch (LtxFormatException e) {
            assertThat(e.getMessage()).as(what).contains("bad.ltx");
        } catch (IOException | RuntimeException e) {
            fail(what + ": unexpected " + e, e);
        }
    }
}
