package dev.ltx4j.pagestore.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * A {@link FileChannel} that a {@link Thread#interrupt()} cannot break. A plain {@code FileChannel} closes itself
 * for every thread when a thread blocked in (or merely entering with its interrupt flag set) one of its I/O calls is
 * interrupted: one cancelled task ({@code Future.cancel(true)}, {@code shutdownNow}, a pool or servlet timeout)
 * would stop the write buffer of every connection of the process. Here each call runs with the caller's interrupt
 * flag cleared and set again afterwards (the interrupt is kept for the caller's next blocking call; the write log's
 * call completes whole, as SQLite's own VFS ignores interrupts), and a channel closed by an interrupt arriving
 * during the call (or by another thread's interrupt, seen here as an asynchronous close) is reopened, after checking
 * that the path still names the same file, and the call redone from its start (positional reads and writes are
 * idempotent). Only {@link #close()} closes it for good.
 */
final class InterruptSafeChannel {
    /**
     * Retries per call. Only an interrupt closes the channel (a deliberate {@link #close()} is seen and rethrown), so
     * each retry needs another interrupt to land inside the call; the bound only stops a livelock.
     */
    private static final int MAX_REOPENS = 10_000;

    /** Where the file was last seen: a rename (the rewritten log taking the log's name) moves it. */
    private volatile Path path;
    private final Object fileKey;
    private volatile FileChannel channel;
    private volatile boolean closed;

    InterruptSafeChannel(Path path, FileChannel channel) throws IOException {
        this.path = Objects.requireNonNull(path, "path");
        this.channel = channel;
        Object key;
        try {
            key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        this.fileKey = key != null ? key : new Object(); // no file keys (not POSIX): never reopened
    }

    interface Call<T> {
        T on(FileChannel ch) throws IOException;
    }

    /** Opening I/O {@code opens} channels for one call: runs it with the interrupt flag cleared, again if closed. */
    interface Once<T> {
        T run() throws IOException;
    }

    /** Runs {@code once} (which opens and closes its own channel) unbroken by the caller's interrupt flag. */
    static <T> T uninterrupted(Once<T> once) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int tries = 0; ; tries++) {
                try {
                    return once.run();
                } catch (ClosedChannelException e) {
                    interrupted |= Thread.interrupted();
                    if (tries >= MAX_REOPENS) {
                        throw e;
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private <T> T call(Call<T> call) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int reopens = 0; ; reopens++) {
                FileChannel ch = channel;
                try {
                    return call.on(ch);
                } catch (ClosedChannelException e) { // ClosedByInterruptException, AsynchronousCloseException
                    interrupted |= Thread.interrupted();
                    if (closed || reopens >= MAX_REOPENS) {
                        throw e;
                    }
                    reopen(ch, e);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private synchronized void reopen(FileChannel broken, ClosedChannelException cause) throws IOException {
        if (closed) {
            throw cause; // closed for good meanwhile: a fresh channel would never be closed
        }
        if (channel != broken) {
            return; // another thread already reopened it
        }
        try {
            Path at = locate();
            if (at == null) {
                throw new IOException(path + " was closed by a thread interrupt and is no longer in "
                        + path.getParent() + " (deleted or renamed over); not reopened");
            }
            FileChannel fresh = FileChannel.open(at, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            if (!fileKey.equals(keyOf(at))) { // replaced between the look and the open
                fresh.close();
                throw new IOException(at + " changed while being reopened after a thread interrupt");
            }
            path = at;
            channel = fresh;
        } catch (IOException e) {
            e.addSuppressed(cause);
            throw e;
        }
    }

    /** The file's current path: where it was, else the entry of its directory that is the same file (renamed). */
    private Path locate() throws IOException {
        if (fileKey.equals(keyOf(path))) {
            return path;
        }
        try (var entries = Files.list(path.getParent())) {
            return entries.filter(p -> fileKey.equals(keyOf(p))).findFirst().orElse(null);
        }
    }

    private static Object keyOf(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    int read(ByteBuffer dst, long position) throws IOException {
        int start = dst.position();
        return call(ch -> {
            dst.position(start);
            return ch.read(dst, position);
        });
    }

    int write(ByteBuffer src, long position) throws IOException {
        int start = src.position();
        return call(ch -> {
            src.position(start);
            return ch.write(src, position);
        });
    }

    void force(boolean metaData) throws IOException {
        call(ch -> {
            ch.force(metaData);
            return null;
        });
    }

    long size() throws IOException {
        return call(FileChannel::size);
    }

    void truncate(long size) throws IOException {
        call(ch -> ch.truncate(size));
    }

    boolean isOpen() {
        return !closed;
    }

    synchronized void close() throws IOException { // with reopen(): no fresh channel may outlive the close
        closed = true;
        channel.close();
    }
}
