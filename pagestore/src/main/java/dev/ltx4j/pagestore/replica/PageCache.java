package dev.ltx4j.pagestore.replica;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decoded remote pages, bounded in bytes, least recently used evicted first. Keyed by the immutable
 * {@link RemotePage} location, so an entry never goes stale and nothing is ever invalidated. Thread-safe.
 */
public final class PageCache {
    private final long capacityBytes;
    private final LinkedHashMap<RemotePage, byte[]> map = new LinkedHashMap<>(256, 0.75f, true);
    private long bytes;
    private long hits;
    private long misses;

    /** @param capacityBytes maximum bytes of page data held; 0 disables caching */
    public PageCache(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("cache capacity " + capacityBytes + " is negative");
        }
        this.capacityBytes = capacityBytes;
    }

    /** The cached page, or null. The array is shared: callers copy out of it and never write into it. */
    public synchronized byte[] get(RemotePage key) {
        byte[] v = map.get(key);
        if (v == null) {
            misses++;
        } else {
            hits++;
        }
        return v;
    }

    /** Caches {@code page}, which must not be modified afterwards. */
    public synchronized void put(RemotePage key, byte[] page) {
        if (page.length > capacityBytes) {
            return;
        }
        byte[] old = map.put(key, page);
        if (old != null) {
            bytes -= old.length;
        }
        bytes += page.length;
        Iterator<Map.Entry<RemotePage, byte[]>> it = map.entrySet().iterator();
        while (bytes > capacityBytes && it.hasNext()) {
            Map.Entry<RemotePage, byte[]> e = it.next();
            bytes -= e.getValue().length;
            it.remove();
        }
    }

    public synchronized long sizeBytes() {
        return bytes;
    }

    public synchronized int entries() {
        return map.size();
    }

    public long capacityBytes() {
        return capacityBytes;
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }

    public synchronized void clear() {
        map.clear();
        bytes = 0;
    }
}
