package dev.ltx4j.replica.s3;

import software.amazon.awssdk.retries.api.AcquireInitialTokenRequest;
import software.amazon.awssdk.retries.api.AcquireInitialTokenResponse;
import software.amazon.awssdk.retries.api.RecordSuccessRequest;
import software.amazon.awssdk.retries.api.RecordSuccessResponse;
import software.amazon.awssdk.retries.api.RefreshRetryTokenRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenResponse;
import software.amazon.awssdk.retries.api.RetryStrategy;

/**
 * A retry strategy that passes every call to its delegate; the S3 client's wrappers ({@link FailFastOnUnreachable},
 * {@link ClockSkewOnce}) override what they change. It reports itself complete ({@link #useClientDefaults()} false):
 * a client that rebuilt it from its builder would drop the wrapper.
 */
abstract class ForwardingRetryStrategy implements RetryStrategy {
    protected final RetryStrategy delegate;

    ForwardingRetryStrategy(RetryStrategy delegate) {
        this.delegate = delegate;
    }

    @Override
    public AcquireInitialTokenResponse acquireInitialToken(AcquireInitialTokenRequest request) {
        return delegate.acquireInitialToken(request);
    }

    @Override
    public RefreshRetryTokenResponse refreshRetryToken(RefreshRetryTokenRequest request) {
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
    public final boolean useClientDefaults() {
        return false; // complete as it is; the client must not rebuild it (which would drop this wrapper)
    }

    @Override
    public final Builder<?, ?> toBuilder() {
        return delegate.toBuilder();
    }

    @Override
    public final void close() {
        delegate.close();
    }
}
