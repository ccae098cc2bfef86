package dev.ltx4j.pagestore.replica;

import java.util.Objects;

/**
 * One immutable state of a database, the thing a reader pins for the length of its read transaction.
 *
 * @param pageSize   page size in bytes (0 for a new database before its first page is written)
 * @param commit     database size in pages; pages above it are never in {@link #pages()}
 * @param txid       the replica TXID this state's remote part reflects (0: nothing in the replica yet)
 * @param localSeq   the write-buffer sequence number of the last committed transaction included (0: none)
 * @param checksum   LTX database checksum of this state when tracked, else 0
 * @param pages      page number to location
 */
public record DatabaseVersion(int pageSize, long commit, long txid, long localSeq, long checksum, PageMap pages) {

    public DatabaseVersion {
        Objects.requireNonNull(pages, "pages");
        if (commit < 0) {
            throw new IllegalArgumentException("commit " + commit + " is negative");
        }
    }

    /** An empty database with no page size yet. */
    public static final DatabaseVersion EMPTY = new DatabaseVersion(0, 0, 0, 0, 0, PageMap.EMPTY);

    /** Database size in bytes: commit times page size. */
    public long sizeBytes() {
        return commit * pageSize;
    }
}
