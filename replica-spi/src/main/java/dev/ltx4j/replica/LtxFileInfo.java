package dev.ltx4j.replica;

import dev.ltx4j.ltx.TxidRange;
import java.time.Instant;

/**
 * One LTX file in a replica.
 *
 * @param level compaction level, 0 to 9 (9 holds snapshots)
 * @param minTxid first transaction in the file
 * @param maxTxid last transaction in the file
 * @param size object length in bytes
 * @param createdAt the file's timestamp: the LTX header timestamp where the backend stores it, otherwise the
 *     backend's own time of upload (see {@link ReplicaClient#listFiles})
 */
public record LtxFileInfo(int level, long minTxid, long maxTxid, long size, Instant createdAt) {

    public TxidRange range() {
        return new TxidRange(minTxid, maxTxid);
    }

    public String filename() {
        return range().filename();
    }

    @Override
    public String toString() {
        return "L" + level + "/" + filename();
    }
}
