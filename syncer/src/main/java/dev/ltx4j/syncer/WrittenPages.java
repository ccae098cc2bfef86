package dev.ltx4j.syncer;

import java.util.Arrays;

/**
 * The page numbers a {@link WriteSession} wrote: an open-addressing set of primitive longs (page numbers are at
 * least 1, so 0 marks a free slot). A {@code HashSet<Long>} boxed every page number and allocated a node per page on
 * every commit (docs/durable-commit-cost.md, session 9). Not thread-safe, like the session.
 */
final class WrittenPages {
    private long[] slots = new long[8];
    private int size;

    int size() {
        return size;
    }

    boolean contains(long pgno) {
        long[] s = slots;
        for (int i = slot(pgno, s.length); ; i = (i + 1) & (s.length - 1)) {
            long v = s[i];
            if (v == pgno) {
                return true;
            }
            if (v == 0) {
                return false;
            }
        }
    }

    void add(long pgno) {
        if (pgno < 1) {
            throw new IllegalArgumentException("page number " + pgno + " is below 1");
        }
        if ((size + 1) * 4 > slots.length * 3) {
            rehash(slots.length * 2);
        }
        if (insert(slots, pgno)) {
            size++;
        }
    }

    /** Drops every page above {@code pages} (a truncate). */
    void removeAbove(long pages) {
        long[] kept = sorted();
        int n = 0;
        while (n < kept.length && kept[n] <= pages) {
            n++;
        }
        if (n == kept.length) {
            return;
        }
        Arrays.fill(slots, 0);
        size = 0;
        for (int i = 0; i < n; i++) {
            add(kept[i]);
        }
    }

    /** The pages in ascending order, a new array. */
    long[] sorted() {
        long[] out = new long[size];
        int n = 0;
        for (long v : slots) {
            if (v != 0) {
                out[n++] = v;
            }
        }
        Arrays.sort(out);
        return out;
    }

    private void rehash(int capacity) {
        long[] old = slots;
        slots = new long[capacity];
        for (long v : old) {
            if (v != 0) {
                insert(slots, v);
            }
        }
    }

    private static boolean insert(long[] s, long pgno) {
        for (int i = slot(pgno, s.length); ; i = (i + 1) & (s.length - 1)) {
            if (s[i] == pgno) {
                return false;
            }
            if (s[i] == 0) {
                s[i] = pgno;
                return true;
            }
        }
    }

    private static int slot(long pgno, int length) {
        long h = pgno * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & (length - 1);
    }
}
