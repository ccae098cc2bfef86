package dev.ltx4j.pagestore.internal;

import dev.ltx4j.ltx.Ltx;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * Record layout of the buffer log, and its one encoder and decoder. After the {@link LogHeader} come records, each
 * checksummed with CRC-32 (IEEE; hardware-accelerated by the JDK) over (salt, previous record's CRC, record bytes),
 * so every record vouches for the whole chain before it:
 *
 * <pre>
 * page record   (12 + pageSize bytes)      commit record (40 bytes)
 *  0  1  type 'P'                           0  1  type 'C'
 *  1  3  zero                               1  3  zero
 *  4  4  page number                        4  4  page records in the transaction
 *  8  4  chained CRC                        8  8  transaction sequence number
 * 12  .. page bytes                        16  4  database size in pages after commit
 *                                          20  4  zero
 *                                          24  8  commit time (epoch millis)
 *                                          32  4  forced distance (see below)
 *                                          36  4  chained CRC
 * </pre>
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
