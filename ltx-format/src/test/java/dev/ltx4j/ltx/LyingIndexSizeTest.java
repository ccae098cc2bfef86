package dev.ltx4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Field probe round 7 (docs/field-probes.md): a page index size field that lies (a flipped bit, a hostile file) but
 * stays inside the file. Before, {@link PageIndex#read} downloaded and held whatever it claimed, up to the whole file
 * (a flipped bit 29 in a 1 GiB snapshot: a 512 MiB read and five times that in index arrays), then refused. Now the
 * last index entry, which the tail read holds, fixes the size: a lie costs no read beyond the tail.
 */
class LyingIndexSizeTest {
    /** 6,000 pages of 512 bytes: an index of about 40 KB, larger than the 32 KiB tail read. */
    private static byte[] bigIndexSnapshot() throws IOException {
        int n = 6000;
        Map<Long, byte[]> pages = new LinkedHashMap<>();
        for (long p = 1; p <= n; p++) {
            byte[] b = new byte[512];
            b[(int) (p % 512)] = (byte) p;
            pages.put(p, b);
        }
        return TestLtx.encode(LtxHeader.of(0, 512, n, 1, 1, 1000, 0), pages, TestLtx.rolling(512, pages));
    }

    private static PageIndex read(byte[] file, AtomicLong requested, AtomicLong requests) throws IOException {
        return PageIndex.read((off, len) -> {
            requested.addAndGet(len);
            requests.incrementAndGet();
            return Arrays.copyOfRange(file, (int) off, (int) (off + len));
        }, file.length, "L9/big.ltx");
    }

    @Test
    void aLyingIndexSizeCostsNoReadBeyondTheTail() throws IOException {
        byte[] file = bigIndexSnapshot();
        long real = PageFrames.readLongBE(file, file.length - 24);
        assertThat(real).isGreaterThan(PageIndex.TAIL_READ);
        AtomicLong bytes = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        assertThat(read(file, bytes, requests).size()).isEqualTo(6000);
        assertThat(requests.get()).as("a valid large index: tail, then the index").isEqualTo(2);
        for (long lie : new long[] {real + 1, real + 4096, file.length / 2, file.length - 200, real | (1L << 16)}) {
            byte[] bad = file.clone();
            PageFrames.writeLongBE(bad, bad.length - 24, lie);
            AtomicLong lied = new AtomicLong();
            assertThatThrownBy(() -> read(bad, lied, new AtomicLong())).isInstanceOf(LtxFormatException.class)
                    .hasMessageContaining("L9/big.ltx").hasMessageContaining("pageIndex.size")
                    .hasMessageContaining("index size field reads " + lie)
                    .hasMessageContaining("puts it at " + real + " bytes");
            assertThat(lied.get()).as("bytes read for a size field claiming " + lie).isEqualTo(PageIndex.TAIL_READ);
        }
    }

    @Test
    void aDamagedLastEntryIsRefusedBeforeTheSecondRead() throws IOException {
        byte[] file = bigIndexSnapshot();
        byte[] bad = file.clone();
        bad[bad.length - 25] = 7; // the terminator
        AtomicLong bytes = new AtomicLong();
        assertThatThrownBy(() -> read(bad, bytes, new AtomicLong())).isInstanceOf(LtxFormatException.class)
                .hasMessageContaining("L9/big.ltx").hasMessageContaining("terminator");
        assertThat(bytes.get()).isEqualTo(PageIndex.TAIL_READ);
    }
}
