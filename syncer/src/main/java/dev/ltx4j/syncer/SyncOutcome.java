package dev.ltx4j.syncer;

/**
 * What one {@link Database#syncOnce} did.
 *
 * @param status   what happened
 * @param txid     the TXID uploaded (SYNCED), else the replica TXID the writer builds on
 * @param upToSeq  last buffer sequence number included (SYNCED), else 0
 * @param pages    pages in the uploaded file
 * @param error    the failure (FAILED, CONFLICT), else null
 */
public record SyncOutcome(Status status, long txid, long upToSeq, int pages, Throwable error) {
    public enum Status { NOTHING_TO_SYNC, SYNCED, FAILED, CONFLICT }
}
