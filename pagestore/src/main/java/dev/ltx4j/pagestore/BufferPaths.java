package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.storage.SecureFiles;
import dev.ltx4j.pagestore.storage.UnsafePathException;
import dev.ltx4j.replica.internal.FileFailures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Where write buffers live: LITESTREAM_BUFFER_PATH, or a private default per database. */
public final class BufferPaths {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BufferPaths.class);
    private static final String ADVICE = "ensure the buffer directory exists and is writable";

    private BufferPaths() {}

    /**
     * The default buffer file for a database: {@code <tempDir>/ltx4j-<user>/<hash>.ltx4j-buffer}, where the hash
     * is SHA-256 of the replica URL and database name, so each database gets its own file and restarts find it.
     */
    public static Path defaultPath(Path tempDir, String userName, String replicaUrl, String databaseName) {
        String user = userName == null || userName.isBlank() ? "user" : userName.replaceAll("[^A-Za-z0-9._-]", "_");
        String key = replicaUrl + "\n" + databaseName;
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        String hash = HexFormat.of().formatHex(digest, 0, 16);
        return tempDir.resolve("ltx4j-" + user).resolve(hash + ".ltx4j-buffer");
    }

    /**
     * The default buffer file of a replica, whatever local path its database is opened under:
     * {@code <tempDir>/ltx4j-<user>/<hash>.ltx4j-buffer}, the hash of the replica's canonical identity alone. The
     * local path is a logical name; keying on it stranded unsynced commits when a restart used another path.
     */
    public static Path replicaDefaultPath(String replicaIdentity) {
        return defaultPath(Path.of(System.getProperty("java.io.tmpdir")), System.getProperty("user.name"),
                "replica\n" + replicaIdentity, "");
    }

    /** {@link #defaultPath(Path, String, String, String)} with {@code java.io.tmpdir} and {@code user.name}. */
    public static Path defaultPath(String replicaUrl, String databaseName) {
        return defaultPath(Path.of(System.getProperty("java.io.tmpdir")), System.getProperty("user.name"),
                replicaUrl, databaseName);
    }

    /** The explicit path if given (LITESTREAM_BUFFER_PATH), else the default. */
    public static Path resolve(String explicitPath, String replicaUrl, String databaseName) {
        if (explicitPath != null && !explicitPath.isBlank()) {
            return Path.of(explicitPath);
        }
        return defaultPath(replicaUrl, databaseName);
    }

    /**
     * Refuses a write buffer path whose symbolic link was repointed since its last open on this host while the file it
     * led to then still holds transactions (docs/write-buffer-recovery.md, "A buffer path that leads elsewhere");
     * {@link WriteBuffer#open(Path, WriteBufferOptions)} checks it too. For an engine that opens its buffer only at
     * its first write (a new database).
     */
    public static void refuseRepointedLink(Path buffer) throws BufferPathException {
        BufferPathRecord.check(buffer.toAbsolutePath());
    }

    /**
     * Creates {@code dir} (and missing parents) owner-only where POSIX; uses an existing one only if it is this
     * user's and not writable by others (see {@link SecureFiles#privateDirectory(Path)}).
     */
    static void createPrivateDirectory(Path dir) throws IOException {
        try {
            SecureFiles.privateDirectory(dir, true);
        } catch (UnsafePathException e) {
            throw new BufferPathException(dir.toString(), "Permission errors on buffer path " + dir + ": "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new BufferPathException(dir.toString(), "Permission errors on buffer path " + dir
                    + ": cannot create the buffer directory (" + FileFailures.reason(e, dir) + "); " + ADVICE, e);
        }
    }

    /**
     * Whether {@code dir} is on memory-backed storage (tmpfs, ramfs) that a reboot wipes: a buffer there survives
     * a process crash but not a power loss or reboot. False when unknown.
     */
    public static boolean onVolatileStorage(Path dir) {
        try {
            String type = Files.getFileStore(dir).type();
            return type.equals("tmpfs") || type.equals("ramfs");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Checks that the buffer file's parent is an existing, writable directory; returns it. */
    static Path checkParent(Path file) throws BufferPathException {
        Path dir = file.getParent();
        if (dir == null) {
            throw new BufferPathException(file.toString(), "buffer path " + file + " has no parent directory", null);
        }
        if (!Files.exists(dir)) {
            throw new BufferPathException(file.toString(), "Permission errors on buffer path " + file
                    + ": directory " + dir + " does not exist; " + ADVICE, null);
        }
        if (!Files.isDirectory(dir)) {
            throw new BufferPathException(file.toString(), "Permission errors on buffer path " + file
                    + ": " + dir + " is not a directory; " + ADVICE, null);
        }
        if (!Files.isWritable(dir)) {
            throw new BufferPathException(file.toString(), "Permission errors on buffer path " + file
                    + ": directory " + dir + " is not writable; " + ADVICE, null);
        }
        if (Files.isDirectory(file)) {
            throw new BufferPathException(file.toString(), "buffer path " + file + " is a directory, not a file", null);
        }
        String shared = BufferPathException.sharedDirectoryWarning(file);
        if (shared != null) {
            LOG.warn(shared); // not refused: 777 mounts are common (BufferPathException.sharedDirectoryWarning)
        }
        return dir;
    }

    static BufferPathException pathError(Path file, IOException cause) {
        return new BufferPathException(file.toString(), "Permission errors on buffer path " + file + ": "
                + FileFailures.reason(cause, file) + "; " + ADVICE, cause);
    }
}
