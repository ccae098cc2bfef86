package dev.ltx4j.replica.s3;

import software.amazon.awssdk.retries.api.AcquireInitialTokenRequest;
import software.amazon.awssdk.retries.api.AcquireInitialTokenResponse;
import software.amazon.awssdk.retries.api.RecordSuccessRequest;
import software.amazon.awssdk.retries.api.RecordSuccessResponse;
import software.amazon.awssdk.retries.api.RefreshRetryTokenRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenResponse;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.retries.api.TokenAcquisitionFailedException;

/**
 * The SDK's retry strategy, except that a request that could not connect, or got no response within the request
 * timeout, is not retried here: the endpoint is unreachable, and ten SDK attempts with backoff (each waiting out a
 * connect timeout) would hold a database open for minutes with nothing on stderr. The failure goes up at once as an
 * unreachable-endpoint error, which {@link dev.ltx4j.replica.RetryingReplicaClient} retries within its own short
 * bound. Throttling, 5xx and resets keep the SDK's retries.
 */
final class FailFastOnUnreachable implements RetryStrategy {
    private final RetryStrategy delegate;

    FailFastOnUnreachable(RetryStrategy delegate) {
        this.delegate = delegate;
    }

    /** Whether the SDK may retry {@code failure} (true for everything but an unreachable endpoint). */
    static boolean mayRetry(Throwable failure) {
        return !(S3Errors.failedBeforeSending(failure) || S3Errors.timedOut(failure));
    }

    @Override
    public AcquireInitialTokenResponse acquireInitialToken(AcquireInitialTokenRequest request) {
        return delegate.acquireInitialToken(request);
    }

    @Override
    public RefreshRetryTokenResponse refreshRetryToken(RefreshRetryTokenRequest request) {
        if (!mayRetry(request.failure())) {
            throw new TokenAcquisitionFailedException("endpoint unreachable: not retried by the SDK", request.token(),
                    request.failure());
        }
        return delegate.refreshRetryToken(request);
    }

    @Override
    public RecordSuccessResponse recordSuccess(RecordSuccessRequest request) {
        return delegate.recordSuccess(request);
    }

    @Override
    public int maxAttempts() {
        return delegate.maxAttempts();
    }

    @Override
    public boolean useClientDefaults() {
        return false; // the delegate is complete; the client must not rebuild it (which would drop this wrapper)
    }

    @Override
    public Builder<?, ?> toBuilder() {
        return delegate.toBuilder();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
