package dev.ltx4j.replica;

/** A failure that may pass: throttling, 5xx, timeouts before anything was sent, connection resets on reads. */
public final class ReplicaTransientException extends ReplicaException {
    public ReplicaTransientException(String message) {
        super(message, null);
    }

    public ReplicaTransientException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
