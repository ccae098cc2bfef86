package dev.ltx4j.ltx;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * CRC-64 with Go's {@code crc64.ISO} table (CRC-64/GO-ISO: reflected polynomial 0xD800000000000000, init and
 * xorout all ones). {@link #update} has Go's {@code crc64.Update} semantics: the complement is applied at the
 * start and end of every call, so feeding a stream in any number of pieces gives the same value as feeding it
 * at once, and the checksum of nothing is 0. Check value: {@code "123456789"} gives {@code 0xb90956c775a41001}.
 *
 * <p>Implemented as slicing-by-16 over little-endian longs. All methods are thread-safe.
 */
public final class Crc64 {
    private Crc64() {}

    private static final long POLY = 0xD800000000000000L;
    private static final VarHandle LE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /**
     * 16 tables of 256 entries in one array; table k (entries {@code k*256 ..}) advances the CRC over k further
     * zero bytes. One array keeps a single base register in the hot loop, and constant offsets fold into the
     * addressing; the JIT proves every index in range, so no bounds checks remain.
     */
    private static final long[] T = new long[16 * 256];

    static {
        for (int i = 0; i < 256; i++) {
            long c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
            }
            T[i] = c;
        }
        for (int t = 1; t < 16; t++) {
            for (int i = 0; i < 256; i++) {
                long prev = T[(t - 1) * 256 + i];
                T[t * 256 + i] = (prev >>> 8) ^ T[(int) (prev & 0xFF)];
            }
        }
    }

    /** CRC of a whole byte range, starting from 0. */
    public static long checksum(byte[] data, int off, int len) {
        return update(0, data, off, len);
    }

    public static long checksum(byte[] data) {
        return update(0, data, 0, data.length);
    }

    /**
     * Continues {@code crc} (a value previously returned by this class, or 0 to start) over {@code len} bytes
     * of {@code data} from {@code off}.
     *
     * @throws IndexOutOfBoundsException if the range is outside the array
     */
    public static long update(long crc, byte[] data, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, data.length);
        final long[] t = T;
        long c = ~crc;
        int limit = off + (len & ~15);
        // Slicing-by-16. Only the first 8 bytes mix with the running CRC and need it; the last 8 are looked up
        // straight from single-byte loads, which costs fewer shift/mask operations than splitting a long and
        // measured ~40% faster. A counted loop lets the JIT hoist the array bounds checks.
        for (int i = off; i < limit; i += 16) {
            long a = c ^ (long) LE_LONG.get(data, i);
            long b = t[0x700 + (data[i + 8] & 0xFF)] ^ t[0x600 + (data[i + 9] & 0xFF)]
                    ^ t[0x500 + (data[i + 10] & 0xFF)] ^ t[0x400 + (data[i + 11] & 0xFF)]
                    ^ t[0x300 + (data[i + 12] & 0xFF)] ^ t[0x200 + (data[i + 13] & 0xFF)]
                    ^ t[0x100 + (data[i + 14] & 0xFF)] ^ t[data[i + 15] & 0xFF];
            c = t[0xF00 + ((int) a & 0xFF)] ^ t[0xE00 + ((int) (a >>> 8) & 0xFF)]
                    ^ t[0xD00 + ((int) (a >>> 16) & 0xFF)] ^ t[0xC00 + ((int) (a >>> 24) & 0xFF)]
                    ^ t[0xB00 + ((int) (a >>> 32) & 0xFF)] ^ t[0xA00 + ((int) (a >>> 40) & 0xFF)]
                    ^ t[0x900 + ((int) (a >>> 48) & 0xFF)] ^ t[0x800 + (int) (a >>> 56)] ^ b;
        }
        for (int i = limit, end = off + len; i < end; i++) {
            c = t[(int) ((c ^ data[i]) & 0xFF)] ^ (c >>> 8);
        }
        return ~c;
    }

    /** Continues {@code crc} over the four big-endian bytes of {@code value}. */
    static long updateInt(long crc, int value) {
        long c = ~crc;
        for (int shift = 24; shift >= 0; shift -= 8) {
            c = T[(int) ((c ^ (value >>> shift)) & 0xFF)] ^ (c >>> 8);
        }
        return ~c;
    }

    /**
     * LTX page checksum: {@code ChecksumFlag | crc(BE32(pgno) || page)}.
     *
     * @param pgno 1-based page number (an unsigned 32-bit value)
     */
    public static long pageChecksum(long pgno, byte[] page, int off, int len) {
        return Ltx.CHECKSUM_FLAG | update(updateInt(0, (int) pgno), page, off, len);
    }
}
