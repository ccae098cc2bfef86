package dev.ltx4j.syncer;

/** A sync could not reach the replica; the transactions stay in the buffer and a later sync retries them. */
public sealed class SyncFailedException extends EngineException permits CommitOutcomeUnknownException {
    public SyncFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
