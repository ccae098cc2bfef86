package dev.ltx4j.pagestore.replica;

import dev.ltx4j.pagestore.storage.ProcessLocks;
import dev.ltx4j.pagestore.storage.SecureFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * The lock file beside a hydrated file ({@code <file>.lock}): two hydrators writing one file would each trust pages
 * the other rewrote, so a second one (another process, or another open in this one) is refused.
 */
final class HydrationLock {
    private final FileChannel channel;
    private final FileLock lock;
    private final ProcessLocks.Reservation reserved;

    private HydrationLock(FileChannel channel, FileLock lock, ProcessLocks.Reservation reserved) {
        this.channel = channel;
        this.lock = lock;
        this.reserved = reserved;
    }

    /** Takes the lock of {@code path}, or throws an {@link IOException} naming it when someone else holds it. */
    static HydrationLock acquire(Path path) throws IOException {
        Path lockPath = path.resolveSibling(path.getFileName() + ".lock");
        SecureFiles.checkExistingFile(lockPath);
        // Reserved before a descriptor is opened: closing one would free another owner's lock (ProcessLocks).
        ProcessLocks.Reservation reserved = ProcessLocks.reserve(lockPath);
        FileChannel channel = null;
        FileLock lock = null;
        try {
            if (reserved != null) {
                channel = FileChannel.open(lockPath, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                        SecureFiles.ownerOnlyFile(lockPath));
                lock = channel.tryLock();
            }
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            closeAndRelease(channel, reserved);
            throw e;
        }
        if (lock == null) {
            closeAndRelease(channel, reserved);
            throw new IOException("hydrated file " + path + " is in use by another process (or another open of"
                    + " this database); set a different hydration_path");
        }
        return new HydrationLock(channel, lock, reserved);
    }

    /** Closes {@code channel} (when open), then lets the reservation go even when the close throws. */
    private static void closeAndRelease(FileChannel channel, ProcessLocks.Reservation reserved) throws IOException {
        try {
            if (channel != null) channel.close();
        } finally {
            if (reserved != null) reserved.release();
        }
    }

    void release() throws IOException {
        try {
            lock.release();
        } finally {
            try {
                channel.close();
            } finally {
                reserved.release();
            }
        }
    }
}
