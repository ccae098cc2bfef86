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
 * (docs/field-probes.md, round 7).
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
     * A cleared direct buffer of at least {@code minCapacity} bytes (limit {@code minCapacity}), from the idle ones
     * or new; give it back with {@link #give} when done. At the direct memory limit: {@link DirectMemoryException}
     * naming {@code purpose}.
     */
    public static ByteBuffer take(int minCapacity, String purpose) {
        ByteBuffer idle = takeIdle(minCapacity);
        return idle != null ? idle : DirectMemoryException.allocate(minCapacity, purpose);
    }

    /** An idle buffer as {@link #take} gives it, or null when none is large enough (nothing is allocated). */
    public static ByteBuffer takeIdle(int minCapacity) {
        synchronized (IDLE) {
            int best = -1;
            for (int i = 0; i < IDLE.size(); i++) {
                int c = IDLE.get(i).capacity();
                if (c >= minCapacity && (best < 0 || c < IDLE.get(best).capacity())) {
                    best = i;
                }
            }
            if (best >= 0) {
                ByteBuffer b = IDLE.remove(best);
                idleBytes -= b.capacity();
                return b.clear().limit(minCapacity).order(java.nio.ByteOrder.BIG_ENDIAN);
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

    /** Bytes waiting for reuse now (tests). */
    public static long idleBytes() {
        synchronized (IDLE) {
            return idleBytes;
        }
    }
}
