package dev.ltx4j.syncer;

/**
 * What one {@link Database#pollOnce} did.
 *
 * @param filesApplied replica files merged into the page map
 * @param txid         TXID of the state afterwards
 * @param gap          files exist beyond a gap; the next poll relists (never wedges)
 * @param error        the failure, or null
 * @param quick        a scheduled poll that asked one question (a listing of level 0, an audit request) and found
 *                     nothing new: the held state was not re-checked against the replica's files this time
 *                     (docs/request-economy-follower.md)
 */
public record PollOutcome(int filesApplied, long txid, boolean gap, Throwable error, boolean quick) {
    public PollOutcome(int filesApplied, long txid, boolean gap, Throwable error) {
        this(filesApplied, txid, gap, error, false);
    }

    public boolean ok() {
        return error == null;
    }
}
