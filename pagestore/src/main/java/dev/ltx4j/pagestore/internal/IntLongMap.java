package dev.ltx4j.pagestore.internal;

import java.util.Arrays;

/**
 * Open-addressing map from page numbers (unsigned 32-bit, never 0) to non-negative longs, about 12 bytes per
 * entry, no boxing. Not thread-safe.
 */
public final class IntLongMap {
    private static final int EMPTY = 0;

    private int[] keys;
    private long[] values;
    private int size;
    private int mask;

    public IntLongMap() {
        this(16);
    }

    public IntLongMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new int[cap];
        values = new long[cap];
        mask = cap - 1;
    }

    private static int mix(int key) {
        int h = key * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    public int size() {
        return size;
    }

    /** The value for {@code key}, or -1 when absent. */
    public long get(int key) {
        int i = mix(key) & mask;
        while (true) {
            int k = keys[i];
            if (k == key) {
                return values[i];
            }
            if (k == EMPTY) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    public void put(int key, long value) {
        if (key == EMPTY) {
            throw new IllegalArgumentException("page number 0 is not valid");
        }
        int i = mix(key) & mask;
        while (true) {
            int k = keys[i];
            if (k == key) {
                values[i] = value;
                return;
            }
            if (k == EMPTY) {
                keys[i] = key;
                values[i] = value;
                if (++size * 4 > keys.length * 3) {
                    grow();
                }
                return;
            }
            i = (i + 1) & mask;
        }
    }

    private void grow() {
        int[] oldKeys = keys;
        long[] oldValues = values;
        keys = new int[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    /** Removes every key whose unsigned value exceeds {@code maxKey} (a database shrink). */
    public void removeAbove(long maxKey) {
        boolean any = false;
        for (int k : keys) {
            if (k != EMPTY && Integer.toUnsignedLong(k) > maxKey) {
                any = true;
                break;
            }
        }
        if (!any) {
            return;
        }
        int[] oldKeys = keys;
        long[] oldValues = values;
        keys = new int[oldKeys.length];
        values = new long[oldKeys.length];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY && Integer.toUnsignedLong(oldKeys[i]) <= maxKey) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    public void clear() {
        Arrays.fill(keys, EMPTY);
        size = 0;
    }

    /** Keys in ascending unsigned order. */
    public int[] sortedKeys() {
        int[] out = new int[size];
        int n = 0;
        for (int k : keys) {
            if (k != EMPTY) {
                out[n++] = k ^ Integer.MIN_VALUE; // flip the sign bit so a signed sort is an unsigned sort
            }
        }
        Arrays.sort(out);
        for (int i = 0; i < n; i++) {
            out[i] ^= Integer.MIN_VALUE;
        }
        return out;
    }
}
