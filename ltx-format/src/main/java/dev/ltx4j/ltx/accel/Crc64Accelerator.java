package dev.ltx4j.ltx.accel;

import java.nio.ByteBuffer;

/**
 * A faster implementation of {@link dev.ltx4j.ltx.Crc64#update} for long inputs (the native library's carry-less
 * multiply, {@code docs/crc64-native.md}), installed through {@link Crc64Acceleration}. Implementations must give
 * exactly the values of the pure-Java code (CRC-64/GO-ISO, Go {@code crc64.Update} semantics: complemented at both
 * ends of every call). {@code Crc64} checks every range before calling, so implementations need not.
 */
public interface Crc64Accelerator {
    /** A short name for diagnostics, e.g. {@code "native-pclmul"}. */
    String name();

    /** {@code crc} continued over {@code data[off, off + len)}. */
    long update(long crc, byte[] data, int off, int len);

    /** {@code crc} continued over {@code len} bytes of the direct buffer {@code data} from absolute {@code index}. */
    long updateDirect(long crc, ByteBuffer data, int index, int len);
}
