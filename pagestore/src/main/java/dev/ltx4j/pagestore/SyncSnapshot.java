package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The state after a prefix of the buffer's transactions, for the syncer to upload as one LTX file: the base it
 * builds on, the latest image of each page changed (ascending, none above {@link #commitSize()}) and the final
 * database size. Page bytes are read from the buffer file on demand. Valid until the buffer's next
 * {@link WriteBuffer#markSynced} or {@link WriteBuffer#reset}; thread-safe.
 */
public final class SyncSnapshot implements Iterable<PageImage> {
    private final WriteBuffer buffer;
    private final BufferBase base;
    private final long firstSeq;
    private final long upToSeq;
    private final int transactionCount;
    private final long commitSize;
    private final long generation;
    private final int[] pgnos;
    private final long[] offsets;

    SyncSnapshot(WriteBuffer buffer, BufferBase base, long firstSeq, long upToSeq, int transactionCount,
            long commitSize, long generation, int[] pgnos, long[] offsets) {
        this.buffer = buffer;
        this.base = base;
        this.firstSeq = firstSeq;
        this.upToSeq = upToSeq;
        this.transactionCount = transactionCount;
        this.commitSize = commitSize;
        this.generation = generation;
        this.pgnos = pgnos;
        this.offsets = offsets;
    }

    /** The replica state these transactions build on (pre-apply TXID and checksum). */
    public BufferBase base() {
        return base;
    }

    /** Sequence number of the first transaction included. */
    public long firstSeq() {
        return firstSeq;
    }

    /** Sequence number of the last transaction included: pass it to {@link WriteBuffer#markSynced}. */
    public long upToSeq() {
        return upToSeq;
    }

    public int transactionCount() {
        return transactionCount;
    }

    /** True when there is nothing to upload. */
    public boolean isEmpty() {
        return transactionCount == 0;
    }

    /** Database size in pages after the last included transaction. */
    public long commitSize() {
        return commitSize;
    }

    public int pageSize() {
        return buffer.pageSize();
    }

    public int pageCount() {
        return pgnos.length;
    }

    /** Page number of the {@code i}-th page, ascending. */
    public long pgno(int i) {
        return Integer.toUnsignedLong(pgnos[i]);
    }

    /** Copies the {@code i}-th page image into {@code dst}. */
    public void readPage(int i, byte[] dst) throws IOException {
        buffer.readSnapshotPage(generation, offsets[i], pgno(i), dst);
    }

    /**
     * A sequential reader of this snapshot's pages for one thread: reads runs of page records that lie close
     * together in the buffer file (one transaction's pages usually do) with one read of up to 256 KiB instead of
     * one read per page. Same results as {@link #readPage}.
     */
    public Cursor cursor() {
        return new Cursor();
    }

    /** See {@link #cursor()}; not thread-safe. */
    public final class Cursor {
        private static final int WINDOW = 256 * 1024;
        private final ByteBuffer window;
        private final int recordSize;
        private long windowStart = -1;
        private int windowLength;

        private Cursor() {
            int ps = buffer.pageSize();
            this.recordSize = LogFormat.PAGE_HEADER + ps;
            this.window = ByteBuffer.allocateDirect(Math.max(WINDOW, ps));
        }

        /** Copies the {@code i}-th page image into {@code dst}, like {@link SyncSnapshot#readPage}. */
        public void read(int i, byte[] dst) throws IOException {
            int ps = buffer.pageSize();
            if (dst.length < ps) {
                throw new IllegalArgumentException(
                        "destination of " + dst.length + " bytes is smaller than the page size " + ps);
            }
            long at = offsets[i] + LogFormat.PAGE_HEADER;
            if (windowStart < 0 || at < windowStart || at + ps > windowStart + windowLength) {
                fill(i, at, ps);
            }
            window.get((int) (at - windowStart), dst, 0, ps);
        }

        /** Reads from {@code at} through the last of the next records that follow closely (gaps under a record). */
        private void fill(int i, long at, int ps) throws IOException {
            long end = at + ps;
            for (int j = i + 1; j < offsets.length; j++) {
                long next = offsets[j] + LogFormat.PAGE_HEADER;
                if (next < end || next - end > recordSize || next + ps - at > window.capacity()) {
                    break;
                }
                end = next + ps;
            }
            window.clear().limit((int) (end - at));
            windowStart = -1;
            buffer.readSnapshotRange(generation, at, window);
            windowStart = at;
            windowLength = (int) (end - at);
        }
    }

    /** Pages in ascending order, each in a new array; I/O failures surface as {@link UncheckedIOException}. */
    @Override
    public Iterator<PageImage> iterator() {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < pgnos.length;
            }

            @Override
            public PageImage next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                byte[] data = new byte[buffer.pageSize()];
                try {
                    readPage(next, data);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return new PageImage(pgno(next++), data);
            }
        };
    }
}
