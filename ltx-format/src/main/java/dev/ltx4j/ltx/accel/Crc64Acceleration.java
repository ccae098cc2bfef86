package dev.ltx4j.ltx.accel;

/**
 * Where {@link dev.ltx4j.ltx.Crc64} finds its accelerator. Not API: exported only to the modules that install one
 * (the VFS module, when its native library loads) or measure it (the benchmarks). The accelerator is pushed in when
 * the native library meets the JVM rather than looked up by {@code Crc64} (a ServiceLoader lookup at class
 * initialisation would either load the native library as a side effect of computing a checksum, or miss a library
 * loaded later). Until one is installed, and always when {@value #PROPERTY}{@code =false}, {@code Crc64} uses its
 * pure-Java table code.
 */
public final class Crc64Acceleration {
    /** System property: {@code false} keeps CRC-64 in pure Java even where the native accelerator is available. */
    public static final String PROPERTY = "ltx4j.crc64.native";

    private static volatile Crc64Accelerator active;

    private Crc64Acceleration() {}

    /** Whether {@value #PROPERTY} is {@code false} (read at each install). */
    public static boolean disabled() {
        return "false".equalsIgnoreCase(System.getProperty(PROPERTY, "").trim());
    }

    /**
     * Makes {@code accelerator} the one {@code Crc64} uses for long inputs, unless {@value #PROPERTY} is
     * {@code false}.
     *
     * @return whether it was installed
     */
    public static boolean install(Crc64Accelerator accelerator) {
        if (accelerator == null) {
            throw new NullPointerException("accelerator");
        }
        if (disabled()) {
            return false;
        }
        active = accelerator;
        return true;
    }

    /** Goes back to the pure-Java code (tests and benchmarks compare the two). */
    public static void uninstall() {
        active = null;
    }

    /** The installed accelerator, or null. */
    public static Crc64Accelerator active() {
        return active;
    }
}
