package dev.ltx4j.pagestore.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;

/**
 * {@link LogStorage} over a real directory with {@link FileChannel}s. Files are created owner-only
 * ({@code rw-------}) where the file system is POSIX; {@link #syncDirectory()} fsyncs the directory (skipped on
 * platforms that cannot open a directory, i.e. Windows).
 */
public final class FileLogStorage implements LogStorage {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

    private final Path directory;

    /** Uses {@code directory}, which must already exist. */
    public FileLogStorage(Path directory) {
        this.directory = Objects.requireNonNull(directory, "directory").toAbsolutePath();
    }

    public Path directory() {
        return directory;
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

    @Override
    public LogFile open(String name) throws IOException {
        return new ChannelLogFile(FileChannel.open(resolve(name), StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    @Override
    public LogFile create(String name) throws IOException {
        Path path = resolve(name);
        Files.deleteIfExists(path);
        return new ChannelLogFile(FileChannel.open(path,
                Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW), ownerOnly()));
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
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    @Override
    public StorageLock lock(String name) throws IOException {
        Path path = resolve(name);
        FileChannel channel = FileChannel.open(path,
                Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE), ownerOnly());
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            channel.close();
            throw new StorageLockedException(path.toString(),
                    "buffer lock " + path + " is already held by another owner in this process");
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new StorageLockedException(path.toString(),
                    "buffer lock " + path + " is held by another process; only one process may own a write buffer");
        }
        return () -> {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        };
    }

    @Override
    public String describe(String name) {
        return resolve(name).toString();
    }

    private static final class ChannelLogFile implements LogFile {
        private final FileChannel channel;

        ChannelLogFile(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            int total = 0;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position + total);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            return total;
        }

        @Override
        public void write(long position, ByteBuffer src) throws IOException {
            long at = position;
            while (src.hasRemaining()) {
                at += channel.write(src, at);
            }
        }

        @Override
        public void force() throws IOException {
            channel.force(false);
        }

        @Override
        public void truncate(long size) throws IOException {
            channel.truncate(size);
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
