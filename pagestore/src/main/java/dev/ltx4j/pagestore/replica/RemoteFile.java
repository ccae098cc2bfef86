package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.TxidRange;

/**
 * An immutable LTX file in the replica, named by level and TXID range. Replica files never change once created,
 * so anything derived from one (a page at an offset) can be cached forever without invalidation.
 *
 * @param pageSize  the file's page size (from its header)
 * @param sizeBytes the file's size in bytes (from the listing); with level and TXID range it is the file's
 *                  identity for verification ({@link FileVerifier})
 */
public record RemoteFile(int level, long minTxid, long maxTxid, int pageSize, long sizeBytes) {

    public String name() {
        return "L" + level + "/" + new TxidRange(minTxid, maxTxid).filename();
    }

    /** Whether a page from {@code other} must replace one from this file: higher max TXID, ties to the higher level. */
    public boolean supersededBy(RemoteFile other) {
        int c = Long.compareUnsigned(other.maxTxid, maxTxid);
        return c > 0 || (c == 0 && other.level > level);
    }

    @Override
    public String toString() {
        return name();
    }
}
