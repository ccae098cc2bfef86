package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import java.nio.file.Path;

/**
 * A detected conflict.
 *
 * @param baseTxid          the replica TXID this writer's pending transactions build on
 * @param remoteTxid        the replica's TXID when the conflict was seen
 * @param pendingCommits    unsynced transactions at that moment
 * @param savedTo           the LTX file holding them under {@code conflicts/}, or null if saving failed
 * @param detectedAtMillis  clock time of detection
 * @param cause             what is known about how the replica got past the base (null: nothing more than that)
 */
public record ConflictInfo(long baseTxid, long remoteTxid, long pendingCommits, Path savedTo, long detectedAtMillis,
        String cause) {

    public ConflictInfo(long baseTxid, long remoteTxid, long pendingCommits, Path savedTo, long detectedAtMillis) {
        this(baseTxid, remoteTxid, pendingCommits, savedTo, detectedAtMillis, null);
    }

    public String message() {
        return "conflict detected: replica is at TXID " + Txid.format(remoteTxid) + " but this writer built on "
                + Txid.format(baseTxid) + (cause == null ? "" : " (" + cause + ")") + "; " + pendingCommits
                + " unsynced transaction(s) "
                + (savedTo == null ? "are kept in the write buffer" : "saved to " + savedTo)
                + "; refresh (PRAGMA litestream_refresh, LitestreamDatabase.refresh()) to drop them and reload the"
                + " replica";
    }
}
