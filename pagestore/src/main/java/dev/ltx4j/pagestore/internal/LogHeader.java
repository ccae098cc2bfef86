package dev.ltx4j.pagestore.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The fixed 96-byte header that starts every buffer log file (big-endian):
 *
 * <pre>
 *  0  8  magic "LTX4JBUF"        40  8  base TXID
 *  8  4  format version (2, or 1) 48  8  base post-apply checksum
 * 12  4  page size               56  4  base commit (pages)
 * 16  4  flags (0)               60  4  reserved
 * 20  4  reserved                64  8  sequence number of the first transaction in this file
 * 24  8  writer id               72  8  creation time (epoch millis)
 * 32  8  salt (random per file)  80  8  generation (increments on every rewrite)
 *                                88  4  stale end, in 4 KiB units (0: a new file)
 *                                92  4  CRC-32C of bytes 0..91
 * </pre>
 *
 * The salt and the header CRC seed the record checksum chain, so records of an older file generation can never
 * validate in a newer one.
 *
 * <p>{@code staleEnd}: a rewrite that writes into a reused file (the previous log, docs/sync-cost.md) records how
 * far that file held bytes before (rounded up to 4 KiB): below it, bytes this generation did not write are an older
 * generation's, not zeros, which the recovery scan's torn-tail decision needs ({@code UnwrittenTail},
 * docs/write-buffer-recovery.md). Files written before the field existed have 0 there.
 */
public record LogHeader(
        int pageSize,
        long writerId,
        long salt,
        long baseTxid,
        long baseChecksum,
        long baseCommit,
        long firstSeq,
        long createdMillis,
        long generation,
        long staleEnd,
        int version) {

    public static final int SIZE = 96;
    /** The version new files are written in ('Z' records); version 1 files ('P' records) are still read. */
    public static final int VERSION = 2;
    public static final int VERSION_PLAIN = 1;

    /** Whether records are 'Z' (compressed) records; false for a version 1 file's 'P' records. */
    public boolean compressed() {
        return version >= 2;
    }

    private static final byte[] MAGIC = "LTX4JBUF".getBytes(StandardCharsets.US_ASCII);
    /** The unit of {@link #staleEnd()} in the header. */
    public static final long STALE_UNIT = 4096;

    public LogHeader {
        if (staleEnd < 0 || staleEnd > 0xFFFF_FFFFL * STALE_UNIT) {
            throw new IllegalArgumentException("stale end " + staleEnd + " is outside 0.." + 0xFFFF_FFFFL * STALE_UNIT);
        }
        staleEnd = (staleEnd + STALE_UNIT - 1) / STALE_UNIT * STALE_UNIT; // as encoded: rounding up keeps it a bound
    }

    /** A header of a new file (nothing stale in it), in the current {@link #VERSION}. */
    public LogHeader(int pageSize, long writerId, long salt, long baseTxid, long baseChecksum, long baseCommit,
            long firstSeq, long createdMillis, long generation) {
        this(pageSize, writerId, salt, baseTxid, baseChecksum, baseCommit, firstSeq, createdMillis, generation, 0);
    }

    /** A header in the current {@link #VERSION} of a file whose old bytes reach {@code staleEnd} (a reused file). */
    public LogHeader(int pageSize, long writerId, long salt, long baseTxid, long baseChecksum, long baseCommit,
            long firstSeq, long createdMillis, long generation, long staleEnd) {
        this(pageSize, writerId, salt, baseTxid, baseChecksum, baseCommit, firstSeq, createdMillis, generation,
                staleEnd, VERSION);
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.BIG_ENDIAN);
        b.put(MAGIC);
        b.putInt(version);
        b.putInt(pageSize);
        b.putInt(0);
        b.putInt(0);
        b.putLong(writerId);
        b.putLong(salt);
        b.putLong(baseTxid);
        b.putLong(baseChecksum);
        b.putInt((int) baseCommit);
        b.putInt(0);
        b.putLong(firstSeq);
        b.putLong(createdMillis);
        b.putLong(generation);
        b.putInt((int) (staleEnd / STALE_UNIT));
        b.putInt(crcOf(b.array()));
        return b.flip();
    }

    /** The CRC stored in the header, which seeds the record chain. */
    public int headerCrc() {
        return encode().getInt(SIZE - 4);
    }

    private static int crcOf(byte[] header) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, SIZE - 4);
        return (int) crc.getValue();
    }

    /** Why a header did not decode; {@code null} from {@link #problem(byte[], int)} means it is valid. */
    public static String problem(byte[] bytes, int length) {
        if (length < SIZE) {
            return "file is " + length + " bytes, shorter than the " + SIZE + "-byte header";
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                return "bad magic (not an ltx4j write buffer)";
            }
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, SIZE);
        if (b.getInt(SIZE - 4) != crcOf(bytes)) {
            return "header checksum mismatch";
        }
        int version = b.getInt(8);
        if (version != VERSION && version != VERSION_PLAIN) {
            return "unsupported format version " + version + " (this build reads " + VERSION_PLAIN + " and "
                    + VERSION + ")";
        }
        int pageSize = b.getInt(12);
        if (!LogFormat.isValidPageSize(pageSize)) {
            return "invalid page size " + pageSize;
        }
        return null;
    }

    /** Decodes a header already checked by {@link #problem(byte[], int)}. */
    public static LogHeader decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, SIZE);
        return new LogHeader(
                b.getInt(12),
                b.getLong(24),
                b.getLong(32),
                b.getLong(40),
                b.getLong(48),
                Integer.toUnsignedLong(b.getInt(56)),
                b.getLong(64),
                b.getLong(72),
                b.getLong(80),
                Integer.toUnsignedLong(b.getInt(88)) * STALE_UNIT,
                b.getInt(8));
    }
}
