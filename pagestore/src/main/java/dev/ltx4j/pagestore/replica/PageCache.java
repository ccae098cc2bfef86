package dev.ltx4j.pagestore.replica;

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
    private final Object evictLock = new Object();

    private static final class Entry {
        final RemotePage key;
        final byte[] page;
        /** Set on every hit, cleared when the clock hand passes: a second chance. Races are harmless. */
        volatile boolean referenced;

        Entry(RemotePage key, byte[] page) {
            this.key = key;
            this.page = page;
        }
    }

    /** @param capacityBytes maximum bytes of page data held; 0 disables caching */
    public PageCache(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("cache capacity " + capacityBytes + " is negative");
        }
        this.capacityBytes = capacityBytes;
    }

    /** The cached page, or null. The array is shared: callers copy out of it and never write into it. */
    public byte[] get(RemotePage key) {
        Entry e = map.get(key);
        if (e == null) {
            misses.increment();
            return null;
        }
        if (!e.referenced) {
            e.referenced = true; // written only when it changes: a hot page's line stays shared between cores
        }
        hits.increment();
        return e.page;
    }

    /** Caches {@code page}, which must not be modified afterwards. */
    public void put(RemotePage key, byte[] page) {
        if (page.length > capacityBytes) {
            return;
        }
        Entry e = new Entry(key, page);
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
