package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.BufferPaths;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.storage.FileLogStorage;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.pagestore.storage.SecureFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a write-mode database keeps its local files: the write buffer (a file path, or a name in an injected
 * {@link LogStorage}), SQLite's lock file, the sync spool and the conflict directory; and the housekeeping done
 * once at the first buffer open (spool files left by a killed process, a warning for memory-backed storage).
 */
final class LocalFiles {
    /** Spool files of older builds, written straight into the buffer directory, are removed after this age. */
    static final long LEGACY_SPOOL_AGE_MILLIS = 3_600_000;

    private final String name;
    private final EngineOptions options;
    /** The injected storage, or null when the buffer is a file at {@link #bufferPath}. */
    private final LogStorage bufferStorage;
    private final String bufferName;
    private final Path bufferPath;
    private final Path conflictDirectory;
    private boolean spoolSwept;
    private boolean volatileWarned;

    LocalFiles(String name, EngineOptions options) {
        this.name = name;
        this.options = options;
        if (options.bufferStorage != null) {
            this.bufferStorage = options.bufferStorage;
            this.bufferName = options.bufferName;
            this.bufferPath = null;
        } else {
            Path p = (options.bufferPath != null ? options.bufferPath
                    : BufferPaths.defaultPath(options.replicaIdentity, name)).toAbsolutePath();
            this.bufferPath = p;
            this.bufferStorage = null;
            this.bufferName = p.getFileName().toString();
        }
        Path conflicts = options.conflictDirectory;
        if (conflicts == null) {
            conflicts = bufferPath != null ? bufferPath.getParent().resolve("conflicts")
                    : Path.of(System.getProperty("java.io.tmpdir"), "ltx4j-conflicts");
        }
        this.conflictDirectory = conflicts;
    }

    /** The buffer's file name in {@link #storage()}. */
    String bufferName() {
        return bufferName;
    }

    /** The buffer file, or null when the buffer lives in an injected storage. */
    Path bufferPath() {
        return bufferPath;
    }

    /** The injected buffer storage, or null. */
    LogStorage injectedStorage() {
        return bufferStorage;
    }

    Path conflictDirectory() {
        return conflictDirectory;
    }

    /** Where the buffer is, for messages. */
    String describeBuffer() {
        return bufferPath != null ? bufferPath.toString() : bufferStorage.describe(bufferName);
    }

    /** The storage holding the buffer: the injected one, else its directory (made owner-only when a shared default). */
    LogStorage storage() throws IOException {
        if (bufferStorage != null) {
            return bufferStorage;
        }
        Path dir = bufferPath.getParent();
        if (options.bufferPath == null) {
            SecureFiles.privateDirectory(dir, true); // shared temp dir: owner-only, and refused if another user's
        }
        // Before the buffer is probed: a new database opens its buffer only at its first write.
        BufferPaths.refuseRepointedLink(bufferPath);
        return new FileLogStorage(dir);
    }

    /**
     * Where syncs spool large LTX files before upload: {@code <buffer>.spool/} next to a buffer file, a directory of
     * this buffer's own (buffers may share their directory), so whoever holds the buffer lock owns its contents.
     */
    Path spoolDirectory() {
        if (options.spoolDirectory != null) {
            return options.spoolDirectory;
        }
        return bufferPath != null ? bufferPath.resolveSibling(bufferPath.getFileName() + ".spool")
                : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * The file SQLite's locks of this database's connections go through (write mode with a write buffer on the
     * file system): {@code <buffer>.sqlite-lock}, next to the buffer, so it is shared exactly by the connections
     * sharing the buffer. Not the buffer's own {@code .lock} file: closing any descriptor of a file drops all of
     * the process's POSIX locks on it. Created empty and owner-only if absent (SQLite would create it 0644).
     */
    Optional<Path> sqliteLockFile() throws IOException {
        if (bufferPath == null) {
            return Optional.empty();
        }
        Path lock = bufferPath.resolveSibling(bufferPath.getFileName() + ".sqlite-lock");
        try {
            Files.createFile(lock, SecureFiles.ownerOnlyFile(lock));
        } catch (FileAlreadyExistsException e) {
            SecureFiles.checkExistingFile(lock); // another connection made it, or a planted one: never a link
        }
        return Optional.of(lock);
    }

    /**
     * After each buffer open: warns once when the buffer is on memory-backed storage, and removes the spool files
     * a killed process left behind (once).
     */
    void afterBufferOpen() {
        if (bufferPath != null && options.durability != Durability.NONE && !volatileWarned
                && BufferPaths.onVolatileStorage(bufferPath.getParent())) {
            volatileWarned = true;
            Database.log().warn("database \"{}\": write buffer {} is on memory-backed storage (tmpfs): commits survive"
                    + " a process crash but not a reboot or power loss until synced; set LITESTREAM_BUFFER_PATH to a"
                    + " persistent directory", name, bufferPath);
        }
        removeDeadSpoolFiles();
    }

    /**
     * Removes the spool files a killed process left behind (a sync interrupted mid-upload): every one in this
     * buffer's spool directory, since holding the buffer lock proves no live process owns them, and spool files
     * of older builds in the buffer directory once they are an hour old (those were named per process, not per
     * buffer). Once, at the first buffer open; best effort.
     */
    private void removeDeadSpoolFiles() {
        if (spoolSwept || bufferPath == null || options.spoolDirectory != null) {
            return;
        }
        spoolSwept = true;
        int removed = deleteSpoolFiles(spoolDirectory(), Long.MAX_VALUE)
                + deleteSpoolFiles(bufferPath.getParent(), options.clock.millis() - LEGACY_SPOOL_AGE_MILLIS);
        if (removed > 0) {
            Database.log().info("database \"{}\": removed {} spool file(s) left by an interrupted sync", name,
                    removed);
        }
    }

    private static int deleteSpoolFiles(Path dir, long modifiedBeforeMillis) {
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "ltx4j-sync-*.ltx.tmp")) {
            for (Path f : files) {
                try {
                    if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
                            && Files.getLastModifiedTime(f).toMillis() < modifiedBeforeMillis && Files.deleteIfExists(f)) {
                        removed++;
                    }
                } catch (IOException e) {
                    // Best effort: a file we cannot remove now is tried again at the next open.
                }
            }
        } catch (IOException e) {
            // No such directory (nothing ever spilled), or unreadable: nothing to do.
        }
        return removed;
    }
}
