package dev.ltx4j.pagestore;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Direct buffers shared by every database of the process for work that runs now and then: a sync's read window and
 * upload chunks, a buffer rewrite's copy. Each database used to keep its own between runs (about 2.3 MiB per
 * write-mode database, more after a large upload), so a fleet of idle databases in one JVM used up
 * {@code -XX:MaxDirectMemorySize}; now a database holds direct memory only while such work runs, plus its commit
 * staging (sized to its transactions, {@code LogAppender}). At most {@link #IDLE_BYTES} wait here for the next user
 * (docs/field-probes.md, round 7). At the direct memory limit they are dropped and the allocation tried again
 * ({@link DirectMemoryException#allocate}).
 */
public final class DirectBufferPool {
    /**
     * Idle bytes kept for reuse, so back-to-back syncs and rewrites do not allocate (and zero) each time: a full
     * in-memory spool (16 MiB), a rewrite copy and read windows. Per process, not per database.
     */
    static final long IDLE_BYTES = 20L << 20;

    private static final List<ByteBuffer> IDLE = new ArrayList<>();
    private static long idleBytes;

    private DirectBufferPool() {}

    /**
     * A cleared direct buffer of exactly {@code capacity} bytes (position 0, limit {@code capacity}, big-endian),
     * from the idle ones or new; give it back with {@link #give} when done. At the direct memory limit:
     * {@link DirectMemoryException} naming {@code purpose}. Exact sizes only: users read the capacity (a read
     * window sizes its fills by it, and a view made before a larger buffer's limit was widened would be short).
     */
    public static ByteBuffer take(int capacity, String purpose) {
        ByteBuffer idle = takeIdle(capacity);
        return idle != null ? idle : DirectMemoryException.allocate(capacity, purpose);
    }

    /** An idle buffer as {@link #take} gives it, or null when none has that capacity (nothing is allocated). */
    public static ByteBuffer takeIdle(int capacity) {
        synchronized (IDLE) {
            for (int i = IDLE.size() - 1; i >= 0; i--) {
                if (IDLE.get(i).capacity() == capacity) {
                    ByteBuffer b = IDLE.remove(i);
                    idleBytes -= b.capacity();
                    return b.clear().order(java.nio.ByteOrder.BIG_ENDIAN);
                }
            }
        }
        return null;
    }

    /** Returns a buffer from {@link #take} (null is ignored); kept while the idle bytes stay within the bound. */
    public static void give(ByteBuffer b) {
        if (b == null || !b.isDirect() || b.isReadOnly()) {
            return;
        }
        synchronized (IDLE) {
            for (ByteBuffer idle : IDLE) {
                if (idle == b) {
                    return; // given twice: keep it once
                }
            }
            if (idleBytes + b.capacity() <= IDLE_BYTES) {
                IDLE.add(b.clear());
                idleBytes += b.capacity();
            }
        }
    }

    /**
     * Drops every idle buffer (the direct memory limit was hit: memory idle here must not make an allocation fail);
     * returns the bytes dropped.
     */
    static long dropIdle() {
        synchronized (IDLE) {
            long dropped = idleBytes;
            IDLE.clear();
            idleBytes = 0;
            return dropped;
        }
    }

    /** Bytes waiting for reuse now (tests). */
    public static long idleBytes() {
        synchronized (IDLE) {
            return idleBytes;
        }
    }
}
