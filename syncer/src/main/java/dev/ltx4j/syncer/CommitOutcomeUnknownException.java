package dev.ltx4j.syncer;

/**
 * A {@code remote}-durability commit is committed locally, but whether the replica holds it could not be found out
 * (an upload's response was lost and reading the replica back failed too). The transaction must not be run again:
 * it stays in the buffer, and a later sync finds it on the replica or uploads it, exactly once.
 */
public final class CommitOutcomeUnknownException extends SyncFailedException {
    public CommitOutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
