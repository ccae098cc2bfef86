package dev.ltx4j.replica;

/** A failure that may pass: throttling, 5xx, timeouts before anything was sent, connection resets on reads. */
public final class ReplicaTransientException extends ReplicaException {
    private final boolean endpointUnreachable;
    private final int backendAttempts;

    public ReplicaTransientException(String message) {
        this(message, null, false, 1);
    }

    public ReplicaTransientException(String message, Throwable cause) {
        this(message, cause, false, 1);
    }

    private ReplicaTransientException(String message, Throwable cause, boolean endpointUnreachable,
            int backendAttempts) {
        super(message, cause);
        this.endpointUnreachable = endpointUnreachable;
        this.backendAttempts = backendAttempts;
    }

    /**
     * The endpoint could not be reached at all (connection refused, unknown host, no route, connect timeout): the
     * request was never sent. Backends report this without retrying it themselves, and {@link RetryingReplicaClient}
     * retries it only within {@link RetryPolicy#unreachableElapsed()}, so an unreachable store fails within
     * seconds instead of minutes. The message should name the endpoint (redacted).
     */
    public static ReplicaTransientException unreachable(String message, Throwable cause) {
        return new ReplicaTransientException(message, cause, true, 1);
    }

    /**
     * The backend already retried this failure itself and gave up: it sent {@code attempts} requests for the one call
     * (its SDK's retries with their own backoff, e.g. ten under sustained throttling) and its retry budget is spent.
     *
     * <p>Contract: a backend whose store client retries internally reports a transient failure it retried with this
     * factory and the number of requests it really sent for the call (more than one). It reports a failure it did not
     * retry (its first request failed and its store client does not retry that kind) with the plain constructors,
     * which mean one request. {@link RetryingReplicaClient} counts these requests against
     * {@link RetryPolicy#maxAttempts()}, so retries do not nest: an operation sends at most
     * {@code maxAttempts - 1} requests of its own plus the last call's, instead of {@code maxAttempts} times the
     * backend's (the conformance kit's {@code [errors.throttled.backend-retried]} checks the count against the
     * requests the store saw). The message should name the store's answer and say how many requests were sent.
     * The engine adds counts with saturation, so any count up to {@link Integer#MAX_VALUE} only ends the operation.
     *
     * @param attempts requests the backend sent for the call, at least 2
     * @throws IllegalArgumentException when {@code attempts < 2} (one request is no retry: use the constructors)
     */
    public static ReplicaTransientException backendRetried(String message, Throwable cause, int attempts) {
        if (attempts < 2) {
            throw new IllegalArgumentException("a backend retry means at least 2 requests, not " + attempts);
        }
        return new ReplicaTransientException(message, cause, false, attempts);
    }

    /** Whether the backend {@link #backendRetried already retried} this failure. */
    public boolean backendRetried() {
        return backendAttempts > 1;
    }

    /**
     * Requests the backend sent for the failed call: the count given to {@link #backendRetried}, else 1.
     */
    public int backendAttempts() {
        return backendAttempts;
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
