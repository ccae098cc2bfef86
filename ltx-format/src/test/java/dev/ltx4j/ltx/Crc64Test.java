package dev.ltx4j.ltx;

import static dev.ltx4j.ltx.TestLtx.fill;
import static dev.ltx4j.ltx.TestLtx.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Crc64Test {
    /** Bit-at-a-time reference, straight from the CRC-64/GO-ISO definition. */
    private static long slowCrc(byte[] data, int off, int len) {
        long c = ~0L;
        for (int i = off; i < off + len; i++) {
            c ^= data[i] & 0xFF;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ 0xD800000000000000L : c >>> 1;
            }
        }
        return ~c;
    }

    @Test
    void checkValueAndEmpty() {
        assertThat(hex(Crc64.checksum("123456789".getBytes(StandardCharsets.US_ASCII)))).isEqualTo("b90956c775a41001");
        assertThat(Crc64.checksum(new byte[0])).isZero();
        assertThat(Crc64.update(0, new byte[5], 2, 0)).isZero();
    }

    @Test
    void matchesBitwiseReferenceForAllLengthsAndSplits() {
        Random rnd = new Random(42);
        byte[] data = new byte[300];
        rnd.nextBytes(data);
        for (int off = 0; off < 17; off++) {
            for (int len = 0; off + len <= data.length; len += 7) {
                assertThat(Crc64.checksum(data, off, len)).as("off %d len %d", off, len)
                        .isEqualTo(slowCrc(data, off, len));
            }
        }
        for (int split = 0; split <= data.length; split += 13) {
            long c = Crc64.update(0, data, 0, split);
            c = Crc64.update(c, data, split, data.length - split);
            assertThat(c).isEqualTo(slowCrc(data, 0, data.length));
        }
    }

    @Test
    void longInputsTakingTheTwoChainPathMatchTheReference() {
        Random rnd = new Random(7);
        byte[] data = new byte[300_000];
        rnd.nextBytes(data);
        int[] lengths = {1023, 1024, 1025, 1040, 1551, 2048, 4096, 4099, 8191, 65536, 131072, 131085, 262144, 299_990};
        for (int len : lengths) {
            for (int off : new int[] {0, 1, 5, 9}) {
                if (off + len > data.length) {
                    continue;
                }
                long expected = slowCrc(data, off, len);
                assertThat(Crc64.checksum(data, off, len)).as("off %d len %d", off, len).isEqualTo(expected);
                // From a running value: the head chain starts from it, the tail chain from zero.
                int cut = 1 + rnd.nextInt(100);
                long c = Crc64.update(Crc64.update(0, data, off, cut), data, off + cut, len - cut);
                assertThat(c).as("off %d len %d cut %d", off, len, cut).isEqualTo(expected);
            }
        }
    }

    @Test
    void buffersMatchTheReferenceDirectHeapAndReadOnly() {
        Random rnd = new Random(13);
        byte[] data = new byte[9000];
        rnd.nextBytes(data);
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length + 40);
        direct.position(19);
        direct.put(data);
        ByteBuffer heap = ByteBuffer.wrap(new byte[data.length + 50], 7, data.length + 20).slice(); // arrayOffset 7
        heap.put(3, data);
        ByteBuffer readOnly = heap.asReadOnlyBuffer();
        for (int round = 0; round < 300; round++) {
            int off = rnd.nextInt(40);
            int len = round < 100 ? round : rnd.nextInt(data.length - 40);
            long start = round % 2 == 0 ? 0 : rnd.nextLong();
            long expected = slowFrom(start, data, off, len);
            assertThat(Crc64.update(start, direct, 19 + off, len)).as("direct %d+%d", off, len).isEqualTo(expected);
            assertThat(Crc64.update(start, heap, 3 + off, len)).as("heap %d+%d", off, len).isEqualTo(expected);
            assertThat(Crc64.update(start, readOnly, 3 + off, len)).as("read-only %d+%d", off, len)
                    .isEqualTo(expected);
        }
        assertThat(direct.position()).isEqualTo(19 + data.length);
        assertThatThrownBy(() -> Crc64.update(0, heap, heap.limit() - 3, 4))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(Crc64.implementation()).isEqualTo("java"); // no native library in this module's tests
    }

    private static long slowFrom(long crc, byte[] data, int off, int len) {
        long c = ~crc;
        for (int i = off; i < off + len; i++) {
            c ^= data[i] & 0xFF;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ 0xD800000000000000L : c >>> 1;
            }
        }
        return ~c;
    }

    @Test
    void pageChecksumsPinnedByReference() {
        assertThat(hex(Crc64.pageChecksum(1, new byte[512], 0, 512))).isEqualTo("efb1f44fecd99000");
        assertThat(hex(Crc64.pageChecksum(1, new byte[4096], 0, 4096))).isEqualTo("d9328f592d9e733d");
        assertThat(hex(Crc64.pageChecksum(2, fill(1024, '3'), 0, 1024))).isEqualTo("815ca49babaa28bf");
    }

    @Test
    void rollingChecksumPinnedAndIncremental() {
        DatabaseChecksum s = new DatabaseChecksum(512);
        assertThat(s.value()).isEqualTo(Ltx.CHECKSUM_FLAG);
        s.toggle(1, fill(512, 1), 0);
        s.toggle(2, fill(512, 2), 0);
        s.toggle(3, fill(512, 3), 0);
        assertThat(hex(s.value())).isEqualTo("efffffffecd99000");
        // Replace page 2 and put it back: XOR out/in returns to the same value.
        s.toggle(2, fill(512, 2), 0);
        s.toggle(2, fill(512, 9), 0);
        assertThat(hex(s.value())).isNotEqualTo("efffffffecd99000");
        s.toggle(2, fill(512, 9), 0);
        s.toggle(2, fill(512, 2), 0);
        assertThat(hex(s.value())).isEqualTo("efffffffecd99000");
        assertThat(new DatabaseChecksum(512).reset(s.value()).value()).isEqualTo(s.value());
    }

    @Test
    void decoderTestSnapshotChecksums() {
        DatabaseChecksum s = new DatabaseChecksum(1024);
        s.toggle(1, fill(1024, '2'), 0);
        s.toggle(2, fill(1024, '3'), 0);
        assertThat(hex(s.value())).isEqualTo("e1899b6d587aaaaa");
    }

    @Test
    void lockPageIsExcluded() {
        // Reference fixture: 4096-byte pages of 'x' for lockPgno+10 pages, lock page zeroed.
        int ps = 4096;
        long lock = Ltx.lockPgno(ps);
        assertThat(lock).isEqualTo(262145);
        assertThat(Ltx.lockPgno(65536)).isEqualTo(16385);
        byte[] x = fill(ps, 'x');
        DatabaseChecksum s = new DatabaseChecksum(ps);
        for (long p = 1; p <= lock + 10; p++) {
            s.toggle(p, p == lock ? new byte[ps] : x, 0);
        }
        assertThat(hex(s.value())).isEqualTo("c19b668c376662c7");
    }

    @Test
    void rebaseMovesAPageChecksumOntoAnyStartingValue() {
        Random rnd = new Random(7);
        for (int ps = Ltx.MIN_PAGE_SIZE; ps <= Ltx.MAX_PAGE_SIZE; ps *= 2) {
            byte[] page = new byte[ps];
            rnd.nextBytes(page);
            long seed = Crc64.updateInt(0, rnd.nextInt());
            long fromSeed = Crc64.update(seed, page, 0, ps);
            for (long start : new long[] {0, -1, rnd.nextLong(), seed}) {
                assertThat(Crc64.rebase(fromSeed, seed, start, Crc64.zeroShift(ps)))
                        .as("page size %d, start %016x", ps, start)
                        .isEqualTo(Crc64.update(start, page, 0, ps));
            }
        }
    }

    @Test
    void pageCrcRecoversTheFullCrcFromThePageChecksum() {
        Random rnd = new Random(11);
        int seenTopSet = 0;
        int seenTopClear = 0;
        for (int ps = Ltx.MIN_PAGE_SIZE; ps <= Ltx.MAX_PAGE_SIZE; ps *= 2) {
            for (int round = 0; round < 24; round++) {
                byte[] page = new byte[ps + 16];
                int off = rnd.nextInt(9);
                switch (round % 4) {
                    case 0 -> rnd.nextBytes(page);
                    case 1 -> { } // zeros
                    case 2 -> page[off + rnd.nextInt(ps)] = (byte) (1 << rnd.nextInt(8)); // one bit set
                    default -> {
                        for (int i = off; i < off + ps * 4 / 10; i++) {
                            page[i] = (byte) rnd.nextInt(); // a B-tree-like page: data, then zeros
                        }
                    }
                }
                long pgno = round == 0 ? 0xFFFFFFFFL : 1 + rnd.nextInt(1 << 20);
                long full = Crc64.update(Crc64.updateInt(0, (int) pgno), page, off, ps);
                if (full < 0) {
                    seenTopSet++;
                } else {
                    seenTopClear++;
                }
                long sum = Crc64.pageChecksum(pgno, page, off, ps);
                assertThat(Crc64.pageCrc(pgno, sum, page, off, ps)).as("page size %d round %d", ps, round)
                        .isEqualTo(full);
            }
        }
        // The flag hides bit 63 of the CRC: both values must have come up and been recovered.
        assertThat(seenTopSet).isPositive();
        assertThat(seenTopClear).isPositive();
    }
}
