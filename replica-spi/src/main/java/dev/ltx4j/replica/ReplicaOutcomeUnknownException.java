package dev.ltx4j.replica;

/** A write may or may not have landed (the response was lost, the connection dropped after sending). Resolve by reading the object back; never assume either way. */
public final class ReplicaOutcomeUnknownException extends ReplicaException {
    public ReplicaOutcomeUnknownException(String message) {
        super(message, null);
    }

    public ReplicaOutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
