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
    /** 16 tables of 256 entries, flattened; table k advances the CRC over k further zero bytes. */
    private static final long[] T = new long[16 * 256];
    private static final long[] T0;
    private static final long[] T1;
    private static final long[] T2;
    private static final long[] T3;
    private static final long[] T4;
    private static final long[] T5;
    private static final long[] T6;
    private static final long[] T7;
    private static final long[] T8;
    private static final long[] T9;
    private static final long[] T10;
    private static final long[] T11;
    private static final long[] T12;
    private static final long[] T13;
    private static final long[] T14;
    private static final long[] T15;

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
        T0 = java.util.Arrays.copyOfRange(T, 0 * 256, 1 * 256);
        T1 = java.util.Arrays.copyOfRange(T, 1 * 256, 2 * 256);
        T2 = java.util.Arrays.copyOfRange(T, 2 * 256, 3 * 256);
        T3 = java.util.Arrays.copyOfRange(T, 3 * 256, 4 * 256);
        T4 = java.util.Arrays.copyOfRange(T, 4 * 256, 5 * 256);
        T5 = java.util.Arrays.copyOfRange(T, 5 * 256, 6 * 256);
        T6 = java.util.Arrays.copyOfRange(T, 6 * 256, 7 * 256);
        T7 = java.util.Arrays.copyOfRange(T, 7 * 256, 8 * 256);
        T8 = java.util.Arrays.copyOfRange(T, 8 * 256, 9 * 256);
        T9 = java.util.Arrays.copyOfRange(T, 9 * 256, 10 * 256);
        T10 = java.util.Arrays.copyOfRange(T, 10 * 256, 11 * 256);
        T11 = java.util.Arrays.copyOfRange(T, 11 * 256, 12 * 256);
        T12 = java.util.Arrays.copyOfRange(T, 12 * 256, 13 * 256);
        T13 = java.util.Arrays.copyOfRange(T, 13 * 256, 14 * 256);
        T14 = java.util.Arrays.copyOfRange(T, 14 * 256, 15 * 256);
        T15 = java.util.Arrays.copyOfRange(T, 15 * 256, 16 * 256);
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
        long c = ~crc;
        int i = off;
        int end = off + len;
        while (end - i >= 16) {
            long a = c ^ (long) LE_LONG.get(data, i);
            long b = (long) LE_LONG.get(data, i + 8);
            c = T15[(int) a & 0xFF] ^ T14[(int) (a >>> 8) & 0xFF] ^ T13[(int) (a >>> 16) & 0xFF]
                    ^ T12[(int) (a >>> 24) & 0xFF] ^ T11[(int) (a >>> 32) & 0xFF] ^ T10[(int) (a >>> 40) & 0xFF]
                    ^ T9[(int) (a >>> 48) & 0xFF] ^ T8[(int) (a >>> 56)]
                    ^ T7[(int) b & 0xFF] ^ T6[(int) (b >>> 8) & 0xFF] ^ T5[(int) (b >>> 16) & 0xFF]
                    ^ T4[(int) (b >>> 24) & 0xFF] ^ T3[(int) (b >>> 32) & 0xFF] ^ T2[(int) (b >>> 40) & 0xFF]
                    ^ T1[(int) (b >>> 48) & 0xFF] ^ T0[(int) (b >>> 56)];
            i += 16;
        }
        while (i < end) {
            c = T0[(int) ((c ^ data[i++]) & 0xFF)] ^ (c >>> 8);
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
