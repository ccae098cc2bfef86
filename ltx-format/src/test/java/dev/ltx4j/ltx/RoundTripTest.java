package dev.ltx4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Property test: generated files decode to what was encoded, by stream and by random access. Scale with
 * {@code -Dltx.roundtrip.files=N} (default 300) and pick a seed with {@code -Dltx.seed=S}.
 */
class RoundTripTest {
    private static final int FILES = Integer.getInteger("ltx.roundtrip.files", 300);
    private static final long SEED = Long.getLong("ltx.seed", 20240601L);

    @Test
    void generatedFilesRoundTrip() throws IOException {
        RandomLtx gen = new RandomLtx(SEED);
        int lockCrossings = 0;
        for (int n = 0; n < FILES; n++) {
            RandomLtx.Generated g = gen.next();
            String name = "file#" + n + " seed " + SEED;
            var d = TestLtx.decode(g.bytes(), name);
            assertThat(d.header()).as(name).isEqualTo(g.header());
            VectorTest.assertPages(d.pages(), g.pages());
            LtxSummary s = d.summary();
            assertThat(s.postApplyChecksum()).as(name).isEqualTo(g.post());
            assertThat(s.fileChecksum()).as(name).isEqualTo(g.result().fileChecksum());
            assertThat(s.size()).as(name).isEqualTo(g.bytes().length);
            assertThat(s.pageIndex()).as(name).isEqualTo(g.result().pageIndex());
            checkRandomAccess(g, name);
            long lock = Ltx.lockPgno(g.header().pageSize());
            if (g.pages().keySet().stream().anyMatch(p -> p > lock)) {
                lockCrossings++;
            }
        }
        assertThat(lockCrossings).as("files with pages beyond the lock page").isPositive();
    }

    private static void checkRandomAccess(RandomLtx.Generated g, String name) throws IOException {
        byte[] file = g.bytes();
        AtomicInteger reads = new AtomicInteger();
        PageIndex idx = PageIndex.read((off, len) -> {
            reads.incrementAndGet();
            return Arrays.copyOfRange(file, (int) off, (int) (off + len));
        }, file.length, name);
        assertThat(idx).isEqualTo(g.result().pageIndex());
        assertThat(reads.get()).isEqualTo(1);
        int ps = g.header().pageSize();
        byte[] page = new byte[ps + 3];
        for (int i = 0; i < idx.size(); i++) {
            LtxFrame.decode(file, (int) idx.offset(i), idx.frameSize(i), idx.pgno(i), ps, page, 3, name);
            assertThat(Arrays.copyOfRange(page, 3, 3 + ps)).isEqualTo(g.pages().get(idx.pgno(i)));
            assertThat(idx.find(idx.pgno(i))).isEqualTo(i);
        }
        assertThat(idx.find(0)).isEqualTo(-1);
    }

    @Test
    void largeIndexNeedsSecondRangedRead() throws IOException {
        // 8000 zero pages of 512 bytes: the index (about 47 KB) plus frames exceed the 32 KiB tail.
        var pages = new java.util.LinkedHashMap<Long, byte[]>();
        byte[] zero = new byte[512];
        for (long p = 1; p <= 8000; p++) {
            pages.put(p, zero);
        }
        LtxHeader h = LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, 512, 8000, 1, 1, 0, 0);
        byte[] file = TestLtx.encode(h, pages, 0);
        AtomicInteger reads = new AtomicInteger();
        PageIndex idx = PageIndex.read((off, len) -> {
            reads.incrementAndGet();
            return Arrays.copyOfRange(file, (int) off, (int) (off + len));
        }, file.length, "big");
        assertThat(idx.size()).isEqualTo(8000);
        assertThat(reads.get()).isEqualTo(2);
        assertThat(LtxDecoder.verify(new ByteArrayInputStream(file), "big").pageIndex()).isEqualTo(idx);
    }

    @Test
    void legacyFramesDecodeByRandomAccess() throws IOException {
        for (String name : new String[] {"L1", "L2"}) {
            byte[] file = TestLtx.vector(name);
            PageIndex idx = PageIndex.read((off, len) -> Arrays.copyOfRange(file, (int) off, (int) (off + len)),
                    file.length, name);
            assertThat(idx.size()).isEqualTo(1);
            byte[] page = new byte[512];
            LtxFrame.decode(file, (int) idx.offset(0), idx.frameSize(0), idx.pgno(0), 512, page, 0, name);
            assertThat(page).isEqualTo(name.equals("L1") ? new byte[512] : TestLtx.fill(512, 0xab));
        }
    }
}
