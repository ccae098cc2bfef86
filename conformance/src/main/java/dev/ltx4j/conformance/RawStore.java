package dev.ltx4j.conformance;

/**
 * Writes objects behind the client's back, so the kit can check that listings ignore what is not an LTX file.
 * Optional: a backend that offers no raw access skips the junk cases (they are reported as skipped).
 */
public interface RawStore {
    /** Stores {@code data} under {@code name} in the directory or key prefix that holds {@code level}'s files. */
    void putInLevel(int level, String name, byte[] data) throws Exception;

    /**
     * Stores {@code data} at {@code relativePath} (slash-separated, possibly nested) under the replica root, e.g.
     * {@code lock.json} or {@code generations/0000000000000001/snapshots/00000000.snapshot.lz4}.
     */
    void putAtRoot(String relativePath, byte[] data) throws Exception;
}
