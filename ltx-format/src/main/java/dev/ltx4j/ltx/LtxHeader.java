package dev.ltx4j.ltx;

import java.nio.ByteBuffer;

/**
 * The 100-byte LTX v3 header. All integers are big-endian; {@code pageSize} and {@code commit} are unsigned
 * 32-bit values held in {@code int}s (page size is at most 65536; use {@link #commitPages()} for the commit).
 * The 20 reserved bytes are kept as read because the file checksum covers them.
 */
public record LtxHeader(
        int flags,
        int pageSize,
        int commit,
        long minTxid,
        long maxTxid,
        long timestamp,
        long preApplyChecksum,
        long walOffset,
        long walSize,
        int walSalt1,
        int walSalt2,
        long nodeId) {

    /** A snapshot holds every page of the database: its range starts at TXID 1. */
    public boolean isSnapshot() {
        return minTxid == 1;
    }

    public boolean noChecksum() {
        return (flags & Ltx.HEADER_FLAG_NO_CHECKSUM) != 0;
    }

    /** Database size in pages after this file is applied, as an unsigned value. */
    public long commitPages() {
        return Integer.toUnsignedLong(commit);
    }

    public TxidRange range() {
        return new TxidRange(minTxid, maxTxid);
    }

    public LtxHeader withRange(long min, long max) {
        return new LtxHeader(flags, pageSize, commit, min, max, timestamp, preApplyChecksum, walOffset, walSize,
                walSalt1, walSalt2, nodeId);
    }

    /** Starts a header with the fields every file needs; the rest are zero. */
    public static LtxHeader of(int flags, int pageSize, long commit, long minTxid, long maxTxid, long timestamp,
            long preApplyChecksum) {
        return new LtxHeader(flags, pageSize, (int) commit, minTxid, maxTxid, timestamp, preApplyChecksum, 0, 0, 0, 0, 0);
    }

    public LtxHeader withNodeId(long id) {
        return new LtxHeader(flags, pageSize, commit, minTxid, maxTxid, timestamp, preApplyChecksum, walOffset, walSize,
                walSalt1, walSalt2, id);
    }

    /** Writes the 100 header bytes (reserved bytes zero) at the buffer's position. */
    public void writeTo(ByteBuffer out) {
        out.putInt(Ltx.MAGIC);
        out.putInt(flags);
        out.putInt(pageSize);
        out.putInt(commit);
        out.putLong(minTxid);
        out.putLong(maxTxid);
        out.putLong(timestamp);
        out.putLong(preApplyChecksum);
        out.putLong(walOffset);
        out.putLong(walSize);
        out.putInt(walSalt1);
        out.putInt(walSalt2);
        out.putLong(nodeId);
        out.put(new byte[20]);
    }

    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(Ltx.HEADER_SIZE);
        writeTo(b);
        return b.array();
    }

    /**
     * Reads a header without validating anything but the length and magic (Go's {@code PeekHeader}); use
     * {@link #validate(String)} before trusting the fields.
     *
     * @param fileName named in errors; may be null
     */
    public static LtxHeader parse(byte[] data, int offset, int length, String fileName) throws LtxFormatException {
        if (length < Ltx.HEADER_SIZE) {
            throw new LtxFormatException(fileName, "header", "truncated: " + length + " of " + Ltx.HEADER_SIZE + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(data, offset, Ltx.HEADER_SIZE);
        int magic = b.getInt();
        if (magic != Ltx.MAGIC) {
            throw new LtxFormatException(fileName, "header.magic",
                    String.format("invalid LTX file: magic 0x%08x, expected 0x%08x (\"LTX1\")", magic, Ltx.MAGIC));
        }
        return new LtxHeader(b.getInt(), b.getInt(), b.getInt(), b.getLong(), b.getLong(), b.getLong(), b.getLong(),
                b.getLong(), b.getLong(), b.getInt(), b.getInt(), b.getLong());
    }

    public static LtxHeader parse(byte[] data, String fileName) throws LtxFormatException {
        return parse(data, 0, data.length, fileName);
    }

    /** Applies the reference's header rules, in its order; the first failure is reported. */
    public LtxHeader validate(String fileName) throws LtxFormatException {
        if ((flags & ~Ltx.HEADER_FLAG_MASK) != 0) {
            throw bad(fileName, "header.flags", String.format("invalid flags: 0x%08x", flags));
        }
        if (!Ltx.isValidPageSize(Integer.toUnsignedLong(pageSize))) {
            throw bad(fileName, "header.pageSize", "invalid page size: " + Integer.toUnsignedLong(pageSize));
        }
        if (minTxid == 0) {
            throw bad(fileName, "header.minTxid", "minimum transaction id required");
        }
        if (maxTxid == 0) {
            throw bad(fileName, "header.maxTxid", "maximum transaction id required");
        }
        if (Long.compareUnsigned(minTxid, maxTxid) > 0) {
            throw bad(fileName, "header.minTxid", "transaction ids out of order: (" + Long.toUnsignedString(minTxid)
                    + "," + Long.toUnsignedString(maxTxid) + ")");
        }
        if (walOffset < 0) {
            throw bad(fileName, "header.walOffset", "wal offset cannot be negative: " + walOffset);
        }
        if (walSize < 0) {
            throw bad(fileName, "header.walSize", "wal size cannot be negative: " + walSize);
        }
        if ((walSalt1 != 0 || walSalt2 != 0) && walOffset == 0) {
            throw bad(fileName, "header.walOffset", "wal offset required if salt exists");
        }
        if (walOffset == 0 && walSize != 0) {
            throw bad(fileName, "header.walOffset", "wal offset required if wal size exists");
        }
        if (isSnapshot()) {
            if (preApplyChecksum != 0) {
                throw bad(fileName, "header.preApplyChecksum", "pre-apply checksum must be zero on snapshots");
            }
        } else if (noChecksum()) {
            if (preApplyChecksum != 0) {
                throw bad(fileName, "header.preApplyChecksum", "pre-apply checksum not allowed");
            }
        } else if (preApplyChecksum == 0) {
            throw bad(fileName, "header.preApplyChecksum", "pre-apply checksum required on non-snapshot files");
        } else if ((preApplyChecksum & Ltx.CHECKSUM_FLAG) == 0) {
            throw bad(fileName, "header.preApplyChecksum", "invalid pre-apply checksum format");
        }
        return this;
    }

    private static LtxFormatException bad(String fileName, String field, String detail) {
        return new LtxFormatException(fileName, field, detail);
    }
}
