package dev.ltx4j.pagestore.storage;

import dev.ltx4j.pagestore.DirectMemoryException;
import dev.ltx4j.replica.internal.ErrnoText;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystems;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link LogStorage} over a real directory with {@link FileChannel}s. Files are created owner-only
 * ({@code rw-------}) where the file system is POSIX; {@link #syncDirectory()} fsyncs the directory (skipped on
 * platforms that cannot open a directory, i.e. Windows).
 */
public final class FileLogStorage implements LogStorage {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

    /** Every fsync this class issued in the process (files and directories), for benchmarks. */
    private static final LongAdder FSYNCS = new LongAdder();

    /** Number of fsyncs (file forces and directory syncs) issued through this class since the process started. */
    public static long fsyncCount() {
        return FSYNCS.sum();
    }

    /** Default preallocation step for written log files: one size change per 2 MiB of log, not one per commit. */
    public static final long DEFAULT_PREALLOCATION = 2L * 1024 * 1024;

    private final Path directory;
    private final long preallocation;
    /** The largest file {@link #reuse} writes into again. */
    private static final long MAX_REUSED = 1L << 40;

    /** Uses {@code directory}, which must already exist, with {@link #DEFAULT_PREALLOCATION}. */
    public FileLogStorage(Path directory) {
        this(directory, DEFAULT_PREALLOCATION);
    }

    /**
     * Uses {@code directory}, which must already exist. Files written through this storage are extended with zeros
     * {@code preallocation} bytes at a time ahead of their end (0 turns that off); callers never see those zeros.
     */
    public FileLogStorage(Path directory, long preallocation) {
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath();
        if (preallocation < 0) {
            throw new IllegalArgumentException("preallocation must be >= 0 bytes, got " + preallocation);
        }
        this.preallocation = preallocation;
    }

    public Path directory() {
        return directory;
    }

    /** Looked up once: finding a path's file store reads the mount table, its usable space is one statvfs. */
    private volatile java.nio.file.FileStore store;

    @Override
    public long usableSpace() throws IOException {
        java.nio.file.FileStore s = store;
        if (s == null) {
            store = s = Files.getFileStore(directory);
        }
        return usableSpace(s);
    }

    /**
     * The usable bytes of {@code store} as the write buffer reads them: {@link Long#MAX_VALUE} (unknown) when it
     * reports no size at all (total 0: statvfs's {@code f_blocks} 0, as several FUSE and network file systems
     * answer), which would otherwise read as a full disk and refuse every commit after the first
     * (docs/write-buffer-full-disk.md, "File systems that do not know their size"). A real full disk reports its
     * size, and 0 available.
     */
    public static long usableSpace(java.nio.file.FileStore store) throws IOException {
        long usable = store.getUsableSpace();
        return usable <= 0 && store.getTotalSpace() <= 0 ? Long.MAX_VALUE : usable;
    }

