package dev.ltx4j.pagestore.replica;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.ltx.PageBlock;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Pages the cache holds as LZ4 blocks ({@link PageCache#putBlock}, what a sync warms it with): decompressed and checked
 * against their CRC-64 at the first read, counted by what is held (the block's length, then the page's), and a
 * damaged block is dropped and answered as a miss, never served.
 */
class PageCacheBlockTest {
    static final int PS = 4096;
    static final RemoteFile FILE = new RemoteFile(0, 5, 5, PS, 1 << 20);

    private static byte[] page(long seed) {
        byte[] p = new byte[PS];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < PS * 4 / 10; i++) {
            p[i] = (byte) r.nextInt();
        }
        return p;
    }

    private static byte[] block(byte[] page) {
        ByteBuffer dst = ByteBuffer.allocate(PageBlock.maxBlockSize(PS));
        int n = PageBlock.compress(ByteBuffer.wrap(page), 0, PS, dst, 0);
        byte[] b = new byte[n];
        dst.get(0, b, 0, n);
        return b;
    }

    private static RemotePage at(int i) {
        return new RemotePage(FILE, 100L + i * 2000L, 2000);
    }

    @Test
    void aBlockIsDecompressedAtItsFirstReadAndThenHeldAsThePage() {
        PageCache cache = new PageCache(1 << 20);
        byte[] page = page(1);
        byte[] block = block(page);
        assertThat(block.length).isLessThan(PS / 2);
        cache.putBlock(at(0), block, 7, PS, PageBlock.pageCrc(7, page, 0, PS));
        assertThat(cache.sizeBytes()).as("the block's bytes, not a page's").isEqualTo(block.length);
        assertThat(cache.entries()).isEqualTo(1);

        byte[] first = cache.get(at(0));
        assertThat(first).isEqualTo(page);
        assertThat(cache.inflated()).isEqualTo(1);
        assertThat(cache.sizeBytes()).as("now the page's bytes").isEqualTo(PS);
        assertThat(cache.entries()).isEqualTo(1);
        assertThat(cache.get(at(0))).as("decompressed once, then served as held").isSameAs(first);
        assertThat(cache.inflated()).isEqualTo(1);
        assertThat(cache.hits()).isEqualTo(2);
        assertThat(cache.misses()).isZero();
    }

    @Test
    void aBlockThatFailsItsCrcIsDroppedAndReadAsAMiss() {
        PageCache cache = new PageCache(1 << 20);
        byte[] page = page(2);
        long crc = PageBlock.pageCrc(3, page, 0, PS);
        // A flipped bit in a literal still decompresses to a full page: only the CRC-64 tells.
        byte[] flipped = block(page);
        flipped[flipped.length / 2] ^= 0x10;
        byte[] out = new byte[PS];
        assertThat(PageBlock.decompress(ByteBuffer.wrap(flipped), 0, flipped.length, out, PS)).isEqualTo(PS);
        assertThat(out).isNotEqualTo(page);
        cache.putBlock(at(0), flipped, 3, PS, crc);
        // A block that does not decompress at all.
        byte[] cut = java.util.Arrays.copyOf(block(page), 40);
        cache.putBlock(at(1), cut, 3, PS, crc);
        // The right block under another page's number (its CRC seed differs).
        cache.putBlock(at(2), block(page), 4, PS, crc);
        assertThat(cache.entries()).isEqualTo(3);

        for (int i = 0; i < 3; i++) {
            assertThat(cache.get(at(i))).as("entry %d", i).isNull();
        }
        assertThat(cache.refused()).isEqualTo(3);
        assertThat(cache.misses()).isEqualTo(3);
        assertThat(cache.hits()).isZero();
        assertThat(cache.entries()).as("dropped").isZero();
        assertThat(cache.sizeBytes()).isZero();
        assertThat(cache.get(at(0))).isNull();
        assertThat(cache.refused()).as("dropped at the first read, not checked again").isEqualTo(3);
        // The reader then fetches the page and puts the plain image, which is served.
        cache.put(at(0), page);
        assertThat(cache.get(at(0))).isSameAs(page);
    }

    @Test
    void theCountStaysWhatIsHeldThroughInflationsAndEvictions() {
        int capacity = 16 * PS;
        PageCache cache = new PageCache(capacity);
        List<byte[]> pages = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            byte[] p = page(100 + i);
            pages.add(p);
            if (i % 3 == 0) {
                cache.put(at(i), p);
            } else {
                cache.putBlock(at(i), block(p), i + 1, PS, PageBlock.pageCrc(i + 1, p, 0, PS));
            }
            if (i % 2 == 0) { // reads decompress some blocks, which grows their entries and evicts others
                int j = i / 2;
                byte[] got = cache.get(at(j));
                if (got != null) {
                    assertThat(got).as("page %d", j).isEqualTo(pages.get(j));
                }
            }
            assertThat(cache.sizeBytes()).as("after %d", i).isLessThanOrEqualTo(capacity).isEqualTo(cache.heldBytes());
            assertThat(cache.queuedBytes()).as("after %d: stale queue nodes hold nothing", i)
                    .isEqualTo(cache.heldBytes());
        }
        assertThat(cache.inflated()).isPositive();
        assertThat(cache.refused()).isZero();
        cache.clear();
        assertThat(cache.sizeBytes()).isZero();
        assertThat(cache.entries()).isZero();
    }

    @Test
    void racingFirstReadsOfOneBlockCountItOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 200; round++) {
                PageCache cache = new PageCache(1 << 20);
                byte[] page = page(round);
                byte[] block = block(page);
                cache.putBlock(at(0), block, 9, PS, PageBlock.pageCrc(9, page, 0, PS));
                CountDownLatch go = new CountDownLatch(1);
                List<Future<byte[]>> reads = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    reads.add(pool.submit(() -> {
                        go.await();
                        return cache.get(at(0));
                    }));
                }
                go.countDown();
                for (Future<byte[]> f : reads) {
                    assertThat(f.get()).isEqualTo(page);
                }
                assertThat(cache.sizeBytes()).as("round %d", round).isEqualTo(PS).isEqualTo(cache.heldBytes());
                assertThat(cache.entries()).isEqualTo(1);
                assertThat(cache.inflated()).as("round %d: one decompression won", round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aBlockReadOnceLeavesNoBlockArrayBehind() throws Exception {
        // The review's case: a 10 MiB cache, 640 warmed blocks each read once, well under capacity (no eviction runs).
        PageCache cache = new PageCache(10 << 20);
        int count = 640;
        List<WeakReference<byte[]>> blocks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] p = page(1000 + i);
            byte[] b = block(p);
            blocks.add(new WeakReference<>(b));
            cache.putBlock(at(i), b, i + 1, PS, PageBlock.pageCrc(i + 1, p, 0, PS));
        }
        for (int i = 0; i < count; i++) {
            assertThat(cache.get(at(i))).as("page %d", i).isNotNull();
        }
        assertThat(cache.inflated()).isEqualTo(count);
        assertThat(cache.sizeBytes()).isEqualTo((long) count * PS).isEqualTo(cache.heldBytes())
                .isEqualTo(cache.queuedBytes());
        // Nothing but the cache could keep a block array alive: after a GC none may be left.
        for (int gc = 0; gc < 20 && blocks.stream().anyMatch(w -> w.get() != null); gc++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(blocks.stream().filter(w -> w.get() != null).count()).as("block arrays still reachable").isZero();
        assertThat(cache.entries()).isEqualTo(count);
    }
}
