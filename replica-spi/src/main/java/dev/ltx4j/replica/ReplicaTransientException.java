package dev.ltx4j.replica;

/** A failure that may pass: throttling, 5xx, timeouts before anything was sent, connection resets on reads. */
public final class ReplicaTransientException extends ReplicaException {
    private final boolean endpointUnreachable;

    public ReplicaTransientException(String message) {
        this(message, null, false);
    }

    public ReplicaTransientException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private ReplicaTransientException(String message, Throwable cause, boolean endpointUnreachable) {
        super(message, cause);
        this.endpointUnreachable = endpointUnreachable;
    }

    /**
     * The endpoint could not be reached at all (connection refused, unknown host, no route, connect timeout): the
     * request was never sent. Backends report this without retrying it themselves, and {@link RetryingReplicaClient}
     * retries it only within {@link RetryPolicy#unreachableElapsed()}, so an unreachable store fails within
     * seconds instead of minutes. The message should name the endpoint (redacted).
     */
    public static ReplicaTransientException unreachable(String message, Throwable cause) {
        return new ReplicaTransientException(message, cause, true);
    }

    /** Whether this is {@link #unreachable(String, Throwable) an unreachable endpoint}. */
    public boolean endpointUnreachable() {
        return endpointUnreachable;
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
