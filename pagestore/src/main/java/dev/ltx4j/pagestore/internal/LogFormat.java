package dev.ltx4j.pagestore.internal;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.PageBlock;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * Record layout of the buffer log, and its one encoder and decoder. After the {@link LogHeader} come records, each
 * checksummed with CRC-32 (IEEE; hardware-accelerated by the JDK) over (salt, previous record's CRC, record bytes),
 * so every record vouches for the whole chain before it:
 *
 * <pre>
 * compressed page record (version 2)      commit record (40 bytes)
 * (24 + n bytes)
 *  0  1  type 'Z'                           0  1  type 'C'
 *  1  3  zero                               1  3  zero
 *  4  4  page number                        4  4  page records in the transaction
 *  8  4  n: LZ4 block length                8  8  transaction sequence number
 * 12  8  raw page CRC-64 (PageBlock)       16  4  database size in pages after commit
 * 20  n  the page's LZ4 block              20  4  zero
 * 20+n 4 chained CRC                       24  8  commit time (epoch millis)
 *                                          32  4  forced distance (see below)
 * page record (version 1 files only,       36  4  chained CRC
 * 12 + pageSize bytes)
 *  0  1  type 'P'
 *  1  3  zero
 *  4  4  page number
 *  8  4  chained CRC
 * 12  .. page bytes
 * </pre>
 *
 * Version 2 files ({@link LogHeader#VERSION}) hold 'Z' records, version 1 files 'P' records (a buffer written by an
 * older build; it is appended to in its own format until the next rewrite makes a version 2 file). A 'Z' record holds
 * the page already in the form an LTX frame stores it ({@code dev.ltx4j.ltx.PageBlock}), so a sync copies it instead
 * of encoding it. Its chained CRC is its last field, as in a commit record and the file header, so the CRC a record
 * chains from always sits in the 4 bytes just before it. {@code n} is at most the LZ4 bound of the page size
 * ({@link #maxBlock}); a larger one is damage, never trusted as a length.
 *
 * A transaction is committed exactly when its commit record is intact: the CRC chain, the sequence number and
 * the page count all check.
 *
 * <p>The forced distance {@code d} of the commit record of transaction {@code s} says that when this record was
 * written, every transaction up to {@code s - d} was already forced to disk (0: unknown, as in files written
 * before the field existed and in rewritten files). A crash can only tear bytes written after the last completed
 * force, so a record that fails inside a transaction an intact later commit vouches for as forced is damage, not
 * a torn tail (see docs/write-buffer-recovery.md).
 */
public final class LogFormat {
    private LogFormat() {}

    public static final byte PAGE = 'P';
    public static final byte COMMIT = 'C';
    public static final byte ZPAGE = 'Z';
    /** Bytes of a 'Z' record before its block; the record is {@code Z_HEADER + n + 4} bytes. */
    public static final int Z_HEADER = 20;
    public static final int Z_LENGTH = 8;
    public static final int Z_PAGE_CRC = 12;
    public static final int PAGE_HEADER = 12;
    public static final int COMMIT_SIZE = 40;
    public static final long MAX_PGNO = 0xFFFF_FFFFL;

    public static boolean isValidPageSize(long pageSize) {
        return Ltx.isValidPageSize(pageSize); // the one rule for SQLite page sizes
    }

    /** Running state of the checksum chain. */
    public static final class Chain {
        private final CRC32 crc = new CRC32();
        private final byte[] seed = new byte[12];
        private int previous;

        public Chain(long salt, int start) {
            for (int i = 0; i < 8; i++) {
                seed[i] = (byte) (salt >>> (56 - 8 * i));
            }
            this.previous = start;
        }

        public int previous() {
            return previous;
        }

        /** Rewinds the chain to an earlier record's CRC (after a rollback). */
        public void reset(int previousCrc) {
            this.previous = previousCrc;
        }

        private void begin() {
            crc.reset();
            seed[8] = (byte) (previous >>> 24);
            seed[9] = (byte) (previous >>> 16);
            seed[10] = (byte) (previous >>> 8);
            seed[11] = (byte) previous;
            crc.update(seed, 0, seed.length);
        }

        /** Feeds {@code buf[from..to)} to the CRC, leaving the buffer's position and limit as they were. */
        private void feed(ByteBuffer buf, int from, int to) {
            int position = buf.position();
            int limit = buf.limit();
            buf.limit(to).position(from);
            crc.update(buf);
            buf.limit(limit).position(position);
        }

        /**
         * CRC of the page record laid out at {@code buf[hpos..hpos + 12 + pageSize)} (its CRC field ignored);
         * advances the chain.
         */
        public int pageRecord(ByteBuffer buf, int hpos, int pageSize) {
            begin();
            feed(buf, hpos, hpos + PAGE_CRC);
            feed(buf, hpos + PAGE_HEADER, hpos + PAGE_HEADER + pageSize);
            previous = (int) crc.getValue();
            return previous;
        }

        /**
         * CRC of the 'Z' record at {@code buf[hpos..]} holding an {@code n}-byte block (its trailing CRC ignored);
         * advances the chain.
         */
        public int zRecord(ByteBuffer buf, int hpos, int n) {
            begin();
            feed(buf, hpos, hpos + Z_HEADER + n);
            previous = (int) crc.getValue();
            return previous;
        }

        /** CRC of a commit record whose 36 leading bytes start at {@code rec[pos..]}; advances the chain. */
        public int commitRecord(ByteBuffer rec, int pos) {
            begin();
            feed(rec, pos, pos + COMMIT_CRC);
            previous = (int) crc.getValue();
            return previous;
        }
    }

    // Field offsets within a record (see the layout above).
    public static final int TYPE = 0;
    public static final int PAGE_PGNO = 4;
    public static final int PAGE_CRC = 8;
    public static final int COMMIT_PAGES = 4;
    public static final int COMMIT_SEQ = 8;
    public static final int COMMIT_DB_SIZE = 16;
    public static final int COMMIT_RESERVED = 20;
    public static final int COMMIT_MILLIS = 24;
    public static final int COMMIT_FORCED = 32;
    public static final int COMMIT_CRC = 36;

    /**
     * Appends a page record at {@code out}'s position: header, the remaining bytes of {@code image} (one page;
     * consumed), and the chained CRC, which advances {@code chain}. {@code out} must have room for the record.
     */
    public static void putPageRecord(ByteBuffer out, int pgno, ByteBuffer image, Chain chain) {
        int hpos = out.position();
        int pageSize = image.remaining();
        putPageHeader(out, hpos, pgno);
        out.position(hpos + PAGE_HEADER);
        out.put(image);
        out.putInt(hpos + PAGE_CRC, chain.pageRecord(out, hpos, pageSize));
    }

    /** The largest LZ4 block of a page of {@code pageSize} bytes: the bound of a 'Z' record's length field. */
    public static int maxBlock(int pageSize) {
        return Ltx.compressBound(pageSize);
    }

    /** Size of a 'Z' record holding an {@code n}-byte block. */
    public static int zRecordSize(int n) {
        return Z_HEADER + n + 4;
    }

    /** The largest record of a page (either format). */
    public static int maxRecord(int pageSize) {
        return Math.max(PAGE_HEADER + pageSize, zRecordSize(maxBlock(pageSize)));
    }

    /**
     * Appends a 'Z' record at {@code out}'s position: {@code image}'s {@code pageSize} remaining bytes (not consumed)
     * compressed into it, with the page's raw CRC-64, and the chained CRC, which advances {@code chain}. {@code out}
     * must have room for {@link #maxRecord} bytes; its position moves past the record. Returns the record's size.
     */
    public static int putZRecord(ByteBuffer out, int pgno, ByteBuffer image, Chain chain) {
        int hpos = out.position();
        int pageSize = image.remaining();
        int n = PageBlock.compress(image, image.position(), pageSize, out, hpos + Z_HEADER);
        long pageCrc = PageBlock.pageCrc(Integer.toUnsignedLong(pgno), image, image.position(), pageSize);
        return putZ(out, hpos, pgno, n, pageCrc, chain);
    }

    /**
     * Appends a 'Z' record at {@code out}'s position whose block ({@code n} bytes) is already at
     * {@code out[position + Z_HEADER..]}; see {@link #putZRecord}.
     */
    public static int putZ(ByteBuffer out, int hpos, int pgno, int n, long pageCrc, Chain chain) {
        out.put(hpos + TYPE, ZPAGE);
        out.put(hpos + 1, (byte) 0);
        out.putShort(hpos + 2, (short) 0);
        out.putInt(hpos + PAGE_PGNO, pgno);
        out.putInt(hpos + Z_LENGTH, n);
        out.putLong(hpos + Z_PAGE_CRC, pageCrc);
        out.putInt(hpos + Z_HEADER + n, chain.zRecord(out, hpos, n));
        out.position(hpos + zRecordSize(n));
        return zRecordSize(n);
    }

    /** Whether the record at {@code rec[pos..]} has a 'Z' record's type and zero padding. */
    public static boolean isZHeader(ByteBuffer rec, int pos) {
        return rec.get(pos + TYPE) == ZPAGE && rec.get(pos + 1) == 0 && rec.getShort(pos + 2) == 0;
    }

    /** The raw block length field of the 'Z' record at {@code rec[pos..]} (check it against {@link #maxBlock}). */
    public static int zLength(ByteBuffer rec, int pos) {
        return rec.getInt(pos + Z_LENGTH);
    }

    /** The raw page CRC-64 stored in the 'Z' record at {@code rec[pos..]}. */
    public static long zPageCrc(ByteBuffer rec, int pos) {
        return rec.getLong(pos + Z_PAGE_CRC);
    }

    /** The stored chained CRC of the 'Z' record at {@code rec[pos..]} holding an {@code n}-byte block. */
    public static int zCrc(ByteBuffer rec, int pos, int n) {
        return rec.getInt(pos + Z_HEADER + n);
    }

    /**
     * Appends a commit record at {@code out}'s position, its chained CRC advancing {@code chain}.
     *
     * @param forcedDistance see the class comment (0: vouches for nothing)
     */
    public static void putCommitRecord(ByteBuffer out, int pageCount, long seq, long commitSize, long millis,
            long forcedDistance, Chain chain) {
        int pos = out.position();
        putCommit(out, pos, pageCount, seq, commitSize, millis, forcedDistance);
        out.putInt(pos + COMMIT_CRC, chain.commitRecord(out, pos));
        out.position(pos + COMMIT_SIZE);
    }

    private static void putPageHeader(ByteBuffer b, int pos, int pgno) {
        b.put(pos + TYPE, PAGE);
        b.put(pos + 1, (byte) 0);
        b.putShort(pos + 2, (short) 0);
        b.putInt(pos + PAGE_PGNO, pgno);
    }

    private static void putCommit(ByteBuffer b, int pos, int pageCount, long seq, long commitSize, long millis,
            long forcedDistance) {
        b.put(pos + TYPE, COMMIT);
        b.put(pos + 1, (byte) 0);
        b.putShort(pos + 2, (short) 0);
        b.putInt(pos + COMMIT_PAGES, pageCount);
        b.putLong(pos + COMMIT_SEQ, seq);
        b.putInt(pos + COMMIT_DB_SIZE, (int) commitSize);
        b.putInt(pos + COMMIT_RESERVED, 0);
        b.putLong(pos + COMMIT_MILLIS, millis);
        b.putInt(pos + COMMIT_FORCED, forcedDistance > 0 && forcedDistance <= 0xFFFF_FFFFL ? (int) forcedDistance : 0);
    }

    /** Whether the record at {@code rec[pos..]} has a page record's type and zero padding. */
    public static boolean isPageHeader(ByteBuffer rec, int pos) {
        return rec.get(pos + TYPE) == PAGE && rec.get(pos + 1) == 0 && rec.getShort(pos + 2) == 0;
    }

    /** The page number (raw, unsigned) of the page record at {@code rec[pos..]}. */
    public static int pageNumber(ByteBuffer rec, int pos) {
        return rec.getInt(pos + PAGE_PGNO);
    }

    /** The stored chained CRC of the page record at {@code rec[pos..]}. */
    public static int pageCrc(ByteBuffer rec, int pos) {
        return rec.getInt(pos + PAGE_CRC);
    }

    /** The stored chained CRC of the commit record at {@code rec[pos..]}. */
    public static int commitCrc(ByteBuffer rec, int pos) {
        return rec.getInt(pos + COMMIT_CRC);
    }

    public static int commitPageCount(ByteBuffer rec, int pos) {
        return rec.getInt(pos + COMMIT_PAGES);
    }

    public static long commitSeq(ByteBuffer rec, int pos) {
        return rec.getLong(pos + COMMIT_SEQ);
    }

    /** Database size in pages after the commit record at {@code rec[pos..]}. */
    public static long commitDbSize(ByteBuffer rec, int pos) {
        return Integer.toUnsignedLong(rec.getInt(pos + COMMIT_DB_SIZE));
    }

    public static long commitMillis(ByteBuffer rec, int pos) {
        return rec.getLong(pos + COMMIT_MILLIS);
    }

    /** The raw forced-distance field of the commit record at {@code rec[pos..]} (see {@link #forcedThrough}). */
    public static int commitForced(ByteBuffer rec, int pos) {
        return rec.getInt(pos + COMMIT_FORCED);
    }

    /**
     * The highest sequence number the commit record {@code seq} with raw forced-distance field {@code field}
     * vouches for as forced, or -1 when it vouches for nothing.
     */
    public static long forcedThrough(long seq, int field) {
        long d = Integer.toUnsignedLong(field);
        return d == 0 || d > seq ? -1 : seq - d;
    }
}
