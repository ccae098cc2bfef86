package dev.ltx4j.syncer;

/**
 * What one {@link Database#pollOnce} did.
 *
 * @param filesApplied replica files merged into the page map
 * @param txid         TXID of the state afterwards
 * @param gap          files exist beyond a gap; the next poll relists (never wedges)
 * @param error        the failure, or null
 */
public record PollOutcome(int filesApplied, long txid, boolean gap, Throwable error) {
    public boolean ok() {
        return error == null;
    }
}
