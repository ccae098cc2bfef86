package dev.ltx4j.replica.s3;

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
final class FailFastOnUnreachable extends ForwardingRetryStrategy {
    FailFastOnUnreachable(RetryStrategy delegate) {
        super(delegate);
    }

    /** Whether the SDK may retry {@code failure} (true for everything but an unreachable endpoint). */
    static boolean mayRetry(Throwable failure) {
        return !(S3Errors.failedBeforeSending(failure) || S3Errors.timedOut(failure));
    }

    @Override
    public RefreshRetryTokenResponse refreshRetryToken(RefreshRetryTokenRequest request) {
        if (!mayRetry(request.failure())) {
            throw new TokenAcquisitionFailedException("endpoint unreachable: not retried by the SDK", request.token(),
                    request.failure());
        }
        return delegate.refreshRetryToken(request);
    }
}
