package dev.ltx4j.ltx;

import dev.ltx4j.ltx.accel.Crc64Accelerator;
import dev.ltx4j.ltx.accel.Crc64Acceleration;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * CRC-64 with Go's {@code crc64.ISO} table (CRC-64/GO-ISO: reflected polynomial 0xD800000000000000, init and
 * xorout all ones). {@link #update} has Go's {@code crc64.Update} semantics: the complement is applied at the
 * start and end of every call, so feeding a stream in any number of pieces gives the same value as feeding it
 * at once, and the checksum of nothing is 0. Check value: {@code "123456789"} gives {@code 0xb90956c775a41001}.
 *
 * <p>Implemented as slicing-by-16 over little-endian longs. Where the VFS native library is loaded and the CPU has a
 * carry-less multiply (x86-64 PCLMULQDQ, aarch64 PMULL), inputs of 96 bytes and more go to a native folding
 * implementation instead (about 4x faster; same values); the system property {@code ltx4j.crc64.native=false}
 * keeps everything in Java ({@code docs/crc64-native.md}). All methods are thread-safe.
 */
public final class Crc64 {
    private Crc64() {}

    private static final long POLY = 0xD800000000000000L;
    private static final VarHandle LE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE_LONG_BUFFER =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
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
     * Inputs at least this long go to the native accelerator when one is installed: below it the JNI call (about
     * 20 ns) costs more than the table code saves (measured: Java 23 ns, native 25 ns at 64 bytes; 33 ns and 28 ns
     * at 96; bench/README.md, "CRC-64 native").
     */
    static final int NATIVE_MIN = 96;

    /**
     * Continues {@code crc} (a value previously returned by this class, or 0 to start) over {@code len} bytes
     * of {@code data} from {@code off}.
     *
     * @throws IndexOutOfBoundsException if the range is outside the array
     */
    public static long update(long crc, byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, data.length);
        if (len >= NATIVE_MIN) {
            Crc64Accelerator a = Crc64Acceleration.active();
            if (a != null) {
                return a.update(crc, data, off, len);
            }
        }
        return updateJava(crc, data, off, len);
    }

    /**
     * Like {@link #update(long, byte[], int, int)} over {@code data[index, index + len)} of a buffer, by absolute
     * index (position and limit unchanged): a heap buffer through its array, a direct one natively when the
     * accelerator is installed, else read in place.
     *
     * @throws IndexOutOfBoundsException if the range is outside the buffer's limit
     */
    public static long update(long crc, ByteBuffer data, int index, int len) {
        Objects.checkFromIndexSize(index, len, data.limit());
        if (data.hasArray()) {
            return update(crc, data.array(), data.arrayOffset() + index, len);
        }
        if (len >= NATIVE_MIN && data.isDirect()) {
            Crc64Accelerator a = Crc64Acceleration.active();
            if (a != null) {
                return a.updateDirect(crc, data, index, len);
            }
        }
        return ~slice8(~crc, data, index, index + len);
    }

    /** The implementation long inputs use now: {@code "java"}, or the native accelerator's name. */
    public static String implementation() {
        Crc64Accelerator a = Crc64Acceleration.active();
        return a == null ? "java" : a.name();
    }

    /** The raw register {@code c} advanced over {@code data[from, to)} of a buffer: slicing-by-8 over LE longs. */
    private static long slice8(long c, ByteBuffer data, int from, int to) {
        final long[] t = T;
        int i = from;
        for (; to - i >= 8; i += 8) {
            long x = c ^ (long) LE_LONG_BUFFER.get(data, i);
            c = t[0x700 + ((int) x & 0xFF)] ^ t[0x600 + ((int) (x >>> 8) & 0xFF)]
                    ^ t[0x500 + ((int) (x >>> 16) & 0xFF)] ^ t[0x400 + ((int) (x >>> 24) & 0xFF)]
                    ^ t[0x300 + ((int) (x >>> 32) & 0xFF)] ^ t[0x200 + ((int) (x >>> 40) & 0xFF)]
                    ^ t[0x100 + ((int) (x >>> 48) & 0xFF)] ^ t[(int) (x >>> 56)];
        }
        for (; i < to; i++) {
            c = t[(int) ((c ^ data.get(i)) & 0xFF)] ^ (c >>> 8);
        }
        return c;
    }

    /** {@link #update(long, byte[], int, int)} by the pure-Java table code alone, whatever is installed. */
    static long updateJava(long crc, byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, data.length);
        if (len < TWO_CHAINS_MIN) {
            return ~slice16(~crc, data, off, off + len);
        }
        // Two independent chains: the tail B (a power of two of 512..64 KiB bytes, at most half) from register 0
        // beside the head A from the running register, in one loop, so the CPU overlaps their table lookups; then
        // raw(c, A||B) = shift_|B|(raw(c, A)) ^ raw(0, B), one zero-shift (eight lookups in a per-length table).
        int lenB = Math.min(Integer.highestOneBit(len >>> 1), 1 << 16);
        int startB = off + len - lenB;
        ZeroShift shift = zeroShift(lenB);
        long a = ~crc;
        long b = 0;
        final long[] t = T;
        int headEnd = startB - lenB;
        a = slice16(a, data, off, headEnd); // A's bytes beyond B's length run alone first
        for (int i = headEnd, j = startB; i < startB; i += 16, j += 16) {
            long x = a ^ (long) LE_LONG.get(data, i);
            long y = b ^ (long) LE_LONG.get(data, j);
            long xh = t[0x700 + (data[i + 8] & 0xFF)] ^ t[0x600 + (data[i + 9] & 0xFF)]
                    ^ t[0x500 + (data[i + 10] & 0xFF)] ^ t[0x400 + (data[i + 11] & 0xFF)]
                    ^ t[0x300 + (data[i + 12] & 0xFF)] ^ t[0x200 + (data[i + 13] & 0xFF)]
                    ^ t[0x100 + (data[i + 14] & 0xFF)] ^ t[data[i + 15] & 0xFF];
            long yh = t[0x700 + (data[j + 8] & 0xFF)] ^ t[0x600 + (data[j + 9] & 0xFF)]
                    ^ t[0x500 + (data[j + 10] & 0xFF)] ^ t[0x400 + (data[j + 11] & 0xFF)]
                    ^ t[0x300 + (data[j + 12] & 0xFF)] ^ t[0x200 + (data[j + 13] & 0xFF)]
                    ^ t[0x100 + (data[j + 14] & 0xFF)] ^ t[data[j + 15] & 0xFF];
            a = t[0xF00 + ((int) x & 0xFF)] ^ t[0xE00 + ((int) (x >>> 8) & 0xFF)]
                    ^ t[0xD00 + ((int) (x >>> 16) & 0xFF)] ^ t[0xC00 + ((int) (x >>> 24) & 0xFF)]
                    ^ t[0xB00 + ((int) (x >>> 32) & 0xFF)] ^ t[0xA00 + ((int) (x >>> 40) & 0xFF)]
                    ^ t[0x900 + ((int) (x >>> 48) & 0xFF)] ^ t[0x800 + (int) (x >>> 56)] ^ xh;
            b = t[0xF00 + ((int) y & 0xFF)] ^ t[0xE00 + ((int) (y >>> 8) & 0xFF)]
                    ^ t[0xD00 + ((int) (y >>> 16) & 0xFF)] ^ t[0xC00 + ((int) (y >>> 24) & 0xFF)]
                    ^ t[0xB00 + ((int) (y >>> 32) & 0xFF)] ^ t[0xA00 + ((int) (y >>> 40) & 0xFF)]
                    ^ t[0x900 + ((int) (y >>> 48) & 0xFF)] ^ t[0x800 + (int) (y >>> 56)] ^ yh;
        }
        return ~(shift.apply(a) ^ b);
    }

    /** Below this length one chain is as fast (and the zero-shift would cost more than it saves). */
    private static final int TWO_CHAINS_MIN = 1024;

    /** The raw (uncomplemented) register {@code c} advanced over {@code data[from, to)}: slicing-by-16. */
    private static long slice16(long c, byte[] data, int from, int to) {
        final long[] t = T;
        int limit = from + ((to - from) & ~15);
        // Slicing-by-16. Only the first 8 bytes mix with the running CRC and need it; the last 8 are looked up
        // straight from single-byte loads, which costs fewer shift/mask operations than splitting a long and
        // measured ~40% faster. A counted loop lets the JIT hoist the array bounds checks.
        for (int i = from; i < limit; i += 16) {
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
        int i = limit;
        if (to - i >= 8) { // one slicing-by-8 step: eight independent lookups instead of eight dependent ones
            long a = c ^ (long) LE_LONG.get(data, i);
            c = t[0x700 + ((int) a & 0xFF)] ^ t[0x600 + ((int) (a >>> 8) & 0xFF)]
                    ^ t[0x500 + ((int) (a >>> 16) & 0xFF)] ^ t[0x400 + ((int) (a >>> 24) & 0xFF)]
                    ^ t[0x300 + ((int) (a >>> 32) & 0xFF)] ^ t[0x200 + ((int) (a >>> 40) & 0xFF)]
                    ^ t[0x100 + ((int) (a >>> 48) & 0xFF)] ^ t[(int) (a >>> 56)];
            i += 8;
        }
        for (; i < to; i++) {
            c = t[(int) ((c ^ data[i]) & 0xFF)] ^ (c >>> 8);
        }
        return c;
    }

    /**
     * Moves a checksum of some bytes D from one starting value to another without reading D again: given
     * {@code crcFromSeed = update(seed, D)}, returns {@code update(start, D)}. Both are the same affine function
     * of D, so they differ by a linear function of {@code start ^ seed} alone (advancing a CRC register over
     * D's length in zero bytes), which {@code shift} applies with eight table lookups. This lets a page be
     * hashed once for both its page checksum and the running file checksum.
     *
     * @param shift the zero-byte shift for D's length, from {@link #zeroShift}
     */
    static long rebase(long crcFromSeed, long seed, long start, ZeroShift shift) {
        return crcFromSeed ^ shift.apply(start ^ seed);
    }

    /** Zero-byte shifts for page sizes (powers of two), built on first use and shared. */
    private static final AtomicReferenceArray<ZeroShift> SHIFTS = new AtomicReferenceArray<>(32);

    /** The shift over {@code len} zero bytes, where {@code len} is a valid page size. */
    static ZeroShift zeroShift(int len) {
        if (!Ltx.isValidPageSize(len)) {
            throw new IllegalArgumentException("zero shift is only kept for page sizes: " + len);
        }
        int slot = Integer.numberOfTrailingZeros(len);
        ZeroShift z = SHIFTS.get(slot);
        if (z == null) {
            z = new ZeroShift(len);
            // A racing builder computes the same table; either instance is fine.
            SHIFTS.compareAndSet(slot, null, z);
        }
        return z;
    }

    /**
     * The linear map that advances a raw (uncomplemented) CRC register over a fixed number of zero bytes,
     * tabulated byte-wise: 8 tables of 256 entries, table j holding the image of byte value v at bit 8j.
     */
    static final class ZeroShift {
        private final long[] table = new long[8 * 256];

        private ZeroShift(int len) {
            long[] basis = new long[64];
            for (int bit = 0; bit < 64; bit++) {
                basis[bit] = advanceOverZeros(1L << bit, len);
            }
            for (int j = 0; j < 8; j++) {
                for (int v = 1; v < 256; v++) {
                    int low = Integer.numberOfTrailingZeros(v);
                    table[j * 256 + v] = table[j * 256 + (v & (v - 1))] ^ basis[8 * j + low];
                }
            }
        }

        /** Slicing-by-16 over zero bytes: only the register's own bytes contribute (every table maps 0 to 0). */
        private static long advanceOverZeros(long reg, int len) {
            long c = reg;
            int i = 0;
            for (; len - i >= 16; i += 16) {
                c = T[0xF00 + ((int) c & 0xFF)] ^ T[0xE00 + ((int) (c >>> 8) & 0xFF)]
                        ^ T[0xD00 + ((int) (c >>> 16) & 0xFF)] ^ T[0xC00 + ((int) (c >>> 24) & 0xFF)]
                        ^ T[0xB00 + ((int) (c >>> 32) & 0xFF)] ^ T[0xA00 + ((int) (c >>> 40) & 0xFF)]
                        ^ T[0x900 + ((int) (c >>> 48) & 0xFF)] ^ T[0x800 + (int) (c >>> 56)];
            }
            for (; i < len; i++) {
                c = T[(int) (c & 0xFF)] ^ (c >>> 8);
            }
            return c;
        }

        long apply(long x) {
            final long[] t = table;
            return t[(int) x & 0xFF] ^ t[0x100 + ((int) (x >>> 8) & 0xFF)] ^ t[0x200 + ((int) (x >>> 16) & 0xFF)]
                    ^ t[0x300 + ((int) (x >>> 24) & 0xFF)] ^ t[0x400 + ((int) (x >>> 32) & 0xFF)]
                    ^ t[0x500 + ((int) (x >>> 40) & 0xFF)] ^ t[0x600 + ((int) (x >>> 48) & 0xFF)]
                    ^ t[0x700 + (int) (x >>> 56)];
        }
    }

    /**
     * The full CRC {@code update(updateInt(0, pgno), page)} of a page whose LTX page checksum ({@link #pageChecksum},
     * which replaces bit 63 of that CRC with the checksum flag) is already known, without hashing the page again:
     * bit 63 is a fixed linear function of the page bytes (a parity under a per-length mask, {@link PageParity}) plus
     * a term of the seed. A page hashed at commit can then feed a file checksum ({@link #rebase}) at the cost of one
     * AND/XOR pass. {@code pageChecksum} must be the checksum of exactly these bytes; any other value gives a
     * wrong CRC.
     *
     * @param len a valid page size
     */
    static long pageCrc(long pgno, long pageChecksum, byte[] page, int off, int len) {
        Objects.checkFromIndexSize(off, len, page.length);
        return withTopBit(pgno, pageChecksum, len, PageParity.of(len).rawTopBit(page, off));
    }

    /** {@link #pageCrc(long, long, byte[], int, int)} of the page at {@code page[index, index + len)}. */
    static long pageCrc(long pgno, long pageChecksum, ByteBuffer page, int index, int len) {
        Objects.checkFromIndexSize(index, len, page.limit());
        return withTopBit(pgno, pageChecksum, len, PageParity.of(len).rawTopBit(page, index));
    }

    private static long withTopBit(long pgno, long pageChecksum, int len, long rawTop) {
        long seed = updateInt(0, (int) pgno);
        // update(seed, P) = ~(shift_len(~seed) ^ raw(0, P)); raw(0, P) is linear in P.
        long top = ~zeroShift(len).apply(~seed) ^ rawTop;
        return (pageChecksum & ~Ltx.CHECKSUM_FLAG) | (top & Ltx.CHECKSUM_FLAG);
    }

    /**
     * Bit 63 of the raw register {@code raw(0, P)} over a {@code len}-byte input P, as the parity of P under a mask:
     * mask bit (byte j, bit b) is bit 63 of {@code raw(0, e)} for the input e holding only that bit. Built per page
     * size on first use (one pass over the length) and shared.
     */
    static final class PageParity {
        private static final AtomicReferenceArray<PageParity> BY_SIZE = new AtomicReferenceArray<>(32);
        /** The mask as little-endian longs, matching {@code LE_LONG} reads of the input. */
        private final long[] mask;

        private PageParity(int len) {
            mask = new long[len / 8];
            // v[b]: the raw register after a byte 1 << b followed by (len - 1 - j) zero bytes, for j from the end.
            long[] v = new long[8];
            for (int b = 0; b < 8; b++) {
                v[b] = T[1 << b];
            }
            for (int j = len - 1; j >= 0; j--) {
                long bits = 0;
                for (int b = 0; b < 8; b++) {
                    bits |= (v[b] >>> 63) << b;
                    v[b] = T[(int) (v[b] & 0xFF)] ^ (v[b] >>> 8);
                }
                mask[j >>> 3] |= bits << (8 * (j & 7));
            }
        }

        static PageParity of(int len) {
            if (!Ltx.isValidPageSize(len)) {
                throw new IllegalArgumentException("page parity is only kept for page sizes: " + len);
            }
            int slot = Integer.numberOfTrailingZeros(len);
            PageParity p = BY_SIZE.get(slot);
            if (p == null) {
                p = new PageParity(len);
                BY_SIZE.compareAndSet(slot, null, p); // a racing builder computes the same mask
            }
            return p;
        }

        /** Bit 63 of {@code raw(0, data[off, off + len))}, in bit 63 of the result (other bits undefined). */
        long rawTopBit(byte[] data, int off) {
            final long[] m = mask;
            long acc = 0;
            for (int i = 0; i < m.length; i++) {
                acc ^= (long) LE_LONG.get(data, off + 8 * i) & m[i];
            }
            return (long) Long.bitCount(acc) << 63;
        }

        /** {@link #rawTopBit(byte[], int)} of {@code data[index, index + len)}, whatever the buffer's byte order. */
        long rawTopBit(ByteBuffer data, int index) {
            final long[] m = mask;
            long acc = 0;
            for (int i = 0; i < m.length; i++) {
                acc ^= (long) LE_LONG_BUFFER.get(data, index + 8 * i) & m[i];
            }
            return (long) Long.bitCount(acc) << 63;
        }
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
