package dev.ltx4j.vfs.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Finds the native library: an installed file named by a system property or environment variable, else the
 * copy packed in this jar for the running OS and architecture, extracted into a fresh owner-only directory.
 */
public final class NativeLibrary {
    /** System property naming an installed {@code liblitestreamvfs.so} to use instead of the packed one. */
    public static final String PATH_PROPERTY = "ltx4j.vfs.library";
    /** Environment variable with the same meaning as {@link #PATH_PROPERTY} (the property wins). */
    public static final String PATH_ENV = "LTX4J_VFS_LIBRARY";
    /** System property naming the directory to extract into (default {@code java.io.tmpdir}). */
    public static final String EXTRACT_DIR_PROPERTY = "ltx4j.vfs.extractDir";
    /** Environment variable with the same meaning as {@link #EXTRACT_DIR_PROPERTY} (the property wins). */
    public static final String EXTRACT_DIR_ENV = "LTX4J_VFS_EXTRACT_DIR";
    /** The platforms the jar carries a library for, as {@code os-arch}. */
    public static final List<String> SUPPORTED = List.of("linux-x86_64", "linux-aarch64");

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private NativeLibrary() {
    }

    /** The resource path of the library for this platform. */
    public static String resource() throws IOException {
        return resource(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    /** The resource path of the library for the given {@code os.name} and {@code os.arch} values. */
    static String resource(String osName, String osArch) throws IOException {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        String platform = null;
        if (os.contains("linux")) {
            if (arch.equals("amd64") || arch.equals("x86_64")) platform = "linux-x86_64";
            else if (arch.equals("aarch64") || arch.equals("arm64")) platform = "linux-aarch64";
        }
        if (platform == null) {
            throw new IOException("the litestream VFS has no native library for " + osName + "/" + osArch
                    + " (built for " + String.join(", ", SUPPORTED) + "; set " + PATH_PROPERTY + " or "
                    + PATH_ENV + " to a library built for this platform)");
        }
        return "/native/" + platform + "/liblitestreamvfs.so";
    }

    /**
     * The library to load: its path, and whether it is the packed copy this process extracted (a load failure of that
     * one may be the extraction directory's noexec mount; of a named copy it is not ours to explain).
     */
    public record Located(Path path, boolean extracted) {}

    /** A file system path of the library, extracting the packed copy to a private directory if needed. */
    public static Located locate() throws IOException {
        String override = setting(PATH_PROPERTY, PATH_ENV);
        if (override != null) {
            Path p = Path.of(override).toAbsolutePath();
            if (!Files.isRegularFile(p)) throw new IOException(PATH_PROPERTY + "/" + PATH_ENV + " names no file: " + p);
            return new Located(p, false);
        }
        String dir = setting(EXTRACT_DIR_PROPERTY, EXTRACT_DIR_ENV);
        Path parent = Path.of(dir != null ? dir : System.getProperty("java.io.tmpdir")).toAbsolutePath();
        return new Located(extract(resource(), parent), true);
    }

    /**
     * Copies the packed library into a new directory under {@code parent} that only this user can use. A
     * fresh directory per load: nothing is ever reused, so no other user can have planted the file.
     */
    static Path extract(String resource, Path parent) throws IOException {
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) throw new IOException("the native library " + resource + " is missing from the vfs-jni jar");
            return extract(in, parent);
        }
    }

