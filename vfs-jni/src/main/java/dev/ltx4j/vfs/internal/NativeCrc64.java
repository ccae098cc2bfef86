package dev.ltx4j.vfs.internal;

import dev.ltx4j.ltx.accel.Crc64Accelerator;
import dev.ltx4j.ltx.accel.Crc64Acceleration;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.slf4j.LoggerFactory;

/**
 * The native library's CRC-64 (carry-less multiply folding, {@code crc64clmul.c}; docs/crc64-native.md), installed
 * into {@link dev.ltx4j.ltx.Crc64} as soon as the library's natives are bound: the C side calls {@link #bound()}
 * wherever the library meets a JVM (System.load from sqlite-jdbc's path, a JVM the extension started for sqlite3 or
 * Python, or an existing JVM it adopted). Installed only where the CPU has PCLMULQDQ and SSE4.1 (x86-64, checked in C
 * with cpuid) or PMULL (aarch64, AT_HWCAP; {@code crc64pmull.c}) and unless {@code -Dltx4j.crc64.native=false};
 * otherwise the pure-Java table code stays in use. On x86-64 with VPCLMULQDQ the C code folds long inputs on 256- or
 * 512-bit registers; {@code -Dltx4j.crc64.width=128|256} (or the environment variable {@code LTX4J_CRC64_WIDTH})
 * caps the register width; another value is ignored and reported at warn ({@link #reportSettings()}).
 */
public final class NativeCrc64 implements Crc64Accelerator {
    /** The one instance; its natives are usable only after the library bound them. */
    static final NativeCrc64 INSTANCE = new NativeCrc64();

    private static volatile boolean bound;

    private NativeCrc64() {}

    /** Whether the CPU runs the carry-less multiply code (false: the natives compute byte-wise tables). */
    static native boolean nativeSupported();

    /**
     * Sets the widest register the folding may use (128, 256 or 512 bits; capped at what the CPU and OS run; 0 leaves
     * it) and returns the width in use (0 where there is no x86 folding, e.g. aarch64).
     */
    static native int nativeWidth(int want);

    /** System property capping the folding's register width (x86-64): 128, 256 or 512. */
    static final String WIDTH_PROPERTY = "ltx4j.crc64.width";

    static native long nativeUpdate(long crc, byte[] data, int off, int len);

    static native long nativeUpdateDirect(long crc, ByteBuffer data, int index, int len);

    /** Environment variable capping the width, read by the C side when the library loads; same values. */
    static final String WIDTH_ENV = "LTX4J_CRC64_WIDTH";

    /** A malformed width setting seen at bind, reported at warn once logging is possible; null when none. */
    private static volatile String widthProblem;

    /** Called from C once the natives are bound: installs the accelerator where it runs and is not disabled. */
    static void bound() {
        bound = true;
        String width = System.getProperty(WIDTH_PROPERTY);
        if (width != null && asciiTrim(width).matches("128|256|512")) {
            nativeWidth(Integer.parseInt(asciiTrim(width)));
        }
        String problem = widthProblem(width, System.getenv(WIDTH_ENV));
        if (problem != null) {
            int w = nativeSupported() ? nativeWidth(0) : 0;
            widthProblem = problem + "; using " + (w > 0 ? w + "-bit registers" : "no x86-64 register folding here");
        }
        boolean on = install();
        // Called inside JNI_OnLoad under the library's lock: an application's own SLF4J backend is not started from
        // here (Crc64.implementation() tells it); LitestreamVfs.loadNative reports a bad width once the load
        // returned. In sqlite3/python hosts logging is ours (HostLogProvider), and LITESTREAM_LOG_LEVEL=debug shows
        // which CRC-64 the process runs.
        if (!HostLogProvider.class.getName().equals(System.getProperty("slf4j.provider"))) {
            return;
        }
        reportSettings();
        LoggerFactory.getLogger(NativeCrc64.class).debug("CRC-64: {}", on ? INSTANCE.name()
                + " (carry-less multiply" + (nativeWidth(0) > 128 ? ", up to " + nativeWidth(0) + "-bit registers" : "")
                + ") for inputs of 96 bytes and more"
                : !nativeSupported() ? "java (this CPU has no " + (AARCH64 ? "PMULL" : "PCLMULQDQ/SSE4.1") + ")"
                : "java (" + Crc64Acceleration.PROPERTY + "=false)");
    }

