package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogFormat;

/**
 * The replica state a buffer's transactions build on: the last replica TXID, the database checksum after it
 * (LTX post-apply checksum, 0 when untracked) and the database size in pages after it.
 */
public record BufferBase(long txid, long postApplyChecksum, long commitSize) {

    /** An empty database that has no replica yet. */
    public static final BufferBase EMPTY = new BufferBase(0, 0, 0);

    public BufferBase {
        if (commitSize < 0 || commitSize > LogFormat.MAX_PGNO) {
            throw new IllegalArgumentException("commitSize " + commitSize + " is outside 0.." + LogFormat.MAX_PGNO);
        }
    }
}
