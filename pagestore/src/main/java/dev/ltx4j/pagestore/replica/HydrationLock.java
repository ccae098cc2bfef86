package dev.ltx4j.pagestore.replica;

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

    private HydrationLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock of {@code path}, or throws an {@link IOException} naming it when someone else holds it. */
    static HydrationLock acquire(Path path) throws IOException {
        Path lockPath = path.resolveSibling(path.getFileName() + ".lock");
        SecureFiles.checkExistingFile(lockPath);
        FileChannel channel = FileChannel.open(lockPath, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                SecureFiles.ownerOnlyFile(lockPath));
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new IOException("hydrated file " + path + " is in use by another process (or another open of"
                    + " this database); set a different hydration_path");
        }
        return new HydrationLock(channel, lock);
    }

    void release() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
