package dev.ltx4j.pagestore;

import java.nio.ByteBuffer;

/**
 * The JVM's direct buffer memory ({@code -XX:MaxDirectMemorySize}) ran out while the write buffer or its sync needed
 * a native buffer. A runtime exception, not the JDK's {@link OutOfMemoryError}: the limit is a setting, not a broken
 * heap, so the commit or sync that hit it fails with this reason (shown in {@code litestream_last_error} and the
 * status) and the next one tries again (docs/field-probes.md, round 6: many databases in one JVM).
 */
public final class DirectMemoryException extends RuntimeException {
    /** About what one open write-mode database holds: 1 MiB staging, 1 MiB rewrite copy, a 256 KiB sync window. */
    public static final String PER_DATABASE = "about 2.3 MiB";

    private DirectMemoryException(String message, OutOfMemoryError cause) {
        super(message, cause);
    }

    /** {@link ByteBuffer#allocateDirect}, failing with this exception (naming {@code purpose}) when the limit is hit. */
    public static ByteBuffer allocate(int bytes, String purpose) {
        try {
            return ByteBuffer.allocateDirect(bytes);
        } catch (OutOfMemoryError e) {
            throw new DirectMemoryException("cannot reserve " + bytes + " bytes of direct buffer memory for " + purpose
                    + ": the JVM's direct memory limit is used up (" + e.getMessage() + "); each write-mode database"
                    + " open in this process holds " + PER_DATABASE + " of it: raise -XX:MaxDirectMemorySize (by"
                    + " default the maximum heap size, -Xmx) or open fewer databases at once", e);
        }
    }
}
