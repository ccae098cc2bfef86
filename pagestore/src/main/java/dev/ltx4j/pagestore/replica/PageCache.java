package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.PageBlock;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Decoded remote pages, bounded in bytes. Keyed by the immutable {@link RemotePage} location, so an entry never goes
 * stale and nothing is ever invalidated. Thread-safe.
 *
 * <p>A hit is one lock-free {@link ConcurrentHashMap} lookup plus setting the entry's reference bit: many reader
 * threads look pages up at once (every warm page read of every connection comes here), and the old
 * access-ordered {@code LinkedHashMap} made each of them take one lock and relink a list node. Eviction is CLOCK
 * (second chance), an approximation of least-recently-used: entries sit in insertion order in a queue; the
 * evictor takes the oldest, and one whose bit is set is cleared and put back at the end instead of being dropped.
 * Only inserts evict, one evictor at a time. The queue's length is counted beside it: {@code
 * ConcurrentLinkedQueue.size()} walks the whole queue, which made every insert into a full cache cost a pass over
 * all entries (a sync warming hundreds of pages into a full cache spent a sixth of its time there).
 *
 * <p>An entry may also hold a page still compressed ({@link #putBlock}): the LZ4 block of the page's LTX frame and the
 * page's raw CRC-64, as a sync finds them in the write buffer's records. The first {@link #get} decompresses it,
 * checks the image against the CRC-64 and replaces the entry with the plain image; an entry that fails (damaged in
 * memory) is dropped and reported as a miss, so the reader reads the page from the replica instead. A sync thus warms
 * the cache with a copy of ~1.7 KB instead of a 4 KiB decompression, and only pages that are read pay for it
 * (docs/sync-cost.md, "Session 11"). The byte count is what entries hold: the block's length while compressed, the
 * page's once decompressed.
 */
public final class PageCache {
    private final long capacityBytes;
    private final ConcurrentHashMap<RemotePage, Entry> map = new ConcurrentHashMap<>(1024);
    private final ConcurrentLinkedQueue<Entry> clock = new ConcurrentLinkedQueue<>();
    /** Entries in {@code clock} (replaced ones included until the hand drops them). */
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder inflated = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final Object evictLock = new Object();

    private static class Entry {
        final RemotePage key;
        /** The page image, or (a {@link Block}) its LZ4 block; its length is what the entry counts. */
        final byte[] page;
        /** Set on every hit, cleared when the clock hand passes: a second chance. Races are harmless. */
        volatile boolean referenced;

        Entry(RemotePage key, byte[] page) {
            this.key = key;
            this.page = page;
        }
    }

    /** A page held as the LZ4 block of its frame, with what its first read checks the image against. */
    private static final class Block extends Entry {
        final long pgno;
        final int pageSize;
        /** The raw page CRC-64 ({@link PageBlock#pageCrc}). */
        final long pageCrc;

        Block(RemotePage key, byte[] block, long pgno, int pageSize, long pageCrc) {
            super(key, block);
            this.pgno = pgno;
            this.pageSize = pageSize;
            this.pageCrc = pageCrc;
        }
    }

    /** @param capacityBytes maximum bytes of page data held; 0 disables caching */
    public PageCache(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("cache capacity " + capacityBytes + " is negative");
        }
        this.capacityBytes = capacityBytes;
    }

    /**
     * The cached page, or null. The array is shared: callers copy out of it and never write into it. A page held
     * compressed is decompressed and checked here (once: the entry then holds the image); one that fails its CRC-64
     * is dropped and answered as a miss.
     */
    public byte[] get(RemotePage key) {
        Entry e = map.get(key);
        if (e == null) {
            misses.increment();
            return null;
        }
        if (!e.referenced) {
            e.referenced = true; // written only when it changes: a hot page's line stays shared between cores
        }
        byte[] page = e instanceof Block b ? inflate(b) : e.page;
        if (page == null) {
            misses.increment();
            return null;
        }
        hits.increment();
        return page;
    }

    /** Decompresses and checks a block entry and puts the image in its place; null (entry dropped) if damaged. */
    private byte[] inflate(Block b) {
        byte[] image = new byte[b.pageSize];
        int n = PageBlock.decompress(ByteBuffer.wrap(b.page), 0, b.page.length, image, b.pageSize);
        if (n != b.pageSize || PageBlock.pageCrc(b.pgno, image, 0, b.pageSize) != b.pageCrc) {
            refused.increment();
            if (map.remove(b.key, b)) {
                bytes.addAndGet(-b.page.length);
            }
            return null;
        }
        inflated.increment();
        Entry plain = new Entry(b.key, image);
        plain.referenced = true;
        // As a put of the same key: the block entry stays in the queue until the hand drops it (it is no longer
        // the map's). Only one of racing readers (or an evictor's remove) wins; a loser serves its own image.
        if (map.replace(b.key, b, plain)) {
            clock.add(plain);
            queued.incrementAndGet();
            if (bytes.addAndGet(image.length - b.page.length) > capacityBytes) {
                evict();
            }
        }
        return image;
    }

    /** Caches {@code page}, which must not be modified afterwards. */
    public void put(RemotePage key, byte[] page) {
        add(new Entry(key, page));
    }

    /**
     * Caches page {@code pgno} as {@code block}, the LZ4 block of its LTX frame (not modified afterwards), to be
     * decompressed by the first {@link #get} and checked against {@code pageCrc}, the page's raw CRC-64
     * ({@link PageBlock#pageCrc}). Counts the block's length until then.
     */
    public void putBlock(RemotePage key, byte[] block, long pgno, int pageSize, long pageCrc) {
        if (pageSize > capacityBytes) {
            return; // it could never be held decompressed
        }
        add(new Block(key, block, pgno, pageSize, pageCrc));
    }

    private void add(Entry e) {
        byte[] page = e.page;
        if (page.length > capacityBytes) {
            return;
        }
        RemotePage key = e.key;
        Entry old = map.put(key, e);
        clock.add(e);
        queued.incrementAndGet();
        bytes.addAndGet(page.length - (old == null ? 0 : old.page.length));
        if (bytes.get() > capacityBytes) {
            evict();
        }
    }

    private void evict() {
        synchronized (evictLock) {
            // Each entry gets at most one second chance per pass: at most two rounds over the queue.
            long budget = 2L * queued.get() + 2;
            while (bytes.get() > capacityBytes && budget-- > 0) {
                Entry e = clock.poll();
                if (e == null) {
                    return;
                }
                queued.decrementAndGet();
                if (map.get(e.key) != e) {
                    continue; // replaced by a later put, or cleared: its bytes were already accounted
                }
                if (e.referenced) {
                    e.referenced = false;
                    clock.add(e);
                    queued.incrementAndGet();
                    continue;
                }
                if (map.remove(e.key, e)) {
                    bytes.addAndGet(-e.page.length);
                }
            }
        }
    }

    public long sizeBytes() {
        return bytes.get();
    }

    /** The bytes the map's entries hold, summed by a walk (tests: {@link #sizeBytes} must equal it when quiet). */
    long heldBytes() {
        long n = 0;
        for (Entry e : map.values()) {
            n += e.page.length;
        }
        return n;
    }

    public int entries() {
        return map.size();
    }

    public long capacityBytes() {
        return capacityBytes;
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    /** Entries held compressed that a read decompressed (and found intact). */
    public long inflated() {
        return inflated.sum();
    }

    /** Entries held compressed that failed their CRC-64 or did not decompress, dropped at their first read. */
    public long refused() {
        return refused.sum();
    }

    public void clear() {
        synchronized (evictLock) {
            // Through the queue, so a put racing with the clear leaves its entry in both or in neither.
            for (Entry e = clock.poll(); e != null; e = clock.poll()) {
                queued.decrementAndGet();
                if (map.remove(e.key, e)) {
                    bytes.addAndGet(-e.page.length);
                }
            }
        }
    }
}