    private Path resolve(String name) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("not a plain file name: \"" + name + "\"");
        }
        return directory.resolve(name);
    }

    private static FileAttribute<?>[] ownerOnly() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_RW)} : new FileAttribute<?>[0];
    }

    /** Opens an existing file: never through a symbolic link, and only one this user owns and others cannot write. */
    @Override
    public LogFile open(String name) throws IOException {
        Path path = resolve(name);
        SecureFiles.checkExistingFile(path);
        return new ChannelLogFile(path, new InterruptSafeChannel(path, FileChannel.open(path, StandardOpenOption.READ,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)), preallocation);
    }

    @Override
    public LogFile create(String name) throws IOException {
        Path path = resolve(name);
        Files.deleteIfExists(path);
        return new ChannelLogFile(path, new InterruptSafeChannel(path, FileChannel.open(path,
                Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW), ownerOnly())),
                preallocation);
    }

    /** A hard link; not kept (false) when this storage does not preallocate or the file system has no links. */
    @Override
    public boolean keepAs(String name, String spare) throws IOException {
        if (preallocation == 0) {
            return false;
        }
        Path kept = resolve(spare);
        Files.deleteIfExists(kept);
        try {
            Files.createLink(kept, resolve(name));
            return true;
        } catch (UnsupportedOperationException | IOException e) {
            return false; // only an optimisation: the next rewrite creates and zero-fills a new file, as before
        }
    }

    @Override
    public LogFile reuse(String spare, String name, long keepAtMost) throws IOException {
        Path from = resolve(spare);
        if (preallocation == 0 || !Files.exists(from, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        SecureFiles.checkExistingFile(from);
        if (Files.size(from) > MAX_REUSED) {
            return null; // beyond what a log header can name as stale (LogHeader.staleEnd): a new file instead
        }
        Path path = resolve(name);
        Files.move(from, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        ChannelLogFile file = new ChannelLogFile(path, new InterruptSafeChannel(path, FileChannel.open(path,
                StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)), preallocation);
        file.startOver(keepAtMost);
        return file;
    }

    @Override
    public boolean exists(String name) {
        return Files.exists(resolve(name));
    }

    @Override
    public void deleteIfExists(String name) throws IOException {
        Files.deleteIfExists(resolve(name));
    }

    @Override
    public void replace(String from, String to) throws IOException {
        Files.move(resolve(from), resolve(to), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void syncDirectory() throws IOException {
        if (!POSIX) {
            return; // directories cannot be opened for fsync on Windows; NTFS journals renames itself
        }
        InterruptSafeChannel.uninterrupted(() -> { // an interrupted committer must not fail the buffer
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                FSYNCS.increment();
                dir.force(true);
            }
            return null;
        });
    }

    @Override
    public void syncDirectoryEntry() throws IOException {
        if (POSIX) { // the real path's parents up to its mount point; AccessDenied, EINVAL and EROFS parents skipped
            int synced = InterruptSafeChannel.uninterrupted(() -> SecureFiles.syncEntryAndAncestors(directory));
            FSYNCS.add(synced);
        }
    }

    @Override
    public StorageLock lock(String name) throws IOException {
        Path path = resolve(name);
        SecureFiles.checkExistingFile(path);
        // Reserved in the JVM before any descriptor is opened: closing one would free another owner's lock
        // (ProcessLocks; docs/class-loaders.md).
        ProcessLocks.Reservation reserved = ProcessLocks.reserve(path);
        if (reserved == null) {
            String other = ProcessLocks.heldBy(path);
            throw new StorageLockedException(path.toString(), "buffer lock " + path + " is already held by "
                    + (other != null ? other : "another owner in this process"));
        }
        FileChannel channel;
        FileLock lock;
        try {
            channel = FileChannel.open(path, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS), ownerOnly());
        } catch (IOException | RuntimeException e) {
            reserved.release();
            throw e;
        }
        try {
            lock = InterruptSafeChannel.uninterrupted(channel::tryLock);
        } catch (OverlappingFileLockException e) {
            channel.close();
            reserved.release();
            throw new StorageLockedException(path.toString(),
                    "buffer lock " + path + " is already held by another owner in this process");
        } catch (IOException e) {
            channel.close();
            reserved.release();
            throw locksRefused(path, e);
        } catch (RuntimeException e) {
            channel.close();
            reserved.release();
            throw e;
        }
        if (lock == null) {
            channel.close();
            reserved.release();
            throw new StorageLockedException(path.toString(),
                    "buffer lock " + path + " is held by another process; only one process may own a write buffer");
        }
        return () -> {
            try {
                lock.release();
            } finally {
                try {
                    channel.close();
                } finally {
                    reserved.release();
                }
            }
        };
    }

    /**
     * A lock file whose file system refuses POSIX record locks (ENOLCK from an NFS mount without its lock service,
     * EOPNOTSUPP or ENOSYS from some FUSE and SMB mounts): the JDK says only the C library's text. The buffer is
     * refused, since without its lock a second process or host could open it too (docs/write-buffer-recovery.md,
     * "Network file systems").
     */
    static IOException locksRefused(Path lockFile, IOException e) {
        if (e instanceof java.nio.channels.ClosedChannelException) {
            return e; // an interrupt or close, not the file system
        }
        if (!locksUnsupported(e)) { // EIO, ENOMEM...: a failure of this lock call, not a mount without locks
            FileSystemException failed = new FileSystemException(lockFile.toString(), null, "cannot lock it ("
                    + e.getMessage() + ")");
            failed.initCause(e);
            return failed;
        }
        FileSystemException refused = new FileSystemException(lockFile.toString(), null, "cannot lock it ("
                + e.getMessage() + "): the file system under the write buffer refuses POSIX record locks (fcntl), as"
                + " an NFS mount without its lock service (NFSv3 'nolock', no rpc.statd/lockd) and some FUSE and SMB"
                + " mounts do. Without that lock another process or host could open the same buffer and both would"
                + " write it, so it is not used: put the buffer on a local file system (LITESTREAM_BUFFER_PATH,"
                + " buffer_path), or mount with working locks (NFSv4, or NFSv3 with lockd)");
        refused.initCause(e);
        return refused;
    }

    /**
     * ENOLCK, EOPNOTSUPP/ENOTSUP or ENOSYS, known by the C library's text (the only thing the JDK passes on), in
     * English or translated under the process's locale ({@link ErrnoText}; round 9). "Not supported": some FUSE
     * file systems' own words.
     */
    private static boolean locksUnsupported(IOException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        return ErrnoText.mentions(m, ErrnoText.Errno.ENOLCK) || ErrnoText.mentions(m, ErrnoText.Errno.EOPNOTSUPP)
                || ErrnoText.mentions(m, ErrnoText.Errno.ENOSYS) || m.contains("Not supported");
    }

    @Override
    public String describe(String name) {
        return resolve(name).toString();
    }

    /**
     * A log file that keeps zero-filled space ahead of its end once it has been written through this handle, so a
     * later {@link #force()} (fdatasync) rarely has to commit a file-size change along with the data: most commits
     * land inside space that already belongs to the file. The preallocation is invisible to callers: {@link #size()}
     * and {@link #read} stop at the logical end (the furthest byte written), and a clean {@link #close()} cuts the
     * zeros off. After a crash the zeros stay; the log scanner treats a zero tail as a torn tail (no record type is
     * zero, and records are checksum-chained from a random salt), and the buffer truncates it on open.
     *
     * <p>A handle that never writes (a reader of committed pages) knows no logical end of its own and reports the
     * physical size, exactly as before.
     *
     * <p>A write that fails for want of space throws {@link StorageFullException} ({@link DiskSpace} decides, whatever
     * the locale's error text).
     */
    private static final class ChannelLogFile implements LogFile {
        private static final int ZERO_BLOCK = 1024 * 1024;
        /**
         * Shared and never written (each use takes its own duplicate): zeros for {@link #fillZeros}. Allocated at first
         * use, not in a static initialiser: one failing there (the direct memory limit) breaks the class for the JVM's
         * life; here it only skips that preallocation. Two threads racing may both allocate: harmless.
         */
        private static volatile ByteBuffer zeros;
        private static final long MIN_STEP = 64 * 1024;

        private final Path path;
        private final InterruptSafeChannel channel; // a thread interrupt must not close the log for everyone
        private final long chunk;
        /** Furthest byte written or truncated through this handle; -1 until it writes or truncates. */
        private volatile long logicalEnd = -1;
        /** Physical size this handle has extended the file to (only meaningful once {@link #logicalEnd} >= 0). */
        private long allocatedEnd;
        private boolean preallocate;
        /** See {@link LogFile#staleEnd()}; set once by {@link #startOver}. */
        private long stale;

        ChannelLogFile(Path path, InterruptSafeChannel channel, long chunk) {
            this.path = path;
            this.channel = channel;
            this.chunk = chunk;
            this.preallocate = chunk > 0;
        }

        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            long end = logicalEnd;
            int limit = dst.limit();
            if (end >= 0) {
                if (position >= end) {
                    return 0;
                }
                if (dst.remaining() > end - position) {
                    dst.limit(dst.position() + (int) (end - position));
                }
            }
            try {
                int total = 0;
                while (dst.hasRemaining()) {
                    int n = channel.read(dst, position + total);
                    if (n < 0) {
                        break;
                    }
                    total += n;
                }
                return total;
            } finally {
                dst.limit(limit);
            }
        }

        @Override
        public void write(long position, ByteBuffer src) throws IOException {
            long before = knownEnd();
            long end = position + src.remaining();
            long at = position;
            try {
                while (src.hasRemaining()) {
                    at += channel.write(src, at);
                }
            } catch (IOException e) {
                if (DiskSpace.isOutOfSpace(e, path.getParent(), src.remaining())) {
                    throw new StorageFullException(path.toString(),
                            DiskSpace.fullMessage(e, path, src.remaining(), at), e, DiskSpace.hasQuotaText(e));
                }
                throw e;
            }
            if (end > allocatedEnd) {
                allocatedEnd = end;
                if (preallocate) {
                    extendWithZeros(end);
                }
            }
            logicalEnd = Math.max(before, end);
        }

        /** For {@link #reuse}: nothing written yet, and all of the file's space already allocated and written. */
        void startOver(long keepAtMost) throws IOException {
            try {
                stale = channel.size(); // the cut below may not survive a crash: the old bytes may reach this far
                if (channel.size() > keepAtMost) {
                    channel.truncate(keepAtMost);
                }
                allocatedEnd = channel.size();
                logicalEnd = 0;
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        @Override
        public long staleEnd() {
            return stale;
        }

        private long knownEnd() throws IOException {
            long end = logicalEnd;
            if (end < 0) {
                end = channel.size();
                allocatedEnd = end;
            }
            return end;
        }

        /**
         * Writes real zeros (not a sparse hole, not an unwritten extent) from {@code from} up to the next step
         * boundary, so later writes there change no file size or extent state. The step grows with the file (64 KiB
         * up to the chunk), so a new, small log does not cost a chunk of zeros. Only an optimisation: if it fails
         * (a full disk), the zeros are cut off again and this handle stops preallocating. Runs on the committing
         * thread only when the commits outgrow what the rewrite that made this file reserved ({@link #reserve}).
         */
        private void extendWithZeros(long from) {
            long step = Math.min(chunk, Math.max(Math.min(MIN_STEP, chunk), from));
            fillZeros(from, (from / step + 1) * step);
        }

        /**
         * The room a rewrite of the log leaves in its new file for the commits to come, zero-filled on the syncing
         * thread (which then forces it) rather than in steps on the committing thread, whose {@code fdatasync} would
         * otherwise write each step's zeros and block allocation (docs/durable-commit-cost.md, session 8).
         */
        @Override
        public boolean reserve(long end) {
            if (!preallocate || logicalEnd < 0) {
                return false;
            }
            long step = Math.min(MIN_STEP, chunk);
            long target = (end + step - 1) / step * step;
            if (target <= allocatedEnd) {
                return false;
            }
            return fillZeros(allocatedEnd, target);
        }

        private static ByteBuffer zeroBlock() {
            ByteBuffer z = zeros;
            if (z == null) {
                z = DirectMemoryException.allocate(ZERO_BLOCK, "zero-filling the write buffer's file")
                        .asReadOnlyBuffer();
                zeros = z;
            }
            return z;
        }

        private boolean fillZeros(long from, long target) {
            // Direct: a heap buffer would be copied into a temporary direct one on every write (docs/sync-cost.md).
            ByteBuffer zeros;
            try {
                zeros = zeroBlock().duplicate();
            } catch (DirectMemoryException e) {
                return false; // preallocation is an optimisation: the writes themselves still grow the file
            }
            long at = from;
            try {
                while (at < target) {
                    zeros.clear();
                    if (zeros.remaining() > target - at) {
                        zeros.limit((int) (target - at));
                    }
                    at += channel.write(zeros, at);
                }
                allocatedEnd = target;
                return true;
            } catch (IOException e) {
                preallocate = false;
                try {
                    channel.truncate(from);
                } catch (IOException ignored) {
                    // the zeros stay; recovery treats a zero tail as torn, and close() tries the cut again
                }
                return false;
            }
        }

        @Override
        public void force() throws IOException {
            FSYNCS.increment();
            channel.force(false);
        }

        @Override
        public void truncate(long size) throws IOException {
            long end = knownEnd();
            if (channel.size() > size) {
                channel.truncate(size);
            }
            allocatedEnd = Math.min(allocatedEnd, size);
            logicalEnd = Math.min(end, size);
        }

        @Override
        public long size() throws IOException {
            long end = logicalEnd;
            return end >= 0 ? end : channel.size();
        }

        /** The file is unlinked: cutting its zeros would be a truncate (and a journal update) for nothing. */
        @Override
        public void closeReplaced() throws IOException {
            channel.close();
        }

        /** Cuts off this handle's preallocated zeros so a cleanly closed log ends exactly after its last record. */
        @Override
        public void close() throws IOException {
            try {
                long end = logicalEnd;
                if (end >= 0 && channel.isOpen() && channel.size() > end) {
                    channel.truncate(end);
                }
            } finally {
                channel.close();
            }
        }
    }
}
