package dev.ltx4j.pagestore.internal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Record layout of the buffer log. After the {@link LogHeader} come records, each checksummed with CRC-32C over
 * (salt, previous record's CRC, record bytes), so every record vouches for the whole chain before it:
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
 *                                          32  4  zero
 *                                          36  4  chained CRC
 * </pre>
 *
 * A transaction is committed exactly when its commit record is intact: the CRC chain, the sequence number and
 * the page count all check.
 */
public final class LogFormat {
    private LogFormat() {}

    public static final byte PAGE = 'P';
    public static final byte COMMIT = 'C';
    public static final int PAGE_HEADER = 12;
    public static final int COMMIT_SIZE = 40;
    public static final long MAX_PGNO = 0xFFFF_FFFFL;

    public static boolean isValidPageSize(long pageSize) {
        return pageSize >= 512 && pageSize <= 65536 && (pageSize & (pageSize - 1)) == 0;
    }

    /** Running state of the checksum chain. */
    public static final class Chain {
        private final CRC32C crc = new CRC32C();
        private final ByteBuffer seed = ByteBuffer.allocate(12);
        private final long salt;
        private int previous;

        public Chain(long salt, int start) {
            this.salt = salt;
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
            seed.clear();
            seed.putLong(salt).putInt(previous).flip();
            crc.update(seed);
        }

        /**
         * CRC of a page record whose 8 leading header bytes are at {@code header[hpos..]} and whose page bytes are
         * the remaining bytes of {@code page} (position unchanged); advances the chain.
         */
        public int pageRecord(ByteBuffer header, int hpos, ByteBuffer page) {
            begin();
            crc.update(header.duplicate().position(hpos).limit(hpos + 8));
            crc.update(page.duplicate());
            previous = (int) crc.getValue();
            return previous;
        }

        /** CRC of a commit record whose 36 leading bytes start at {@code rec[pos..]}; advances the chain. */
        public int commitRecord(ByteBuffer rec, int pos) {
            begin();
            crc.update(rec.duplicate().position(pos).limit(pos + COMMIT_SIZE - 4));
            previous = (int) crc.getValue();
            return previous;
        }
    }

    public static void putPageHeader(ByteBuffer b, int pos, int pgno) {
        b.put(pos, PAGE);
        b.put(pos + 1, (byte) 0);
        b.putShort(pos + 2, (short) 0);
        b.putInt(pos + 4, pgno);
    }

    public static void putCommit(ByteBuffer b, int pos, int pageCount, long seq, long commitSize, long millis) {
        b.put(pos, COMMIT);
        b.put(pos + 1, (byte) 0);
        b.putShort(pos + 2, (short) 0);
        b.putInt(pos + 4, pageCount);
        b.putLong(pos + 8, seq);
        b.putInt(pos + 16, (int) commitSize);
        b.putInt(pos + 20, 0);
        b.putLong(pos + 24, millis);
        b.putInt(pos + 32, 0);
    }
}
