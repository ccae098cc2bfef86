package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.Ltx;
import java.util.Map;
import java.util.TreeMap;

/**
 * One database state of the engine scenario's reference model: every page 1..size (absent pages are zero pages)
 * and a digest, the LTX database checksum of those pages, kept incrementally. Immutable; derived states share
 * page arrays. Two states with one digest are taken to be equal (a 63-bit XOR of CRC-64s).
 */
final class PageState {
    /** A page image and its LTX page checksum. */
    record Page(byte[] data, long sum) {}

    final int pageSize;
    final long size;
    final long digest;
    private final TreeMap<Long, Page> pages;

    private PageState(int pageSize, long size, long digest, TreeMap<Long, Page> pages) {
        this.pageSize = pageSize;
        this.size = size;
        this.digest = digest;
        this.pages = pages;
    }

    static PageState empty(int pageSize) {
        return new PageState(pageSize, 0, Ltx.CHECKSUM_FLAG, new TreeMap<>());
    }

    /** The state after writing {@code writes} (pages above {@code newSize} ignored) and resizing to {@code newSize}. */
    PageState apply(Map<Long, byte[]> writes, long newSize) {
        TreeMap<Long, Page> ps = new TreeMap<>();
        for (Map.Entry<Long, byte[]> w : writes.entrySet()) {
            ps.put(w.getKey(), page(w.getKey(), w.getValue()));
        }
        return applyPages(ps, newSize);
    }

    /** The image {@code data} of page {@code pgno} with its checksum, for {@link #applyPages}. */
    static Page pageOf(int pageSize, long pgno, byte[] data) {
        return new Page(data, pgno == Ltx.lockPgno(pageSize) ? 0 : Crc64.pageChecksum(pgno, data, 0, pageSize));
    }

    /** {@link #apply} with the pages' checksums already computed (a checker applying one file many times). */
    PageState applyPages(Map<Long, Page> writes, long newSize) {
        TreeMap<Long, Page> next = new TreeMap<>(pages);
        long acc = digest & ~Ltx.CHECKSUM_FLAG;
        for (Map.Entry<Long, Page> e : pages.tailMap(newSize, false).entrySet()) {
            acc ^= e.getValue().sum();
        }
        next.tailMap(newSize, false).clear();
        byte[] zero = null;
        for (long p = size + 1; p <= newSize; p++) {
            if (!writes.containsKey(p)) {
                zero = zero == null ? new byte[pageSize] : zero;
                Page z = page(p, zero);
                next.put(p, z);
                acc ^= z.sum();
            }
        }
        for (Map.Entry<Long, Page> w : writes.entrySet()) {
            long p = w.getKey();
            if (p > newSize) {
                continue;
            }
            Page old = next.get(p);
            if (old != null) {
                acc ^= old.sum();
            }
            Page n = w.getValue();
            next.put(p, n);
            acc ^= n.sum();
        }
        return new PageState(pageSize, newSize, Ltx.CHECKSUM_FLAG | acc, next);
    }

    private Page page(long pgno, byte[] data) {
        return new Page(data, pgno == Ltx.lockPgno(pageSize) ? 0 : Crc64.pageChecksum(pgno, data, 0, pageSize));
    }

    /** The image of {@code pgno}, or null above the size. */
    byte[] page(long pgno) {
        Page p = pages.get(pgno);
        return p == null ? null : p.data();
    }

    @Override
    public String toString() {
        return size + " pages, digest " + Long.toHexString(digest);
    }
}