    private static Path extract(InputStream in, Path parent) throws IOException {
        if (!Files.isDirectory(parent)) {
            throw new IOException("the native library extraction directory is not a directory: " + parent
                    + " (" + EXTRACT_DIR_PROPERTY + "/" + EXTRACT_DIR_ENV + ")");
        }
        Path dir;
        try {
            dir = Files.createTempDirectory(parent, "ltx4j-vfs-");
        } catch (IOException e) {
            // A read-only or foreign java.io.tmpdir (a container's read-only root): name the setting to change.
            throw new IOException("cannot extract the litestream VFS library into " + parent + " ("
                    + dev.ltx4j.replica.internal.FileFailures.describe(e) + "); extract it elsewhere with -D"
                    + EXTRACT_DIR_PROPERTY + "=<dir> or " + EXTRACT_DIR_ENV + "=<dir> (a directory this user can"
                    + " write on an exec mount; the default is java.io.tmpdir), or name an installed copy with -D"
                    + PATH_PROPERTY + " or " + PATH_ENV, e);
        }
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        if (posix && !Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY)) {
            throw new IOException("the extraction directory " + dir + " is not owner-only (rwx------)");
        }
        // deleteOnExit runs in reverse order of registration: the directory first would fail while non-empty.
        dir.toFile().deleteOnExit();
        Path lib = dir.resolve("liblitestreamvfs.so");
        lib.toFile().deleteOnExit();
        Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
        if (posix) Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("r-x------"));
        return lib;
    }

    /**
     * An installed library ({@link #PATH_PROPERTY}) that another class loader of this JVM already loaded (a web
     * application redeployed, or a second one): the JVM lets one loader hold a file, so this loader loads a private
     * copy of it, as it would the packed one (each copy keeps its own natives and state; docs/class-loaders.md).
     */
    private static Path loadPrivateCopy(Path library, UnsatisfiedLinkError refused) {
        Path copy;
        try {
            String dir = setting(EXTRACT_DIR_PROPERTY, EXTRACT_DIR_ENV);
            Path parent = Path.of(dir != null ? dir : System.getProperty("java.io.tmpdir")).toAbsolutePath();
            try (InputStream in = Files.newInputStream(library)) {
                copy = extract(in, parent);
            }
        } catch (IOException e) {
            UnsatisfiedLinkError named = new UnsatisfiedLinkError(refused.getMessage() + "; a private copy for this"
                    + " class loader could not be made: " + e.getMessage());
            named.initCause(e);
            throw named;
        }
        return load(new Located(copy, true));
    }

    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) v = System.getenv(env);
        return v == null || v.isBlank() ? null : v;
    }

    /**
     * {@code System.load} from this module's class loader, so JNI_OnLoad binds our classes.
     *
     * @return the file loaded: {@code located}, or a private copy of it (SQLite must load that same file)
     */
    public static Path load(Located located) {
        Path library = located.path();
        try {
            System.load(library.toString());
        } catch (IllegalCallerException e) {
            // JDK 24+ with --illegal-native-access=deny: the JVM's text names the module, not what to add.
            Module m = NativeLibrary.class.getModule();
            String grant = m.isNamed() ? m.getName() + ",org.xerial.sqlitejdbc,org.lz4.java" : "ALL-UNNAMED";
            IllegalCallerException named = new IllegalCallerException("the litestream VFS cannot load its native"
                    + " library " + library + ": this JVM denies native access (" + e.getMessage() + "); start it with"
                    + " --enable-native-access=" + grant + " (docs/jdk-versions.md)", e);
            throw named;
        } catch (UnsatisfiedLinkError e) {
            if (!located.extracted() && String.valueOf(e.getMessage()).contains("another classloader")) {
                return loadPrivateCopy(library, e);
            }
            Path dir = library.getParent();
            // access(X_OK) fails on a noexec mount even for root: any other load failure keeps its own message.
            if (!located.extracted() || dir == null || Files.isExecutable(library)) {
                throw e;
            }
            // The packed copy we extracted: dlopen's "failed to map segment" alone does not say that the temp
            // directory is mounted noexec (a hardened container's /tmp), nor what to set (docs/field-probes.md, round 6).
            UnsatisfiedLinkError named = new UnsatisfiedLinkError("cannot load the litestream VFS library extracted to "
                    + library + " (" + e.getMessage() + "); if " + dir.getParent() + " is on a file system mounted"
                    + " noexec (a hardened /tmp), extract it elsewhere with -D" + EXTRACT_DIR_PROPERTY + "=<dir> or "
                    + EXTRACT_DIR_ENV + "=<dir> (a directory on an exec mount that this user can write), or name an"
                    + " installed copy with -D" + PATH_PROPERTY + " or " + PATH_ENV);
            named.initCause(e);
            throw named;
        }
        return library;
    }
}
