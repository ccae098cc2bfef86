package dev.ltx4j.syncer;

/** A sync could not reach the replica; the transactions stay in the buffer and a later sync retries them. */
public final class SyncFailedException extends EngineException {
    public SyncFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
