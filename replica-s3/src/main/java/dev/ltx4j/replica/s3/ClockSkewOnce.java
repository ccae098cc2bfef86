package dev.ltx4j.replica.s3;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.retry.ClockSkew;
import software.amazon.awssdk.retries.api.AcquireInitialTokenRequest;
import software.amazon.awssdk.retries.api.AcquireInitialTokenResponse;
import software.amazon.awssdk.retries.api.RecordSuccessRequest;
import software.amazon.awssdk.retries.api.RecordSuccessResponse;
import software.amazon.awssdk.retries.api.RefreshRetryTokenRequest;
import software.amazon.awssdk.retries.api.RefreshRetryTokenResponse;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.retries.api.RetryToken;
import software.amazon.awssdk.retries.api.TokenAcquisitionFailedException;

/**
 * A store's refusal of the request's time ({@code RequestTimeTooSkewed}) is retried once at most, and only when the
 * store's {@code Date} header shows a skew from the time the request was signed at: the SDK has then moved this client's clock by it, so the retry is signed
 * with the store's time and lands. Any other skew refusal fails at once: the SDK's standard strategy retried it ten
 * times (17 s) with the same time, and a clock does not heal between attempts (docs/field-probes.md, round 7). The
 * conditional client (no retries otherwise) gets the one retry too: a 403 was not applied, so a replay is safe.
 */
final class ClockSkewOnce extends ForwardingRetryStrategy {
    static final Set<String> SKEW_CODES = Set.of("RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture");
    /** The SDK's own threshold for moving its clock ({@code ClockSkew}): below it the retry carries the same time. */
    private static final Duration CORRECTED = Duration.ofMinutes(4);

    ClockSkewOnce(RetryStrategy delegate) {
        super(delegate);
    }

    /** The delegate's token and whether this call already had its skew retry. */
    private record Token(RetryToken inner, boolean skewRetried) implements RetryToken {}

    static boolean isSkew(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            // Set.of(..).contains(null) throws: a response without an S3 error body (a proxy's HTML) has no code.
            if (t instanceof AwsServiceException s && s.awsErrorDetails() != null
                    && s.awsErrorDetails().errorCode() != null
                    && SKEW_CODES.contains(s.awsErrorDetails().errorCode())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the failure's response carries a {@code Date} that differs enough from the time the refused request was
     * signed at for the SDK to correct its clock. The signing time, not this machine's clock: a client copies the
     * JVM-wide offset ({@code SdkGlobalTime}) when it is built, so one that inherited a stale offset is refused by a
     * store whose clock is right, and the SDK's correction (store's Date minus the clock) makes its retry land.
     */
    static boolean storeDateShowsSkew(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof AwsServiceException s && s.awsErrorDetails() != null
                    && s.awsErrorDetails().sdkHttpResponse() != null) {
                Optional<Instant> server = ClockSkew.getServerTime(s.awsErrorDetails().sdkHttpResponse());
                Instant signed = S3ErrorFacts.signedAt(s.awsErrorDetails().sdkHttpResponse())
                        .flatMap(S3ClockSkew::time).orElseGet(Instant::now);
                return server.isPresent()
                        && Duration.between(signed, server.get()).abs().compareTo(CORRECTED) > 0;
            }
        }
        return false;
    }

    @Override
    public AcquireInitialTokenResponse acquireInitialToken(AcquireInitialTokenRequest request) {
        AcquireInitialTokenResponse r = delegate.acquireInitialToken(request);
        return AcquireInitialTokenResponse.create(new Token(r.token(), false), r.delay());
    }

    @Override
    public RefreshRetryTokenResponse refreshRetryToken(RefreshRetryTokenRequest request) {
        Token token = (Token) request.token();
        if (isSkew(request.failure())) {
            if (token.skewRetried() || !storeDateShowsSkew(request.failure())) {
                throw new TokenAcquisitionFailedException("the store refused the request's time: not retried",
                        token, request.failure());
            }
            return RefreshRetryTokenResponse.create(new Token(token.inner(), true), Duration.ZERO);
        }
        try {
            RefreshRetryTokenResponse r = delegate.refreshRetryToken(request.toBuilder().token(token.inner()).build());
            return RefreshRetryTokenResponse.create(new Token(r.token(), token.skewRetried()), r.delay());
        } catch (TokenAcquisitionFailedException e) {
            throw new TokenAcquisitionFailedException(e.getMessage(), token, e.getCause());
        }
    }

    @Override
    public RecordSuccessResponse recordSuccess(RecordSuccessRequest request) {
        Token token = (Token) request.token();
        RecordSuccessResponse r = delegate.recordSuccess(RecordSuccessRequest.create(token.inner()));
        return RecordSuccessResponse.create(new Token(r.token(), token.skewRetried()));
    }

    @Override
    public int maxAttempts() {
        return Math.max(2, delegate.maxAttempts());
    }
}
