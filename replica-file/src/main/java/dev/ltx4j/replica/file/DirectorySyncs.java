package dev.ltx4j.replica.file;

import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.internal.FileFailures;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The level directories' fsyncs of a {@code file://} replica, and the ones that failed, until they succeed. */
final class DirectorySyncs {
    /** Whether the default file system is POSIX (directories can be opened and fsynced). */
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    /**
     * Directories whose new entries (a published file, a new level directory) this process could not fsync. Until
     * a retry succeeds, nothing below them is listed, opened or created: a read-back must not vouch for a file a
     * power cut could still take (docs/replica-file-verification.md, "Power cuts").
     */
    private static final Set<Path> UNSYNCED_DIRS = ConcurrentHashMap.newKeySet();

    private DirectorySyncs() {}

    /** Remembers {@code dir} as holding entries not yet durable: {@link #settle} retries its fsync. */
    static void remember(Path dir) {
        UNSYNCED_DIRS.add(dir.toAbsolutePath());
    }

    /**
     * Forces a directory's entries to disk after publishing a file; a failure leaves the create's durability unknown.
     * Only where directories cannot be opened at all (Windows, in-memory file systems) is the sync skipped: on a POSIX
     * disk a failed open (EIO, EMFILE) is a sync not done, so the create is not acknowledged as durable
     * (docs/replica-file-verification.md, "Power cuts").
     */
    static void force(Path dir, String name) throws ReplicaException {
        try {
            forceOnce(dir, name);
        } catch (ReplicaOutcomeUnknownException e) {
            remember(dir);
            throw e;
        }
    }

    /**
     * Retries the fsync of every directory at or above {@code dir} whose earlier sync failed; fails as transient
     * while one still fails, so no answer about the files below vouches for an entry a power cut could take.
     */
    static void settle(Path dir) throws ReplicaException {
        if (UNSYNCED_DIRS.isEmpty()) {
            return;
        }
        Path absolute = dir.toAbsolutePath();
        for (Path pending : List.copyOf(UNSYNCED_DIRS)) {
            if (!absolute.startsWith(pending)) {
                continue;
            }
            try {
                forceOnce(pending, pending.toString());
            } catch (ReplicaOutcomeUnknownException e) {
                throw new ReplicaTransientException("directory " + pending + " holds entries not yet durable and "
                        + "still cannot be synced: " + e.getMessage(), e);
            }
            UNSYNCED_DIRS.remove(pending);
        }
    }

    static void forceOnce(Path dir, String name) throws ReplicaException {
        FileChannel channel;
        try {
            channel = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException | UnsupportedOperationException e) {
            if (e instanceof IOException && dir.getFileSystem() == FileSystems.getDefault() && POSIX) {
                throw new ReplicaOutcomeUnknownException(name + " was published but its directory " + dir
                        + " could not be opened to sync it: " + FileFailures.describe((IOException) e), e);
            }
            return; // this platform cannot open directories; its file system orders metadata itself
        }
        try (channel) {
            channel.force(true);
        } catch (IOException e) {
            throw new ReplicaOutcomeUnknownException(name + " was published but its directory could not be synced: "
                    + FileFailures.describe(e), e);
        }
    }

}
