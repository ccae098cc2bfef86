package dev.ltx4j.vfs.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/** Finds the native library: a system property override, else the copy packed in this jar. */
public final class NativeLibrary {
    /** System property naming an installed {@code liblitestreamvfs.so} to use instead of the packed one. */
    public static final String PATH_PROPERTY = "ltx4j.vfs.library";

    private NativeLibrary() {
    }

    /** The resource path of the library for this platform. */
    public static String resource() throws IOException {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new IOException("the litestream VFS has no native library for " + os + "/" + arch
                    + " (only linux-x86_64 is built)");
        }
        return "/native/linux-x86_64/liblitestreamvfs.so";
    }

    /** A file system path of the library, extracting the packed copy to a private temp directory if needed. */
    public static Path locate() throws IOException {
        String override = System.getProperty(PATH_PROPERTY);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override).toAbsolutePath();
            if (!Files.isRegularFile(p)) throw new IOException(PATH_PROPERTY + " names no file: " + p);
            return p;
        }
        String resource = resource();
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("the native library " + resource + " is missing from the vfs-jni jar");
            Path dir = Files.createTempDirectory("ltx4j-vfs-");
            Path lib = dir.resolve("liblitestreamvfs.so");
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            lib.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return lib;
        }
    }

    /** {@code System.load} from this module's class loader, so JNI_OnLoad binds our classes. */
    public static void load(Path library) {
        System.load(library.toString());
    }
}
