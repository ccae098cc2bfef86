package dev.ltx4j.vfs.engine;

import java.nio.ByteBuffer;

/**
 * Makes SQLite drop what it cached of content that has since been replaced under it: by a follower's reload of a
 * replaced or rewound replica (a new lineage, see {@code docs/read-mode-followers.md}) or by a refresh that dropped
 * the conflicted local state for the replica's ({@code docs/conflicts-and-refresh.md}). SQLite keeps its page cache
 * across read transactions while the 16 bytes at offset 24 of page 1 (change counter, size, freelist) read the same,
 * and its schema while the cookie at offset 40 does; the old and new content can agree on both (and SQLite's idea of
 * them may come from its own last commit, not from a read). So the first such probe after a replacement is inverted,
 * and the first page 1 read after it gets its schema cookie's top bit flipped: SQLite then reloads both. One place for
 * both causes, so the two can never cancel each other out. Nothing changes while neither happens.
 *
 * <p>One per connection ({@link EngineVfsDatabase}), used by its one SQLite thread at a time.
 */
final class ReplacedContentNotice {
    /** The follower lineage and engine refresh count of the content this connection's SQLite last read page 1 of. */
    private long seenLineage;
    private long seenRefresh;
    /** The last read's bytes were altered for once: the VFS must not repeat them. */
    private boolean lastReadAltered;

    /** What this connection's SQLite will cache (by reading or by its own writes) is of the content current now. */
    ReplacedContentNotice(long lineage, long refreshes) {
        this.seenLineage = lineage;
        this.seenRefresh = refreshes;
    }

    /** A new read begins: nothing of it altered yet. */
    void reading() {
        lastReadAltered = false;
    }

    /** Alters {@code b[base, base + len)}, read at {@code offset} of content of that lineage and refresh, if needed. */
    void apply(long offset, byte[] b, int base, int len, long lineage, long refreshes) {
        boolean replaced = refreshes != seenRefresh || lineage != seenLineage;
        if (offset == 24 && len == 16) {
            if (replaced) {
                for (int i = base; i < base + 16; i++) b[i] = (byte) ~b[i];
                lastReadAltered = true;
            }
            return;
        }
        if (offset != 0 || len < 44) return;
        if (replaced) {
            int cookie = ByteBuffer.wrap(b, base + 40, 4).getInt();
            ByteBuffer.wrap(b, base + 40, 4).putInt(cookie ^ 0x8000_0000);
        }
        seenLineage = lineage;
        seenRefresh = refreshes;
    }

    /** The last read's bytes were not altered: the VFS may repeat them for the same pin. */
    boolean lastReadRepeatable() {
        return !lastReadAltered;
    }

    /** A read of content of that lineage and refresh would show stored bytes (no notice is due). */
    boolean current(long lineage, long refreshes) {
        return refreshes == seenRefresh && lineage == seenLineage;
    }
}
