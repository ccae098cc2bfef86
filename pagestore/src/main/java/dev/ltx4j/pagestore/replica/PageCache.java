package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.PageBlock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * checks the image against the CRC-64 and swaps the image into the entry in place (no new entry or queue node: the
 * block is freed at once); an entry that fails (damaged in memory, or a bad frame) is dropped, logged and reported
 * as a miss, so the reader reads the page from the replica instead. A sync thus warms
 * the cache with a copy of ~1.7 KB instead of a 4 KiB decompression, and only pages that are read pay for it
 * (docs/sync-cost.md, "Session 11"). The byte count is what entries hold: the block's length while compressed, the
 * page's once decompressed. What an entry holds changes only by an atomic swap, and an entry leaving the map (evicted,
 * replaced, refused, cleared) swaps in {@code GONE}: whoever swaps uncounts what was there, exactly once, and a node
 * the clock hand has not reached yet holds no page data. The count is raised before what it counts becomes
 * reachable, so it runs ahead of what is held for a moment, never behind (never below zero).
 */
public final class PageCache {
    private static final Logger LOG = LoggerFactory.getLogger(PageCache.class);
    /** At most one refusal WARN per interval (a damaged region could refuse many pages at once). */
    private static final long WARN_EVERY_NANOS = 10_000_000_000L;
    /** What an entry holds once it has left the map. */
    private static final Object GONE = new Object();
    private static final VarHandle HELD;

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(Entry.class, "held", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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
    /** When the next refusal WARN may be logged; refusals in between are counted into it. */
    private final AtomicLong nextWarnNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong unwarned = new AtomicLong();
    private final Object evictLock = new Object();

    private static final class Entry {
        final RemotePage key;
        /** The page image (byte[]), its LZ4 {@link Block}, or {@link #GONE}; changed only through {@link #HELD}. */
        volatile Object held;
        /** Set on every hit, cleared when the clock hand passes: a second chance. Races are harmless. */
        volatile boolean referenced;

        Entry(RemotePage key, Object held) {
            this.key = key;
            this.held = held;
        }
    }

    /** A page held as the LZ4 block of its frame, with what its first read checks the image against. */
    private record Block(byte[] block, long pgno, int pageSize, long pageCrc) {}

    /** The bytes {@code held} counts for. */
    private static int length(Object held) {
        if (held instanceof byte[] a) {
            return a.length;
        }
        return held instanceof Block b ? b.block.length : 0;
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
        Object h = e.held;
        byte[] page = h instanceof byte[] a ? a : h instanceof Block b ? inflate(e, b) : null; // GONE: just left
        if (page == null) {
            misses.increment();
            return null;
        }
        hits.increment();
        return page;
    }

    /** Decompresses and checks a block entry and swaps the image in; null (entry dropped) if damaged. */
    private byte[] inflate(Entry e, Block b) {
        byte[] image = new byte[b.pageSize];
        int n = PageBlock.decompress(ByteBuffer.wrap(b.block), 0, b.block.length, image, b.pageSize);
        if (n != b.pageSize || PageBlock.pageCrc(b.pgno, image, 0, b.pageSize) != b.pageCrc) {
            if (HELD.compareAndSet(e, b, GONE)) { // one of racing readers counts and reports it
                bytes.addAndGet(-b.block.length);
                refused.increment();
                warnRefused(e.key, b, n);
            }
            map.remove(e.key, e);
            return null;
        }
        // Counted before the swap (the count runs ahead, never behind); undone if another reader or a removal won.
        long grow = image.length - b.block.length;
        bytes.addAndGet(grow);
        if (HELD.compareAndSet(e, b, image)) {
            inflated.increment();
            if (bytes.get() > capacityBytes) {
                evict();
            }
        } else {
            bytes.addAndGet(-grow); // a loser serves its own image
        }
        return image;
    }

    /** A refusal means memory damage or a bad uploaded frame: worth a WARN, but not one per page of a bad region. */
    private void warnRefused(RemotePage key, Block b, int decompressed) {
        long now = System.nanoTime();
        long next = nextWarnNanos.get();
        if (now - next < 0 || !nextWarnNanos.compareAndSet(next, now + WARN_EVERY_NANOS)) {
            unwarned.incrementAndGet();
            return;
        }
        long more = unwarned.getAndSet(0);
        LOG.warn("page {} of replica file {} (frame at offset {}), held compressed since its sync, {}: dropped from"
                        + " the cache and read from the replica instead; memory damage or a bad uploaded frame{}",
                b.pgno, key.file().name(), key.offset(),
                decompressed != b.pageSize ? "did not decompress to one page" : "failed its CRC-64",
                more == 0 ? "" : " (" + more + " more refused since the last warning)");
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
        add(new Entry(key, new Block(block, pgno, pageSize, pageCrc)));
    }

    private void add(Entry e) {
        int length = length(e.held);
        if (length > capacityBytes) {
            return;
        }
        bytes.addAndGet(length); // before the entry is reachable: the count runs ahead, never behind
        Entry old = map.put(e.key, e);
        clock.add(e);
        queued.incrementAndGet();
        if (old != null) {
            release(old); // its queue node stays until the hand drops it, holding nothing
        }
        if (bytes.get() > capacityBytes) {
            evict();
        }
    }

    /** Uncounts and frees what an entry the map no longer holds had held (once, whoever calls it first). */
    private void release(Entry e) {
        Object h = HELD.getAndSet(e, GONE);
        if (h != GONE) {
            bytes.addAndGet(-length(h));
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
                    continue; // replaced by a later put, refused or cleared: already released
                }
                if (e.referenced) {
                    e.referenced = false;
                    clock.add(e);
                    queued.incrementAndGet();
                    continue;
                }
                if (map.remove(e.key, e)) {
                    release(e);
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
            n += length(e.held);
        }
        return n;
    }

    /** The bytes every queue node holds, stale ones included (tests: equal to {@link #heldBytes} when quiet). */
    long queuedBytes() {
        long n = 0;
        for (Entry e : clock) {
            n += length(e.held);
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

    /** Entries held compressed that a read decompressed (and found intact); racing first reads count once. */
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
                    release(e);
                }
            }
        }
    }
}
