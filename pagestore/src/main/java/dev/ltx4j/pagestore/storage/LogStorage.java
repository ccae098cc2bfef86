package dev.ltx4j.pagestore.storage;

import java.io.IOException;

/**
 * A flat directory of named files holding write logs: the only way the write buffer touches the disk, so tests
 * and the simulator can substitute {@code MemoryLogStorage} (pagestore-testkit) and inject crashes and faults.
 *
 * <p>Names are plain file names (no separators). Directory changes (create, rename, delete) become durable only
 * after {@link #syncDirectory()}.
 */
public interface LogStorage {

    /** Opens an existing file for reading and writing. */
    LogFile open(String name) throws IOException;

    /**
     * Creates a new empty file with owner-only access, replacing any file already under that name, and opens it.
     */
    LogFile create(String name) throws IOException;

    boolean exists(String name) throws IOException;

    /** Deletes the file if present. */
    void deleteIfExists(String name) throws IOException;

    /** Atomically renames {@code from} to {@code to}, replacing {@code to} if it exists. */
    void replace(String from, String to) throws IOException;

    /**
     * Keeps the file {@code name} under the second name {@code spare} too (replacing any file there), so that once
     * a rename replaces {@code name}, its space can be written again by {@link #reuse} instead of a new file being
     * allocated and zero-filled. False when this storage does not reuse files (then nothing changed; the default).
     */
    default boolean keepAs(String name, String spare) throws IOException {
        return false;
    }

    /**
     * Renames {@code spare} (kept by {@link #keepAs}) to {@code name}, replacing it, and opens it to be written from
     * offset 0 as if new, but keeping its space: its old bytes stay on disk beyond what is written, invisible to
     * this handle ({@link LogFile#size()} starts at 0 and reads stop at what was written), so appends within it
     * need neither allocation nor zero-filling. A reader opening the file later sees the old bytes after the new
     * ones, as after a crash; a clean close cuts them off. Space beyond {@code keepAtMost} bytes is given back (a
     * log that once grew large does not keep a large spare forever). {@link LogFile#staleEnd()} says how far the old
     * bytes may reach (the size before that cut, which a crash may undo). Null when there is no spare or this storage
     * does not reuse files (then nothing changed; the default).
     */
    default LogFile reuse(String spare, String name, long keepAtMost) throws IOException {
        return null;
    }

    /**
     * Bytes a new file could still take on this storage's disk ({@link java.nio.file.FileStore#getUsableSpace()}),
     * for the write buffer's reserve; {@link Long#MAX_VALUE} when unknown (the default: never refused for space).
     */
    default long usableSpace() throws IOException {
        return Long.MAX_VALUE;
    }

    /** Makes earlier creates, renames and deletes durable. */
    void syncDirectory() throws IOException;

    /**
     * Makes this storage's own directory entry durable (fsyncs the directory's parent): a directory created since the
     * last sync of its parent, by ltx4j, by the user or by a run that crashed before syncing it, vanishes in a power
     * cut with every file in it, however durable those are (docs/write-buffer-recovery.md, "Power cuts"). Nothing to
     * do where the storage is not a directory of its own (the default).
     */
    default void syncDirectoryEntry() throws IOException {}

    /**
     * Takes an exclusive lock named {@code name} that excludes every other process (and every other holder in
     * this process).
     *
     * @throws StorageLockedException if another holder has it
     */
    StorageLock lock(String name) throws IOException;

    /** A human-readable location of {@code name} for error messages (e.g. the absolute path). */
    String describe(String name);

    /** A held exclusive lock; closing releases it. */
    interface StorageLock extends AutoCloseable {
        @Override
        void close() throws IOException;
    }
}
