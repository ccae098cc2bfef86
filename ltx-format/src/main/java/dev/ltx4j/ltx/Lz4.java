package dev.ltx4j.ltx;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.util.Native;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The LZ4 primitives in use, all stateless: lz4-java's native implementations where it loads them, else its Java
 * ones. lz4-java's own fallback ({@code fastestInstance}) is its "unsafe" Java implementation; in lz4-java 1.10 that
 * is {@code sun.misc.Unsafe} only for XXHash32 ({@code XXHash32JavaUnsafe}: its LZ4 "unsafe" instance is the safe
 * one), in older lz4-java (1.8) for LZ4 too. JDK 24+ report Unsafe on stderr ("A terminally deprecated method in
 * sun.misc.Unsafe has been called") and a later JDK refuses it; there the fallback is the safe Java implementation
 * of both instead (XXH32 a little slower, only on checksummed frames: docs/jdk-versions.md).
 */
final class Lz4 {
    private Lz4() {}

    /** JEP 498: from JDK 24 the first Unsafe memory access warns (later releases throw). */
    private static final boolean UNSAFE_WARNS = Runtime.version().feature() >= 24;

    static final LZ4Compressor COMPRESSOR = lz4().fastCompressor();
    /** The safe decompressor bounds every read and write, so hostile input cannot overrun. */
    static final LZ4SafeDecompressor DECOMPRESSOR = lz4().safeDecompressor();
    static final XXHash32 XXH32 = xxhash().hash32();

    private static LZ4Factory lz4() {
        if (!UNSAFE_WARNS) return LZ4Factory.fastestInstance();
        if (nativeAllowed()) {
            try {
                return LZ4Factory.nativeInstance();
            } catch (Throwable noNative) { // lz4-java's own rule: no native library here, use Java
            }
        }
        return LZ4Factory.safeInstance(); // 1.10's unsafeInstance() is this too; 1.8's used Unsafe
    }

    private static XXHashFactory xxhash() {
        if (!UNSAFE_WARNS) return XXHashFactory.fastestInstance();
        if (nativeAllowed()) {
            try {
                return XXHashFactory.nativeInstance();
            } catch (Throwable noNative) {
            }
        }
        return XXHashFactory.safeInstance();
    }

    /**
     * lz4-java's condition for trying its native library (fastestInstance's): loaded already, or lz4-java on the
     * system class loader (an application server's or a fat jar's loader gets the Java implementation).
     */
    private static boolean nativeAllowed() {
        return Native.isLoaded() || Native.class.getClassLoader() == ClassLoader.getSystemClassLoader();
    }
}
