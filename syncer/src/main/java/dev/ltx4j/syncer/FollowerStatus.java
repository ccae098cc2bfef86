package dev.ltx4j.syncer;

/**
 * What a read-mode follower reports beyond {@link DatabaseStatus}'s common fields.
 *
 * @param lastPollMillis     clock time of the last poll attempt, -1 if none
 * @param lastPollOk         whether that poll listed the replica, checked continuity and applied what it found
 * @param lastPollError      why it did not, or null
 * @param currentAsOfMillis  clock time of the last poll after which the follower held everything the replica
 *                           listed (the basis of the lag), -1 if none
 * @param newestTxidMillis   the LTX header timestamp of the file that produced the TXID served (when the writer
 *                           wrote it), -1 if unknown
 * @param dataAgeMillis      clock time minus {@code newestTxidMillis}: how old the newest data served is, -1 if unknown
 * @param divergence         the last time the replica stopped containing the follower's state, or null
 * @param reloads            how many times the follower switched to a replaced replica's state
 * @param effectivePollIntervalMillis the interval the scheduled polls run at now: the poll interval, or a multiple
 *                           of it while the adaptive poll backs off (docs/request-economy-follower.md)
 * @param pollBackoffMax     the most the adaptive poll multiplies the interval by (1: back-off off)
 * @param polls              polls that asked the replica anything since open (each makes one request while the
 *                           replica is idle)
 */
public record FollowerStatus(long lastPollMillis, boolean lastPollOk, String lastPollError, long currentAsOfMillis,
        long newestTxidMillis, long dataAgeMillis, Divergence divergence, long reloads,
        long effectivePollIntervalMillis, int pollBackoffMax, long polls) {

    /**
     * One divergence.
     *
     * @param heldTxid     the TXID the follower held when it noticed
     * @param reason       what it found
     * @param atMillis     clock time it noticed
     * @param reloadedTxid the TXID of the replica's state it switched to, or -1 while it could not load one (reads
     *                     are refused meanwhile)
     */
    public record Divergence(long heldTxid, String reason, long atMillis, long reloadedTxid) {
        public boolean readsRefused() {
            return reloadedTxid < 0;
        }
    }
}
