package dev.ltx4j.ltx;

import java.io.IOException;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

/**
 * The page index of one LTX file: for each page it holds, the absolute offset and byte size of its frame,
 * sorted by page number. Immutable and thread-safe.
 *
 * <p>Obtain one from {@link LtxEncodeResult#pageIndex()} (a file just written), {@link LtxSummary#pageIndex()}
 * (a file just decoded) or {@link #read} (the tail of a remote file). Decode a frame fetched with
 * {@link #offset(int)}/{@link #frameSize(int)} with {@link LtxFrame#decode}.
 */
public final class PageIndex {
    /** Bytes read from the end of a file in the common case (Litestream reads the same amount). */
    public static final int TAIL_READ = 32 * 1024;
    /** Largest frame a valid file can hold: a 64 KiB page stored in an LZ4 frame with every optional field. */
    static final int MAX_FRAME_SIZE = Ltx.PAGE_HEADER_SIZE + 4 + 15 + 4 + Ltx.compressBound(Ltx.MAX_PAGE_SIZE) + 8;
    private static final int MIN_FRAME_SIZE = Ltx.PAGE_HEADER_SIZE + 5;
    private static final int END_MARKER = Ltx.PAGE_HEADER_SIZE;
    private static final int MIN_FILE_SIZE = Ltx.HEADER_SIZE + END_MARKER + 1 + Ltx.INDEX_SIZE_FIELD + Ltx.TRAILER_SIZE;

    /** One index entry. */
    public record Entry(long pgno, long offset, int size) {}

    /** Reads byte ranges of one immutable file, e.g. with an HTTP range request. */
    @FunctionalInterface
    public interface RangeReader {
        /** Returns exactly {@code length} bytes starting at {@code offset}, or throws. */
        byte[] read(long offset, long length) throws IOException;
    }

    private final int[] pgnos;
    private final long[] offsets;
    private final int[] sizes;

    PageIndex(int[] pgnos, long[] offsets, int[] sizes) {
        this.pgnos = pgnos;
        this.offsets = offsets;
        this.sizes = sizes;
    }

    static final PageIndex EMPTY = new PageIndex(new int[0], new long[0], new int[0]);

    /** Number of pages in the file. */
    public int size() {
        return pgnos.length;
    }

    /** Page number of entry {@code i} (entries ascend by page number). */
    public long pgno(int i) {
        return Integer.toUnsignedLong(pgnos[i]);
    }

    /** Absolute file offset of entry {@code i}'s frame (its 6-byte page header). */
    public long offset(int i) {
        return offsets[i];
    }

    /** Byte size of entry {@code i}'s whole frame. */
    public int frameSize(int i) {
        return sizes[i];
    }

    /** The entry index holding {@code pgno}, or -1. O(log n). */
    public int find(long pgno) {
        if (pgno <= 0 || pgno > 0xFFFFFFFFL) {
            return -1;
        }
        return unsignedSearch(pgnos, (int) pgno);
    }

