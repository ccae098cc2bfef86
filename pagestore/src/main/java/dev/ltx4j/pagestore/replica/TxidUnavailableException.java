package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.Txid;
import java.io.IOException;

/**
 * A read needs a database state (a TXID) that the replica can no longer rebuild: the files it was read from are
 * deleted and no restore plan over the remaining files ends at that TXID (retention removed it). Retrying the
 * same read cannot help; a new read transaction reads the latest state, which retention always keeps.
 */
public final class TxidUnavailableException extends IOException {
    private final long txid;

    public TxidUnavailableException(long txid, String detail, Throwable cause) {
        this(txid, detail, "retention (setting `retention`) deleted the files that rebuilt it", cause);
    }

    /**
     * With {@code why} the cause where it is known not to be retention (time travel tells a TXID beyond the replica's
     * head and a gap in its chain apart: docs/time-travel.md).
     */
    public TxidUnavailableException(long txid, String detail, String why, Throwable cause) {
        super("TXID " + Txid.format(txid) + " is no longer on the replica: " + detail + "; " + why + ". End this read"
                + " transaction and start a new read transaction (it reads the latest state); if this persists, run"
                + " PRAGMA litestream_refresh or reopen the database", cause);
        this.txid = txid;
    }

    public long txid() {
        return txid;
    }
}
