package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A read-only handle on one generation of a write buffer's log file, opened by the engine itself so that page
 * records stay readable after the buffer rewrites the log ({@link WriteBuffer#markSynced}, {@link WriteBuffer#reset}
 * replace the file by rename): this handle keeps the replaced file's contents, so a pinned database version whose
 * local page references point into it never reads an offset that a later generation reuses.
 *
 * <p>Committed records are never modified, so reads need no coordination with the buffer. The handle is
 * reference counted: the creator holds one reference, every pin of a version that points into this generation
 * holds another ({@link #retain()} / {@link #release()}); the file is closed when the count reaches zero. The
 * close itself runs on the executor given at open (the engine's background thread): the handle is usually the
 * last one on a replaced, unlinked file, so closing it frees the whole old log, which should not lengthen a sync.
 * A failed close is thrown to that executor's error handler. Thread-safe.
 */
public final class LocalGeneration {
    private final Executor closer;
    private final LogFile file;
    private final String location;
    private final int pageSize;
    private final long id;
    /** References; 0 once the last one was released (then it never rises again). Lock-free: every read transaction of every connection retains and releases it. */
    private final AtomicInteger references = new AtomicInteger(1);
    private volatile boolean closed;

    private LocalGeneration(LogFile file, String location, int pageSize, long id, Executor closer) {
        this.closer = closer;
        this.file = file;
        this.location = location;
        this.pageSize = pageSize;
        this.id = id;
    }

    /**
     * Opens the file currently named {@code name} in {@code storage}. The caller must make sure the buffer does not
     * rewrite it meanwhile (the engine opens a generation only between rewrites).
     *
     * @param id a number naming this generation in errors and tests (the engine counts its rewrites)
     */
    public static LocalGeneration open(LogStorage storage, String name, int pageSize, long id) throws IOException {
        return open(storage, name, pageSize, id, Runnable::run);
    }

    /**
     * Like {@link #open(LogStorage, String, int, long)} (which closes on the releasing thread) with the executor
     * that closes the file: the engine's background executor.
     */
    public static LocalGeneration open(LogStorage storage, String name, int pageSize, long id, Executor closer)
            throws IOException {
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(closer, "closer");
        return new LocalGeneration(storage.open(name), storage.describe(name), pageSize, id, closer);
    }

    public int pageSize() {
        return pageSize;
    }

    /** The number given at open. */
    public long id() {
        return id;
    }

    /**
     * Copies the image held by the page record at {@code offset} into {@code dst}, checking that the record is a
     * page record for {@code pgno}.
     *
     * @throws IOException when the handle is closed (a pin was not counted) or the record is not what was expected
     */
    public void read(long offset, long pgno, byte[] dst) throws IOException {
        // No lock around the read: positional reads of the handle are thread-safe, and readers of many connections
        // read unsynced pages at once (a monitor here serialized them around a system call). A pin keeps the
        // generation open; a read after the last release fails on the closed handle, reported as below.
        if (closed) {
            throw notPinned(pgno);
        }
        ByteBuffer b = PageRecordReads.scratch(pageSize);
        String where = location + " (generation " + id + ")";
        try {
            PageRecordReads.read(file, offset, pgno, pageSize, b, location, where);
        } catch (IOException e) {
            if (closed) {
                throw notPinned(pgno);
            }
            throw e;
        }
        PageRecordReads.image(b, 0, offset, pgno, pageSize, dst, location, where);
    }

    private IOException notPinned(long pgno) {
        return new IOException("generation " + id + " of write buffer " + location
                + " is closed: a reader used a version it had not pinned (page " + pgno + ")");
    }

    /** Adds a reference; false when the generation is already closed (the caller must not use it). */
    public boolean retain() {
        for (int r = references.get(); r > 0; r = references.get()) {
            if (references.compareAndSet(r, r + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Drops a reference; with the last one the generation is closed and its file handle released. */
    public void release() {
        int r;
        do {
            r = references.get();
            if (r <= 0) {
                return; // already closed (a release too many is ignored, as before)
            }
        } while (!references.compareAndSet(r, r - 1));
        if (r == 1) {
            closed = true;
            closer.execute(() -> {
                try {
                    file.close();
                } catch (IOException e) {
                    // Read-only handle: nothing was lost, but a leaked handle keeps the old log's space: report it.
                    throw new UncheckedIOException("closing generation " + id + " of write buffer " + location, e);
                }
            });
        }
    }

    /** Whether the last reference was released. */
    public boolean isClosed() {
        return closed;
    }

    /** Current reference count (for tests and status). */
    public int references() {
        return Math.max(0, references.get());
    }

    @Override
    public String toString() {
        return location + "#" + id;
    }
}
