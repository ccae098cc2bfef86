package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.storage.StorageFullException;
import java.io.IOException;

/**
 * Holds new write transactions back while the buffer's last rewrite after a sync failed for lack of disk space, until
 * a rewrite succeeds (docs/write-buffer-full-disk.md, "A rewrite short of space"); a reset short of space does not
 * hold ({@link #runCopyingNothing}).
 *
 * <p>Why: a rewrite copies every transaction committed after the synced ones into its new file. Each commit
 * accepted while it lacks space makes the next attempt need more of the space it lacks, so under a steady write load
 * the commits took any space freed before the sync could use it, and the replica never caught up (probe round 4).
 */
final class RewriteSpaceHold {
    private volatile String why;

    /** Throws {@link BufferFullException} (SQLITE_FULL in the VFS) while held. */
    void check(String location) throws BufferFullException {
        String w = why;
        if (w != null) {
            throw new BufferFullException(location, "write buffer " + location + " holds new transactions back: the"
                    + " rewrite after the last sync ran out of disk space (" + w + "); free space on that disk, and"
                    + " commits go on after the next sync (which retries the rewrite first, also while the replica is"
                    + " unreachable)", null);
        }
    }

    /**
     * Runs a rewrite that copies no transaction (a reset): releases on success, and a full disk does not hold. What is
     * committed after it does not make the next reset need more space, and only a refresh (which reads the replica)
     * resets again, so a hold set here outlived freed space as long as the replica was unreachable, or for good
     * (a sync with nothing to upload rewrites nothing).
     */
    void runCopyingNothing(Rewrite rewrite) throws IOException {
        rewrite.run();
        why = null;
    }

    /** Runs a rewrite: holds on a full-disk failure, releases on success. */
    void run(Rewrite rewrite) throws IOException {
        try {
            rewrite.run();
            why = null;
        } catch (IOException e) {
            if (isFullDisk(e)) {
                why = String.valueOf(e.getMessage());
            }
            throw e;
        }
    }

    private static boolean isFullDisk(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StorageFullException || t instanceof BufferFullException) {
                return true;
            }
        }
        return false;
    }

    @FunctionalInterface
    interface Rewrite {
        void run() throws IOException;
    }
}
