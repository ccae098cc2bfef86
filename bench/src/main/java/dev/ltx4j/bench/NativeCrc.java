package dev.ltx4j.bench;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.vfs.LitestreamVfs;

/**
 * Loads the VFS native library so {@link Crc64} runs its native accelerator in a benchmark, as it does in every
 * process that loads the library (docs/crc64-native.md); {@code -jvmArgsAppend -Dltx4j.crc64.native=false} keeps
 * the pure-Java code for comparison. Prints which implementation runs.
 */
final class NativeCrc {
    private NativeCrc() {}

    static String use() {
        if (!"false".equalsIgnoreCase(System.getProperty("ltx4j.crc64.native", ""))) {
            try {
                LitestreamVfs.loadNative();
            } catch (Exception | LinkageError e) {
                System.out.println("[crc64] native library not loaded: " + e);
            }
        }
        String impl = Crc64.implementation();
        System.out.println("[crc64] " + impl);
        return impl;
    }
}