    /**
     * Why the width settings are ignored ({@code -Dltx4j.crc64.width} first, then {@code LTX4J_CRC64_WIDTH}), naming
     * the bad value and the accepted ones; null when each is unset, blank or one of 128, 256, 512 (ASCII white space
     * around allowed, exactly as the C side reads the environment variable: {@link #asciiTrim}).
     */
    static String widthProblem(String property, String env) {
        StringBuilder out = new StringBuilder();
        for (String[] s : new String[][] {{"-D" + WIDTH_PROPERTY, property}, {WIDTH_ENV, env}}) {
            if (s[1] != null && !asciiTrim(s[1]).isEmpty() && !asciiTrim(s[1]).matches("128|256|512")) {
                out.append(out.length() == 0 ? "" : "; ").append("ignoring ").append(s[0]).append("=\"")
                        .append(s[1]).append('"');
            }
        }
        return out.length() == 0 ? null : "CRC-64: " + out + ": the accepted values are 128, 256 and 512 (the widest"
                + " register width in bits the folding may use, capped at what the CPU runs)";
    }

    /**
     * {@code s} without the ASCII white space around it (space, tab, LF, CR, FF, VT), which is what the C side's
     * {@code width_setting} skips: {@link String#strip()} also trims Unicode spaces such as U+2003, which C rejects,
     * so the two sides would disagree on a value like "\u2003256".
     */
    static String asciiTrim(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isAsciiSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isAsciiSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean isAsciiSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B;
    }

    /**
     * Logs at warn, once, a malformed width setting the load met ({@link #bound()} runs inside the library's load,
     * before an application's logging may start): called when the load has returned.
     */
    public static void reportSettings() {
        String problem = widthProblem;
        if (problem != null) {
            widthProblem = null;
            LoggerFactory.getLogger(NativeCrc64.class).warn(problem);
        }
    }

    /**
     * Installs the accelerator if the natives are bound, the CPU supports it and {@code ltx4j.crc64.native} is not
     * {@code false}.
     *
     * @return whether it is installed now
     */
    public static boolean install() {
        return available() && Crc64Acceleration.install(INSTANCE);
    }

    /** Whether the natives are bound and the CPU has the instructions (whatever the property says). */
    public static boolean available() {
        return bound && nativeSupported();
    }

    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));

    @Override
    public String name() {
        return AARCH64 ? "native-pmull" : "native-pclmul";
    }

    /**
     * Longest range hashed under one GetPrimitiveArrayCritical: a pinned array holds off the JDK 17 collectors' GC
     * until released, so a large input goes in pieces of about 70 us each (the CRC of pieces chains exactly).
     */
    static final int CRITICAL_CHUNK = 1 << 20;

    @Override
    public long update(long crc, byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, data.length); // native code must never read outside the array
        long c = crc;
        while (len > CRITICAL_CHUNK) {
            c = nativeUpdate(c, data, off, CRITICAL_CHUNK);
            off += CRITICAL_CHUNK;
            len -= CRITICAL_CHUNK;
        }
        return nativeUpdate(c, data, off, len);
    }

    @Override
    public long updateDirect(long crc, ByteBuffer data, int index, int len) {
        if (!data.isDirect()) {
            throw new IllegalArgumentException("not a direct buffer");
        }
        Objects.checkFromIndexSize(index, len, data.capacity());
        return nativeUpdateDirect(crc, data, index, len);
    }
}
