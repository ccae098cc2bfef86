package dev.ltx4j.pagestore.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One file of a {@link LogStorage}, accessed by absolute position. Implementations must allow concurrent
 * positional reads from many threads while one thread writes; writes, truncation and force are issued by the
 * owner under its own locks.
 */
public interface LogFile extends Closeable {

    /**
     * Reads up to {@code dst.remaining()} bytes starting at {@code position}, stopping early only at end of file.
     *
     * @return the number of bytes read (0 at or beyond end of file)
     */
    int read(long position, ByteBuffer dst) throws IOException;

    /** Writes all remaining bytes of {@code src} at {@code position}, extending the file if needed. */
    void write(long position, ByteBuffer src) throws IOException;

    /**
     * Makes room for writes up to byte {@code end} ahead of time, so that writes below it change neither the file's
     * size nor its block allocation (an optimisation: a later {@link #force()} of a write there then flushes the
     * written bytes alone). Invisible to {@link #size()} and {@link #read}; a file that cannot do it ignores it.
     *
     * @return true when this call extended the file (a {@link #force()} then also flushes the room)
     */
    default boolean reserve(long end) throws IOException {
        return false;
    }

    /**
     * For a file opened by {@link LogStorage#reuse}: how far it held bytes before (its size then), so that below this
     * offset, bytes this handle has not written are an older use's, not zeros. 0 for every other file.
     */
    default long staleEnd() {
        return 0;
    }

    /** Makes every completed write and truncation durable (the data, not necessarily metadata). */
    void force() throws IOException;

    /** Cuts the file to {@code size} bytes; does nothing if it is already that small. */
    void truncate(long size) throws IOException;

    /** Current size in bytes, including writes not yet forced. */
    long size() throws IOException;

    /**
     * Closes a file whose name a rename has already given to another file: nobody appends to it again, so an
     * implementation may skip tidying it for a later reader (a file log does not cut off its preallocated zeros,
     * which go with the file once its last handle closes).
     */
    default void closeReplaced() throws IOException {
        close();
    }
}
