package dev.ltx4j.vfs.engine;

import dev.ltx4j.pagestore.replica.DatabaseVersion;
import java.util.Arrays;

/**
 * One connection's copy of the stored first {@value #SIZE} bytes of page 1 of the version it last read page 1 of.
 * SQLite probes 16 bytes at offset 24 at the start of every read transaction to decide whether its cache is still
 * valid; versions are immutable, so while new transactions pin that same version object (nothing was committed
 * since), the probe is answered from here without a page lookup or, for an unsynced page 1, a read of the write
 * buffer (docs/concurrent-readers.md). Not thread-safe: one per connection.
 */
final class PageOneHeader {
    static final int SIZE = 100;
    private final byte[] bytes = new byte[SIZE];
    private DatabaseVersion version;

    /** Whether {@code [from, from + want)} lies in the copy, and the copy is of {@code v}. */
    boolean holds(DatabaseVersion v, long from, int want) {
        return v == version && from >= 0 && from + want <= SIZE;
    }

    /** Remembers the stored bytes {@code b[0, n)} of page 1 of {@code v} (read from offset 0). */
    void keep(DatabaseVersion v, byte[] b, int n) {
        if (n < SIZE) return;
        System.arraycopy(b, 0, bytes, 0, SIZE);
        version = v;
    }

    /** Copies {@code want} bytes from {@code from} into {@code b}; past {@code sizeBytes} they read as zeros. */
    int copy(long from, byte[] b, int want, long sizeBytes) {
        int n = (int) Math.max(0, Math.min(want, sizeBytes - from));
        System.arraycopy(bytes, (int) from, b, 0, n);
        Arrays.fill(b, n, want, (byte) 0);
        return n;
    }
}