    /**
     * Binary search of {@code key} in {@code a}, sorted as unsigned 32-bit page numbers (how LTX stores them);
     * the index, or -1 when absent.
     */
    public static int unsignedSearch(int[] a, int key) {
        int lo = 0;
        int hi = a.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Integer.compareUnsigned(a[mid], key);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    public Entry entry(int i) {
        return new Entry(pgno(i), offsets[i], sizes[i]);
    }

    /** A read-only view of all entries. */
    public List<Entry> entries() {
        return new AbstractList<>() {
            @Override
            public Entry get(int i) {
                return entry(i);
            }

            @Override
            public int size() {
                return pgnos.length;
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PageIndex p && Arrays.equals(pgnos, p.pgnos) && Arrays.equals(offsets, p.offsets)
                && Arrays.equals(sizes, p.sizes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(pgnos) * 31 + Arrays.hashCode(sizes);
    }

    @Override
    public String toString() {
        return "PageIndex" + entries();
    }

    /**
     * Reads and validates the page index from the tail of an LTX file: one ranged read of the last
     * {@code min(fileSize, 32 KiB)} bytes, and a second read only when the index is larger than that.
     *
     * <p>Validation: the index-size field fits the file; entries are well-formed varints ending in the 0x00
     * terminator exactly at the size field; page numbers are non-zero 32-bit values in strictly ascending order;
     * frames are contiguous from offset 100 to the end-of-pages marker with plausible sizes. The pages'
     * content is not checked (that needs the frames; see {@link LtxFrame#decode}).
     *
     * @param fileSize the file's exact size in bytes, e.g. from the object listing
     * @param fileName named in errors
     * @throws LtxFormatException when the tail is not a valid page index, or the reader returned a wrong length
     */
    public static PageIndex read(RangeReader reader, long fileSize, String fileName) throws IOException {
        if (fileSize < MIN_FILE_SIZE) {
            throw new LtxFormatException(fileName, "pageIndex",
                    "ltx file too short to contain a page index: " + fileSize + " bytes");
        }
        int tailLen = (int) Math.min(fileSize, TAIL_READ);
        byte[] tail = readExactly(reader, fileSize - tailLen, tailLen, fileName);
        long indexSize = PageFrames.readLongBE(tail, tailLen - Ltx.TRAILER_SIZE - Ltx.INDEX_SIZE_FIELD);
        long maxIndex = Math.min(fileSize - MIN_FILE_SIZE + 1, Integer.MAX_VALUE - 64);
        if (indexSize < 1 || indexSize > maxIndex) {
            throw endDamaged(fileName, fileSize, "pageIndex.size", "its index size field reads "
                    + Long.toUnsignedString(indexSize) + ", outside 1.." + maxIndex, null);
        }
        int needed = (int) indexSize + Ltx.INDEX_SIZE_FIELD + Ltx.TRAILER_SIZE;
        if (needed > tailLen) {
            checkLastEntry(tail, indexSize, fileSize, fileName);
        }
        // A short range read is the store's fault, not the file's: outside the try, as the tail's read above.
        byte[] region = needed <= tailLen ? tail : readExactly(reader, fileSize - needed, needed, fileName);
        try {
            return parse(region, region.length - needed, (int) indexSize, fileSize, fileName);
        } catch (LtxFormatException e) {
            throw endDamaged(fileName, fileSize, e.field(), e.detail(), e);
        }
    }

    /**
     * Before a second read of a claimed index larger than the tail, cross-checks the size field against the index's
     * last entry, which the tail holds: that frame ends at the end-of-pages marker, so it fixes the index size. A
     * damaged or lying size field is refused here instead of downloading and holding what it claims (up to the whole
     * file; field-probes.md, round 7). LEB128 reads backwards too: only a varint's last byte has the high bit clear.
     */
    private static void checkLastEntry(byte[] tail, long indexSize, long fileSize, String fileName)
            throws LtxFormatException {
        int p = tail.length - Ltx.INDEX_SIZE_FIELD - Ltx.TRAILER_SIZE - 1; // the terminator
        String problem = null;
        long[] v = new long[3]; // pgno, offset, size
        if (tail[p] != 0) {
            problem = "the byte before it is not the index's 0x00 terminator";
        }
        for (int k = 2; k >= 0 && problem == null; k--) {
            int stop = p;
            int start = stop - 1;
            while (start > 0 && (tail[start - 1] & 0x80) != 0 && stop - start < 10) {
                start--;
            }
            if (start < 0 || (tail[stop - 1] & 0x80) != 0 || (start > 0 && (tail[start - 1] & 0x80) != 0)) {
                problem = "the index's last entry is not well-formed";
                break;
            }
            long value = 0;
            for (int i = start; i < stop; i++) {
                value |= (long) (tail[i] & 0x7F) << (7 * (i - start));
            }
            v[k] = value;
            p = start;
        }
        long implied = problem == null ? fileSize - Ltx.TRAILER_SIZE - Ltx.INDEX_SIZE_FIELD - END_MARKER - v[1] - v[2] : 0;
        if (problem == null && implied != indexSize) {
            problem = "the index's last entry (page " + Long.toUnsignedString(v[0]) + ", frame at "
                    + Long.toUnsignedString(v[1]) + " of " + Long.toUnsignedString(v[2]) + " bytes) puts it at "
                    + implied + " bytes";
        }
        if (problem != null) {
            throw endDamaged(fileName, fileSize, "pageIndex.size", "its index size field reads "
                    + Long.toUnsignedString(indexSize) + ", but " + problem, null);
        }
    }

    /**
     * The page index sits at the end of the file, so a file cut short (a partial copy, an interrupted upload, a
     * truncated disk file) fails here first: say so in user words, with the file's real size (field-probes.md).
     */
    private static LtxFormatException endDamaged(String fileName, long fileSize, String field, String detail,
            Throwable cause) {
        return new LtxFormatException(fileName, field, "the file is " + fileSize + " bytes and does not end in a"
                + " valid page index (" + detail + "): it was cut short (truncated: a partial copy or upload?) or its"
                + " end is damaged", cause);
    }

    private static byte[] readExactly(RangeReader reader, long offset, int length, String fileName)
            throws IOException {
        byte[] b = reader.read(offset, length);
        if (b == null || b.length != length) {
            throw new LtxFormatException(fileName, "pageIndex", "range read at " + offset + " returned "
                    + (b == null ? "nothing" : b.length + " bytes") + ", expected " + length);
        }
        return b;
    }

    /** Parses {@code indexSize} index bytes (entries and terminator) of a file of {@code fileSize} bytes. */
    static PageIndex parse(byte[] data, int off, int indexSize, long fileSize, String fileName)
            throws IOException {
        long endMarkerAt = fileSize - Ltx.TRAILER_SIZE - Ltx.INDEX_SIZE_FIELD - indexSize - END_MARKER;
        ByteSource.OfArray src = new ByteSource.OfArray(data, off, indexSize, fileName, false);
        // Each entry takes at least 3 bytes, which bounds the arrays by the (checked) index size.
        int cap = indexSize / 3;
        int[] pg = new int[cap];
        long[] of = new long[cap];
        int[] sz = new int[cap];
        int n = 0;
        long expectOffset = Ltx.HEADER_SIZE;
        long prev = 0;
        {
            while (true) {
                String f = "pageIndex[" + n + "]";
                long pgno = src.uvarint(f + ".pgno");
                if (pgno == 0) {
                    break;
                }
                long offset = src.uvarint(f + ".offset");
                long size = src.uvarint(f + ".size");
                if (pgno > 0xFFFFFFFFL || pgno <= prev) {
                    throw new LtxFormatException(fileName, f + ".pgno", "page number " + Long.toUnsignedString(pgno)
                            + " not ascending after " + prev);
                }
                if (offset != expectOffset) {
                    throw new LtxFormatException(fileName, f + ".offset", "frame offset "
                            + Long.toUnsignedString(offset) + ", expected " + expectOffset);
                }
                if (size < MIN_FRAME_SIZE || size > MAX_FRAME_SIZE) {
                    throw new LtxFormatException(fileName, f + ".size", "frame size " + Long.toUnsignedString(size)
                            + " outside " + MIN_FRAME_SIZE + ".." + MAX_FRAME_SIZE);
                }
                if (offset + size > endMarkerAt) {
                    throw new LtxFormatException(fileName, f + ".size", "frame at " + offset + " of " + size
                            + " bytes runs past the end-of-pages marker at " + endMarkerAt);
                }
                pg[n] = (int) pgno;
                of[n] = offset;
                sz[n] = (int) size;
                n++;
                prev = pgno;
                expectOffset = offset + size;
            }
        }
        if (!src.atEnd()) {
            throw new LtxFormatException(fileName, "pageIndex.size", "index terminator at byte " + src.position()
                    + " but the size field says " + indexSize);
        }
        if (expectOffset != endMarkerAt) {
            throw new LtxFormatException(fileName, "pageIndex", "frames end at " + expectOffset
                    + " but the end-of-pages marker is at " + endMarkerAt);
        }
        return new PageIndex(Arrays.copyOf(pg, n), Arrays.copyOf(of, n), Arrays.copyOf(sz, n));
    }

    /** Grows entry by entry while a file is written or decoded. */
    static final class Builder {
        private int[] pg = new int[64];
        private long[] of = new long[64];
        private int[] sz = new int[64];
        private int n;

        void add(long pgno, long offset, int size) {
            if (n == pg.length) {
                int cap = n * 2;
                pg = Arrays.copyOf(pg, cap);
                of = Arrays.copyOf(of, cap);
                sz = Arrays.copyOf(sz, cap);
            }
            pg[n] = (int) pgno;
            of[n] = offset;
            sz[n] = size;
            n++;
        }

        int count() {
            return n;
        }

        long pgno(int i) {
            return Integer.toUnsignedLong(pg[i]);
        }

        long offset(int i) {
            return of[i];
        }

        int size(int i) {
            return sz[i];
        }

        PageIndex build() {
            return n == 0 ? EMPTY : new PageIndex(Arrays.copyOf(pg, n), Arrays.copyOf(of, n), Arrays.copyOf(sz, n));
        }
    }
}
