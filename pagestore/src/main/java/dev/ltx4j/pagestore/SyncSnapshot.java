package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.internal.TxnEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
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
    private final RecordChain chain;

    SyncSnapshot(WriteBuffer buffer, BufferBase base, long firstSeq, long upToSeq, int transactionCount,
            long commitSize, long generation, int[] pgnos, long[] offsets, RecordChain chain) {
        this.buffer = buffer;
        this.base = base;
        this.firstSeq = firstSeq;
        this.upToSeq = upToSeq;
        this.transactionCount = transactionCount;
        this.commitSize = commitSize;
        this.generation = generation;
        this.pgnos = pgnos;
        this.offsets = offsets;
        this.chain = chain;
    }

    /**
     * Where each page record's checksum chain comes from, so a record can be checked on its own: the record CRC
     * covers (salt, previous record's CRC, the record), and the previous record's CRC sits at a known place: the
     * header's CRC for the file's first record, the end of the previous commit record for a transaction's first
     * record, else the CRC field of the page record just before (a transaction's records are contiguous).
     *
     * In a version 2 file ({@code compressed}) every record ends with its CRC, so the previous record's CRC is the
     * 4 bytes before a record, whatever the previous record's length.
     *
     * @param previousCrcAt per page, the file offset of the previous record's CRC, or -1 for the header's
     */
    record RecordChain(long salt, int headerCrc, long[] previousCrcAt, boolean compressed) {
        /** {@code txns} (the first {@code count} of them are in the snapshot) start at file offset {@code start}. */
        static RecordChain of(LogHeader header, List<TxnEntry> txns, long start, int count, long[] offsets) {
            if (header.compressed()) {
                return trailing(header, offsets);
            }
            long[] starts = new long[count];
            for (int t = 0; t < count; t++) {
                starts[t] = start;
                start = txns.get(t).endOffset();
            }
            int recordSize = LogFormat.PAGE_HEADER + header.pageSize();
            long[] at = new long[offsets.length];
            for (int i = 0; i < offsets.length; i++) {
                long o = offsets[i];
                at[i] = o == LogHeader.SIZE ? -1
                        : Arrays.binarySearch(starts, o) >= 0 ? o - LogFormat.COMMIT_SIZE + LogFormat.COMMIT_CRC
                        : o - recordSize + LogFormat.PAGE_CRC;
            }
            return new RecordChain(header.salt(), header.headerCrc(), at, false);
        }

        private static RecordChain trailing(LogHeader header, long[] offsets) {
            long[] at = new long[offsets.length];
            for (int i = 0; i < offsets.length; i++) {
                at[i] = offsets[i] == LogHeader.SIZE ? -1 : offsets[i] - 4;
            }
            return new RecordChain(header.salt(), header.headerCrc(), at, true);
        }

        /** The chain of one transaction's records, the transaction starting at file offset {@code start}. */
        static RecordChain ofTransaction(LogHeader header, long start, long[] offsets) {
            if (header.compressed()) {
                return trailing(header, offsets);
            }
            int recordSize = LogFormat.PAGE_HEADER + header.pageSize();
            long[] at = new long[offsets.length];
            for (int i = 0; i < offsets.length; i++) {
                long o = offsets[i];
                at[i] = o == LogHeader.SIZE ? -1
                        : o == start ? o - LogFormat.COMMIT_SIZE + LogFormat.COMMIT_CRC
                        : o - recordSize + LogFormat.PAGE_CRC;
            }
            return new RecordChain(header.salt(), header.headerCrc(), at, false);
        }
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

    /**
     * Offset of the {@code i}-th page's record in the buffer file: a page map's {@code LocalPage} entry with this
     * offset (in the buffer's current file) names the same record.
     */
    public long recordOffset(int i) {
        return offsets[i];
    }

    /** Copies the {@code i}-th page image into {@code dst}. */
    public void readPage(int i, byte[] dst) throws IOException {
        buffer.reads().readSnapshotPage(generation, upToSeq, offsets[i], pgno(i), dst);
    }

    /**
     * A sequential reader of this snapshot's pages for one thread: reads runs of page records that lie close
     * together in the buffer file (one transaction's pages usually do) with one read of up to 256 KiB instead of
     * one read per page, and checks each record against its checksum chain (CRC-32, hardware-accelerated) before
     * handing out its image: what a sync uploads is exactly what was committed, so the syncer may encode it with
     * the page checksums computed at commit instead of hashing it again. Same images as {@link #readPage}.
     */
    public Cursor cursor() {
        return new Cursor(null, false);
    }

    /**
     * Like {@link #cursor()}, reading through {@code window} (a direct buffer an earlier cursor of this page size
     * used, see {@link Cursor#window()}) when it is large enough, so a caller can keep one read window for all its
     * rounds instead of allocating native memory each time; null or too small: a new one, allocated (not taken from
     * the pool, which only gets back what {@link #pooledCursor} took). The buffer must not be used by anything else
     * while the cursor is.
     */
    public Cursor cursor(ByteBuffer window) {
        return new Cursor(window, false);
    }

    /**
     * Like {@link #cursor()}, its window taken from the process's {@link DirectBufferPool}: the caller gives
     * {@link Cursor#window()} back with {@link DirectBufferPool#give} when done (a sync round).
     */
    public Cursor pooledCursor() {
        return new Cursor(null, true);
    }

    /**
     * See {@link #cursor()}; not thread-safe. In a version 2 buffer ({@link #compressed()}) the records hold the pages
     * LZ4-compressed as LTX frames hold them: {@link #locateBlock} hands out a checked block and its page CRC-64 for
     * the encoder to copy, {@link #read} decompresses.
     */
    public final class Cursor {
        private static final int WINDOW = 256 * 1024;
        private final ByteBuffer window;
        private final ByteBuffer view;
        /** A 'P' record's size, or the largest a 'Z' record can be. */
        private final int recordSize;
        private final boolean compressed;
        private final LogFormat.Chain check;
        private long windowStart = -1;
        /** Bytes asked for by the last fill, and the bytes it got (fewer only at the end of the file). */
        private int windowLength;
        private int windowRead;
        private int blockLength;
        private int blockAt;
        private long pageCrc;

        private Cursor(ByteBuffer reuse, boolean pooled) {
            int ps = buffer.pageSize();
            this.compressed = chain.compressed();
            this.recordSize = compressed ? LogFormat.maxRecord(ps) : LogFormat.PAGE_HEADER + ps;
            int size = Math.max(WINDOW, 2 * recordSize + 4);
            this.window = reuse != null && reuse.isDirect() && !reuse.isReadOnly() && reuse.capacity() >= size
                    ? reuse.clear().order(ByteOrder.BIG_ENDIAN)
                    : pooled ? DirectBufferPool.take(size, "the sync's read window") // given back after the round
                    : DirectMemoryException.allocate(size, "the sync's read window");
            this.view = window.asReadOnlyBuffer();
            this.check = new LogFormat.Chain(chain.salt(), chain.headerCrc());
        }

        /** Whether the records hold compressed pages (use {@link #locateBlock}, not {@link #locate}). */
        public boolean compressed() {
            return compressed;
        }

        /**
         * Copies the {@code i}-th page image into {@code dst}, like {@link SyncSnapshot#readPage}, after checking
         * its record.
         *
         * @throws BufferCorruptException if the record fails its checksum, names another page, or its block does
         *                                not decompress to one page
         */
        public void read(int i, byte[] dst) throws IOException {
            int ps = buffer.pageSize();
            if (dst.length < ps) {
                throw new IllegalArgumentException(
                        "destination of " + dst.length + " bytes is smaller than the page size " + ps);
            }
            if (compressed) {
                int b = locateBlock(i);
                PageRecordReads.image(window, b - LogFormat.Z_HEADER, offsets[i], pgno(i), ps, dst,
                        buffer.location(), buffer.location());
            } else {
                window.get(locate(i), dst, 0, ps);
            }
        }

        /**
         * Checks the {@code i}-th page's record like {@link #read} and returns where its image starts in
         * {@link #view()}, without copying it; valid until the next call on this cursor. Version 1 buffers only.
         *
         * @throws BufferCorruptException if the record fails its checksum or names another page
         */
        public int locate(int i) throws IOException {
            if (compressed) {
                throw new IllegalStateException("the records of write buffer " + buffer.location()
                        + " are compressed: use locateBlock");
            }
            int ps = buffer.pageSize();
            int h = position(i);
            long prev = chain.previousCrcAt()[i];
            check.reset(prev < 0 ? chain.headerCrc() : window.getInt((int) (prev - windowStart)));
            int crc = check.pageRecord(window, h, ps);
            if (crc != LogFormat.pageCrc(window, h) || !LogFormat.isPageHeader(window, h)
                    || Integer.toUnsignedLong(LogFormat.pageNumber(window, h)) != pgno(i)) {
                throw damaged(i, "it fails its checksum");
            }
            return h + LogFormat.PAGE_HEADER;
        }

        /**
         * Checks the {@code i}-th page's 'Z' record (its length against the LZ4 bound, its CRC-32 chain, its page
         * number) and returns where its LZ4 block starts in {@link #view()}; {@link #blockLength()} and
         * {@link #pageCrc()} describe it. Valid until the next call on this cursor. Version 2 buffers only.
         *
         * @throws BufferCorruptException if the record fails a check; nothing of it may be uploaded
         */
        public int locateBlock(int i) throws IOException {
            if (!compressed) {
                throw new IllegalStateException("the records of write buffer " + buffer.location()
                        + " are not compressed (format version 1): use locate");
            }
            int h = position(i);
            if (h + LogFormat.Z_HEADER > windowRead || !LogFormat.isZHeader(window, h)) {
                throw damaged(i, "it is not a compressed page record");
            }
            int n = LogFormat.zLength(window, h);
            if (n < 1 || n > LogFormat.maxBlock(buffer.pageSize())) {
                throw damaged(i, "its block length " + n + " is outside 1.." + LogFormat.maxBlock(buffer.pageSize()));
            }
            if (h + LogFormat.zRecordSize(n) > windowRead) {
                throw damaged(i, "the file ends inside it");
            }
            long prev = chain.previousCrcAt()[i];
            check.reset(prev < 0 ? chain.headerCrc() : window.getInt((int) (prev - windowStart)));
            if (check.zRecord(window, h, n) != LogFormat.zCrc(window, h, n)
                    || Integer.toUnsignedLong(LogFormat.pageNumber(window, h)) != pgno(i)) {
                throw damaged(i, "it fails its checksum");
            }
            blockLength = n;
            blockAt = h + LogFormat.Z_HEADER;
            pageCrc = LogFormat.zPageCrc(window, h);
            return h + LogFormat.Z_HEADER;
        }

        /**
         * Decompresses the block {@link #locateBlock} found last (for page {@code i}) into {@code dst}.
         *
         * @throws BufferCorruptException if it does not decompress to exactly one page
         */
        public void decompressBlock(int i, byte[] dst) throws BufferCorruptException {
            PageRecordReads.image(window, blockAt - LogFormat.Z_HEADER, offsets[i], pgno(i), buffer.pageSize(), dst,
                    buffer.location(), buffer.location());
        }

        /** The length of the block {@link #locateBlock} found last. */
        public int blockLength() {
            return blockLength;
        }

        /** The raw page CRC-64 ({@code dev.ltx4j.ltx.PageBlock#pageCrc}) stored with the block found last. */
        public long pageCrc() {
            return pageCrc;
        }

        private BufferCorruptException damaged(int i, String why) {
            return new BufferCorruptException(buffer.location(), "write buffer " + buffer.location()
                    + " holds a damaged record of page " + pgno(i) + " at offset " + offsets[i] + ": " + why
                    + "; nothing was uploaded");
        }

        /** Page {@code i}'s record start in the window, filling it first when needed. */
        private int position(int i) throws IOException {
            long at = offsets[i];
            if (windowStart < 0 || from(i) < windowStart || at + recordSize > windowStart + windowLength) {
                fill(i);
            }
            return (int) (at - windowStart);
        }

        /** The buffer this cursor reads into, for a later {@link SyncSnapshot#cursor(ByteBuffer)} to reuse. */
        public ByteBuffer window() {
            return window;
        }

        /** The cursor's read window (read-only; indices from {@link #locate}). */
        public ByteBuffer view() {
            return view;
        }

        /** The first byte page {@code i}'s check needs: its previous record's CRC, else its own record. */
        private long from(int i) {
            long prev = chain.previousCrcAt()[i];
            return prev < 0 ? offsets[i] : prev;
        }

        /**
         * Reads from page {@code i}'s first needed byte through the last of the records that follow closely (for
         * 'Z' records, through the largest size the last one can have, or the end of the file).
         */
        private void fill(int i) throws IOException {
            long start = from(i);
            long end = offsets[i] + recordSize;
            for (int j = i + 1; j < offsets.length; j++) {
                long next = offsets[j];
                long previous = offsets[j - 1];
                if (next <= previous || (!compressed && next < end) || next - previous > 2L * recordSize
                        || next + recordSize - start > window.capacity()) {
                    break;
                }
                end = next + recordSize;
            }
            window.clear().limit((int) (end - start));
            windowStart = -1;
            if (compressed) {
                buffer.reads().readSnapshotRangeUpTo(generation, upToSeq, start, window);
                windowRead = window.position();
            } else {
                buffer.reads().readSnapshotRange(generation, upToSeq, start, window);
                windowRead = (int) (end - start);
            }
            windowStart = start;
            windowLength = (int) (end - start);
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
