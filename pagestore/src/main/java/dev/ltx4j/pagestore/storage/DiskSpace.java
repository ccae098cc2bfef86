package dev.ltx4j.pagestore.storage;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Tells a write that failed for want of space (ENOSPC, EDQUOT) from any other I/O error. The JDK gives no type for
 * either, only the C library's error text, which is translated under a non-English locale: so the file system's own
 * free-space figure decides ({@link java.nio.file.FileStore#getUsableSpace()} right after the failure), and the
 * English text is only a fallback (a quota is invisible to the free-space figure).
 */
public final class DiskSpace {
    /**
     * Free space below the failed write's size plus this much counts as full: a file system refuses a write while it
     * still reports some free blocks (metadata, reserved blocks, allocation granularity).
     */
    static final long SLACK = 1L << 20;

    /** The usable space of a file system, in bytes. */
    @FunctionalInterface
    interface UsableSpace {
        long bytes() throws IOException;
    }

    private DiskSpace() {}

    /**
     * Whether {@code failure}, thrown by a write of {@code wanted} bytes to a file in {@code directory}, means the
     * disk (or the user's quota) is full.
     */
    public static boolean isOutOfSpace(IOException failure, Path directory, long wanted) {
        return isOutOfSpace(failure, wanted, () -> Files.getFileStore(directory).getUsableSpace());
    }

    static boolean isOutOfSpace(IOException failure, long wanted, UsableSpace usable) {
        if (failure instanceof ClosedChannelException) {
            return false; // the handle was closed (or interrupted): not a property of the disk
        }
        try {
            if (usable.bytes() < wanted + SLACK) {
                return true;
            }
        } catch (IOException | RuntimeException e) {
            // no free-space figure: fall back on the text
        }
        return hasFullDiskText(failure);
    }

    /** The English (C locale) strerror texts of ENOSPC and EDQUOT, anywhere in the cause chain. */
    public static boolean hasFullDiskText(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null) {
                String lower = m.toLowerCase(Locale.ROOT);
                if (lower.contains("no space left on device") || lower.contains("disk quota exceeded")) {
                    return true;
                }
            }
        }
        return false;
    }
}
