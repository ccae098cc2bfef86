package dev.ltx4j.pagestore;

import dev.ltx4j.ltx.PageBlock;
import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.storage.LogFile;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads one page record of a buffer file by its offset, in either format (the record's type byte says which: 'P' in
 * version 1 files, 'Z' in version 2 files; see {@link LogFormat}), and hands out the page image. A record that is not
 * a page record of the expected page, or whose block does not decompress to exactly one page with the stored CRC-64, is
 * a damaged buffer
 * ({@link BufferCorruptException} naming the page, the offset and the file), never a wrong page.
 */
final class PageRecordReads {
    private PageRecordReads() {}

    /**
     * The calling thread's record buffer, direct so a file read lands in it without the JDK's intermediate copy; one
     * per thread, shared by every buffer and generation.
     */
    private static final ThreadLocal<ByteBuffer> SCRATCH = new ThreadLocal<>();

    static ByteBuffer scratch(int pageSize) {
        return scratch(pageSize, 0);
    }

    /** The scratch buffer with room for {@code extra} bytes before the largest record (limit set to that size). */
    static ByteBuffer scratch(int pageSize, int extra) {
        int need = extra + LogFormat.maxRecord(pageSize);
        ByteBuffer b = SCRATCH.get();
        if (b == null || b.capacity() < need) {
            b = DirectMemoryException.allocate(Math.max(need, b == null ? 0 : b.capacity()), "a page record read");
            SCRATCH.set(b);
        }
        b.clear().limit(need);
        return b;
    }

    /**
     * Reads the record at {@code offset} into {@code rec} (from {@link #scratch}) and checks its type, page number
     * and length; returns its size. {@code where} names the file in errors.
     */
    static int read(LogFile from, long offset, long pgno, int pageSize, ByteBuffer rec, String location,
            String where) throws IOException {
        int n = 0;
        while (rec.hasRemaining()) {
            int r = from.read(offset + n, rec);
            if (r <= 0) {
                break;
            }
            n += r;
        }
        return check(rec, 0, n, offset, pgno, pageSize, location, where);
    }

    /** Checks the record at {@code rec[pos, pos + available)}; returns its size. */
    static int check(ByteBuffer rec, int pos, int available, long offset, long pgno, int pageSize, String location,
            String where) throws BufferCorruptException {
        byte type = available > 0 ? rec.get(pos + LogFormat.TYPE) : 0;
        long recordPgno = available >= 8 ? Integer.toUnsignedLong(LogFormat.pageNumber(rec, pos)) : -1;
        int size = -1;
        if (type == LogFormat.PAGE && LogFormat.isPageHeader(rec, pos)) {
            size = LogFormat.PAGE_HEADER + pageSize;
        } else if (type == LogFormat.ZPAGE && available >= LogFormat.Z_HEADER && LogFormat.isZHeader(rec, pos)) {
            int len = LogFormat.zLength(rec, pos);
            size = len >= 1 && len <= LogFormat.maxBlock(pageSize) ? LogFormat.zRecordSize(len) : -1;
        }
        if (size < 0 || available < size || recordPgno != pgno) {
            throw new BufferCorruptException(location, "write buffer " + where + " holds no record of page " + pgno
                    + " at offset " + offset + " (read " + available + " bytes, type " + type + ", page "
                    + recordPgno + (type == LogFormat.ZPAGE && available >= LogFormat.Z_HEADER
                            ? ", block length " + LogFormat.zLength(rec, pos) : "") + ")");
        }
        return size;
    }

    /** Copies (a 'P' record) or decompresses (a 'Z' record) the checked record at {@code rec[pos..]} into dst. */
    static void image(ByteBuffer rec, int pos, long offset, long pgno, int pageSize, byte[] dst, String location,
            String where) throws BufferCorruptException {
        if (rec.get(pos + LogFormat.TYPE) == LogFormat.PAGE) {
            rec.get(pos + LogFormat.PAGE_HEADER, dst, 0, pageSize);
            return;
        }
        int len = LogFormat.zLength(rec, pos);
        int n = PageBlock.decompress(rec, pos + LogFormat.Z_HEADER, len, dst, pageSize);
        if (n != pageSize) {
            throw new BufferCorruptException(location, "write buffer " + where + " holds a damaged record of page "
                    + pgno + " at offset " + offset + ": its " + len + "-byte block "
                    + (n < 0 ? "does not decompress" : "decompresses to " + n + " bytes, not " + pageSize));
        }
        // A flipped bit in the block can still decompress to a full page: the stored CRC-64 tells the wrong page.
        long stored = LogFormat.zPageCrc(rec, pos);
        long actual = PageBlock.pageCrc(pgno, dst, 0, pageSize);
        if (actual != stored) {
            throw new BufferCorruptException(location, "write buffer " + where + " holds a damaged record of page "
                    + pgno + " at offset " + offset + ": its page CRC-64 is " + Long.toHexString(actual)
                    + ", the record stores " + Long.toHexString(stored));
        }
    }

    /** Reads and decodes the image of page {@code pgno} from the record at {@code offset}. */
    static void readImage(LogFile from, long offset, long pgno, int pageSize, byte[] dst, String location,
            String where) throws IOException {
        ByteBuffer rec = scratch(pageSize);
        read(from, offset, pgno, pageSize, rec, location, where);
        image(rec, 0, offset, pgno, pageSize, dst, location, where);
    }
}
