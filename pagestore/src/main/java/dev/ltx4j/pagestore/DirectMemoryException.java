package dev.ltx4j.pagestore;

import java.nio.ByteBuffer;

/**
 * The JVM's direct buffer memory ({@code -XX:MaxDirectMemorySize}) ran out while the write buffer or its sync needed
 * a native buffer. A runtime exception, not the JDK's {@link OutOfMemoryError}: the limit is a setting, not a broken
 * heap, so the commit or sync that hit it fails with this reason (shown in {@code litestream_last_error} and the
 * status) and the next one tries again (docs/field-probes.md, round 6: many databases in one JVM).
 */
public final class DirectMemoryException extends RuntimeException {
    /**
     * What one open write-mode database holds: its commit staging (64 KiB at first, grown with its largest transaction
     * up to {@code stagingBytes}, 1 MiB by default); syncs and rewrites borrow from a process-wide pool while they run
     * ({@link DirectBufferPool}).
     */
    public static final String PER_DATABASE = "64 KiB up to its staging size (WriteBufferOptions.stagingBytes, 1 MiB"
            + " by default), as large as its largest transaction (more while it syncs)";

    private DirectMemoryException(String message, OutOfMemoryError cause) {
        super(message, cause);
    }

    /** Bytes of direct memory allocated through this class since the JVM started (monotonic; tests, diagnostics). */
    private static final java.util.concurrent.atomic.AtomicLong ALLOCATED = new java.util.concurrent.atomic.AtomicLong();

    /** Bytes of direct buffers ltx4j's write side allocated so far (what {@link #allocate} and {@link #counted} saw). */
    public static long allocatedBytes() {
        return ALLOCATED.get();
    }

    /** Counts a direct buffer of {@code bytes} allocated elsewhere (the spool's chunks, which fall back to the heap). */
    public static void counted(int bytes) {
        ALLOCATED.addAndGet(bytes);
    }

    /** Test fault: an allocation whose purpose contains this text fails as at the limit (null: none). */
    static volatile String refuseFor;
    /** Test fault: {@link #refuseFor} fails as the heap does ("Java heap space"), not as the direct memory limit. */
    static volatile boolean refuseAsHeap;
    /** Allocations {@link #refuseFor} refused so far (tests count the tries). */
    static final java.util.concurrent.atomic.AtomicInteger REFUSED = new java.util.concurrent.atomic.AtomicInteger();

    /** {@link ByteBuffer#allocateDirect}, failing with this exception (naming {@code purpose}) when the limit is hit. */
    public static ByteBuffer allocate(int bytes, String purpose) {
        try {
            String refuse = refuseFor;
            if (refuse != null && purpose.contains(refuse)) {
                REFUSED.incrementAndGet();
                throw new OutOfMemoryError(refuseAsHeap ? "Java heap space (test fault)"
                        : "Cannot reserve " + bytes + " bytes of direct buffer memory (test fault)");
            }
            ByteBuffer b = ByteBuffer.allocateDirect(bytes);
            ALLOCATED.addAndGet(bytes);
            return b;
        } catch (OutOfMemoryError e) {
            if (isDirectLimit(e) && DirectBufferPool.dropIdle() > 0) {
                // The pool's idle buffers are unreachable now; the JDK's reservation collects them (System.gc) when
                // it is short, so one retry can use what sat idle rather than fail beside it.
                try {
                    ByteBuffer b = ByteBuffer.allocateDirect(bytes);
                    ALLOCATED.addAndGet(bytes);
                    return b;
                } catch (OutOfMemoryError again) {
                    throw from(again, bytes + " bytes of direct buffer memory for " + purpose);
                }
            }
            throw from(e, bytes + " bytes of direct buffer memory for " + purpose);
        }
    }

    /** {@link #from(OutOfMemoryError, String)} for a buffer the JDK reserved on our behalf (a gathering write). */
    public static DirectMemoryException from(OutOfMemoryError e) {
        return from(e, "a direct buffer");
    }

    /**
     * This exception when {@code e} is the direct memory limit (the JDK's text "Cannot reserve N bytes of direct
     * buffer memory", JDK 17 and 25); otherwise {@code e} itself is rethrown: heap exhaustion ("Java heap space") or a
     * failed native malloc ("Unable to allocate") is not cured by raising -XX:MaxDirectMemorySize.
     */
    public static DirectMemoryException from(OutOfMemoryError e, String what) {
        if (!isDirectLimit(e)) {
            throw e;
        }
        return new DirectMemoryException("cannot reserve " + what + ": the JVM's direct memory limit is used up ("
                + e.getMessage() + "); each write-mode database open in this process holds " + PER_DATABASE
                + " of it: raise -XX:MaxDirectMemorySize (by default the maximum heap size, -Xmx) or open fewer"
                + " databases at once", e);
    }

    /** Whether {@code e} is the JDK's direct buffer memory limit (java.nio.Bits.reserveMemory's message). */
    public static boolean isDirectLimit(Throwable e) {
        return e instanceof OutOfMemoryError && e.getMessage() != null && e.getMessage().startsWith("Cannot reserve");
    }
}
