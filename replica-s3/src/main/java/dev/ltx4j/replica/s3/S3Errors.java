package dev.ltx4j.replica.s3;

import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Maps SDK failures to the typed replica errors. Messages name the bucket and key, the S3 error code and status,
 * never credentials (the SDK's messages carry none; raw error bodies, which can echo the access key id, are not used).
 */
final class S3Errors {
    private static final Set<String> AUTH_CODES = Set.of("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
            "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "AllAccessDisabled", "AccountProblem");
    private static final Set<String> REGION_CODES = Set.of("PermanentRedirect", "AuthorizationHeaderMalformed",
            "IllegalLocationConstraintException", "TemporaryRedirect");
    private static final Set<String> TRANSIENT_CODES = Set.of("SlowDown", "Throttling", "ThrottlingException",
            "RequestTimeout", "RequestCanceled", "InternalError", "ServiceUnavailable", "RequestLimitExceeded",
            "TooManyRequestsException", "OperationAborted");

    /** What kind of call failed: only a conditional create can end in "already exists" or "outcome unknown". */
    enum Op {
        READ, LIST, WRITE_CONDITIONAL, DELETE
    }

    private S3Errors() {}

    /** Marks a failure reading our own upload body, so it is not mistaken for a lost request. */
    static final class BodyReadFailure extends RuntimeException {
        BodyReadFailure(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    static ReplicaException map(Op op, String what, S3ReplicaConfig config, S3Credentials credentials, String key,
            SdkException e) {
        String bucket = config.bucket();
        String where = "s3: " + what + " " + (key == null ? "" : "'" + key + "' ") + "in bucket '" + bucket + "'";
        if (e instanceof AwsServiceException service) {
            return mapService(op, where, config, credentials, service);
        }
        S3Credentials.Unavailable noCredentials = causeOf(e, S3Credentials.Unavailable.class);
        if (noCredentials != null) {
            // Nothing was sent; the message already names the replica, the source and the provider's reason.
            return ReplicaPermanentException.credentialsMayRenew(noCredentials.getMessage() + "; " + what + " "
                    + (key == null ? "" : "'" + key + "' ") + "in bucket '" + bucket + "' was not sent", e);
        }
        // A conditional create that timed out may have landed: that stays "outcome unknown" below.
        String unreachable = op == Op.WRITE_CONDITIONAL && !failedBeforeSending(e) ? null : unreachableReason(e, config);
        if (unreachable != null) {
            return ReplicaTransientException.unreachable("s3: " + unreachable + "; " + what + " "
                    + (key == null ? "" : "'" + key + "' ") + "in bucket '" + bucket + "' failed (" + e.getMessage()
                    + ")", e);
        }
        BodyReadFailure bodyFailure = causeOf(e, BodyReadFailure.class);
        if (bodyFailure != null) {
            return new ReplicaTransientException(where + " failed reading the upload body (nothing was written): "
                    + bodyFailure.getMessage(), e);
        }
        if (e instanceof SdkClientException && op == Op.WRITE_CONDITIONAL && !failedBeforeSending(e)) {
            return new ReplicaOutcomeUnknownException(where + ": the request may or may not have been applied ("
                    + e.getMessage() + "); read the object back to find out", e);
        }
        return transientFailure(where + " failed: " + e.getMessage(), e);
    }

    /**
     * A transient failure, marked {@link ReplicaTransientException#backendRetried} with the SDK's count when the SDK
     * sent more than one request for the call (its own retries spent), so the engine does not repeat them all.
     */
    static ReplicaTransientException transientFailure(String message, SdkException e) {
        Integer attempts = e.numAttempts();
        if (attempts != null && attempts > 1) {
            return ReplicaTransientException.backendRetried(message + " [" + attempts + " requests: the AWS SDK's"
                    + " retries were spent]", e, attempts);
        }
        return new ReplicaTransientException(message, e);
    }

    private static ReplicaException mapService(Op op, String where, S3ReplicaConfig config, S3Credentials credentials,
            AwsServiceException e) {
        String bucket = config.bucket();
        int status = e.statusCode();
        String found = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        // A response without an S3 error body (a proxy, a load balancer, any HEAD) has no code; Set.of(..) sets
        // throw on contains(null), which turned such errors into a bare NullPointerException.
        String code = found == null || found.isBlank() ? null : found;
        String known = code == null ? "" : code;
        String detail = " (HTTP " + status + (code == null ? "" : ", " + code) + ")"
                + (code == null && status != 404 && !fromTheStore(e) ? notFromTheStore(e) : "");
        if ("NoSuchBucket".equals(code)) {
            return new ReplicaPermanentException("s3: bucket '" + bucket + "' does not exist" + detail + "; " + where, e);
        }
        if ("ExpiredToken".equals(code) || "TokenRefreshRequired".equals(code)) {
            // S3's body for this echoes the token (Token-0); only the code is used here. Keys from the environment
            // never renew in this process: saying "may renew" made a close wait out its timeout for nothing.
            String message = "s3: the session token used for bucket '" + bucket + "' has expired" + detail + ": "
                    + credentials.whenExpired() + "; " + where;
            return credentials.renewable() ? ReplicaPermanentException.credentialsMayRenew(message, e)
                    : new ReplicaPermanentException(message, e);
        }
        if ("RequestTimeTooSkewed".equals(code) || "RequestExpired".equals(code)) {
            // A 403 too, but no key or policy is wrong: the signature's time is, and AWS's SDK corrects only a skew
            // the store's Date header shows, which not every store sends.
            // The SDK signs with a JVM-wide offset copied into each client when built: a stale one is not the clock.
            String off = S3ClockSkew.signedOffTheClock(e)
                    ? " the request's signing time (this machine's clock moved by the offset the AWS SDK keeps for the"
                    + " JVM, SdkGlobalTime, from an earlier answer of some store) differs"
                    : " this machine's clock differs";
            return new ReplicaPermanentException("s3: the store refused the request's time" + detail + ":" + off
                    + " from the store's by more than S3 allows (15 minutes)"
                    + S3ClockSkew.describe(e) + "; fix the clock (NTP) or the store's; " + where, e);
        }
        if (status == 501 || "NotImplemented".equals(code)) {
            // Stores answer 501 to any header they do not know (S3Proxy to the session token's, MinIO without KMS to
            // SSE-KMS), so the store's own message is kept and the cause is given as candidates. Permanent: the same
            // request gets the same answer however often it is retried.
            return new ReplicaPermanentException(where + " failed" + detail + said(e) + "; the store does"
                    + " not implement something this request uses: " + notImplementedCandidates(op, config)
                    + (op == Op.WRITE_CONDITIONAL ? "; nothing was written" : "")
                    + "; use a store or version that implements it, or drop the setting", e);
        }
        if (status == 403 || AUTH_CODES.contains(known)) {
            return new ReplicaPermanentException("s3: access denied to bucket '" + bucket + "'" + detail
                    + ": check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the configured provider, or the"
                    + " AWS SDK default chain's profile, web identity, container or instance role; expired ones show"
                    + " as ExpiredToken) and the bucket policy; "
                    + where, e);
        }
        if (REGION_CODES.contains(known) || status == 301) {
            return new ReplicaPermanentException("s3: bucket '" + bucket + "' is not reachable with the configured"
                    + " region or endpoint" + detail + ": " + regionAdvice(e, config) + "; " + where, e);
        }
        // 409 alone is no refusal: a store that ignores the condition answers it for other reasons too
        // (OperationAborted on concurrent PUTs of one key, MinIO's "object exists as directory").
        if (op == Op.WRITE_CONDITIONAL && (status == 412 || "PreconditionFailed".equals(code)
                || "ConditionalRequestConflict".equals(code))) {
            return new ReplicaAlreadyExistsException(where + " already exists" + detail, e);
        }
        if (status == 404 && op != Op.WRITE_CONDITIONAL) {
            return new ReplicaNotFoundException(where + " not found" + detail, e);
        }
        boolean throttled = status == 429 || status == 503 || "SlowDown".equals(code) || e.isThrottlingException();
        if (op == Op.WRITE_CONDITIONAL && status >= 500 && !throttled) {
            return new ReplicaOutcomeUnknownException(where + ": server error" + detail
                    + "; the write may or may not have been applied, read the object back to find out", e);
        }
        if (throttled || status >= 500 || status == 408 || TRANSIENT_CODES.contains(known)) {
            return transientFailure(where + " failed" + detail + said(e), e);
        }
        String hint = op == Op.LIST && status == 400 && code != null ? " (does the store implement ListObjectsV2, list-type=2?"
                + " ltx4j needs it, as Litestream does)" : "";
        return new ReplicaPermanentException(where + " failed" + detail + said(e) + hint, e);
    }

    /**
     * Whether a response without an error body still came from S3: it carries S3's request ids, or answers a HEAD
     * (which has no body by protocol, so any store's HEAD errors look like a proxy's).
     */
    static boolean fromTheStore(AwsServiceException e) {
        if (e.awsErrorDetails() == null || e.awsErrorDetails().sdkHttpResponse() == null) {
            return false;
        }
        var response = e.awsErrorDetails().sdkHttpResponse();
        return response.firstMatchingHeader("x-amz-request-id").isPresent()
                || response.firstMatchingHeader("x-amz-id-2").isPresent() || S3ErrorFacts.wasHead(response);
    }

    /**
     * For an error without an S3 error code: who answered, as far as the response tells (its {@code Server} header,
     * content type and an HTML page's title), since a proxy, load balancer or gateway in front of the store answers
     * so, not the store (a message of "no message" sent users to the store).
     */
    static String notFromTheStore(AwsServiceException e) {
        java.util.List<String> what = new java.util.ArrayList<>();
        if (e.awsErrorDetails() != null && e.awsErrorDetails().sdkHttpResponse() != null) {
            e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("Server").map(S3Errors::shortText)
                    .ifPresent(v -> what.add("Server '" + v + "'"));
            e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("Content-Type").map(S3Errors::shortText)
                    .ifPresent(v -> what.add(v));
        }
        S3ErrorFacts.fact(e, "Title").ifPresent(t -> what.add("page title '" + t + "'"));
        return " [not an S3 error response" + (what.isEmpty() ? "" : ": " + String.join(", ", what)) + "; a proxy,"
                + " load balancer or gateway between this machine and the store may have answered, or the endpoint"
                + " is not an S3 API]";
    }

    private static String shortText(String v) {
        String t = v.replaceAll("[^A-Za-z0-9 .,:;/()_+=-]", "?");
        return t.length() > 60 ? t.substring(0, 60) + "..." : t;
    }

    /** Where the bucket is, when the store says (S3: the x-amz-bucket-region header, a redirect's Region/Endpoint). */
    static String regionAdvice(AwsServiceException e, S3ReplicaConfig config) {
        java.util.Optional<String> region = java.util.Optional.empty();
        if (e.awsErrorDetails() != null && e.awsErrorDetails().sdkHttpResponse() != null) {
            region = e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("x-amz-bucket-region");
        }
        if (region.isEmpty()) {
            region = S3ErrorFacts.fact(e, "Region");
        }
        region = region.map(S3Errors::shortText).filter(r -> !r.isBlank());
        java.util.Optional<String> endpoint = S3ErrorFacts.fact(e, "Endpoint").map(S3Errors::shortText);
        if (region.isPresent()) {
            return "the store says the bucket is in region '" + region.get() + "' (the client signs for '"
                    + config.region() + "'): set ?region=" + region.get() + " in the replica URL"
                    + (config.endpoint().isPresent() ? ", and an endpoint of that region" : "")
                    + endpoint.map(h -> " (the store names endpoint '" + h + "')").orElse("");
        }
        return "set ?region= in the replica URL" + endpoint.map(h -> " (the store names endpoint '" + h + "')")
                .orElse("");
    }

    /** What a 501 can be about for this kind of request: only what ltx4j sends (settings only when configured). */
    static String notImplementedCandidates(Op op, S3ReplicaConfig config) {
        java.util.List<String> candidates = new java.util.ArrayList<>();
        if (op == Op.WRITE_CONDITIONAL) {
            candidates.add("the create condition If-None-Match: * (conditional creates, which ltx4j needs to keep two"
                    + " writers from overwriting each other's files; AWS S3 has them since August 2024)");
        } else if (op == Op.LIST) {
            candidates.add("ListObjectsV2 (list-type=2), which ltx4j needs, as Litestream does");
        }
        candidates.add("a session token (the x-amz-security-token header, from AWS_SESSION_TOKEN or the credential"
                + " provider)");
        if (op != Op.LIST) {
            config.sseKmsKeyId().ifPresent(k -> candidates.add("SSE-KMS (sse-kms-key-id)"));
            config.storageClass().ifPresent(c -> candidates.add("the storage class '" + c + "' (storage-class)"));
        }
        return String.join(", or ", candidates);
    }

    /** S3's 409 ConditionalRequestConflict: another conditional write of the key was in flight, nothing decided. */
    static boolean conditionalConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AwsServiceException s && s.awsErrorDetails() != null
                    && "ConditionalRequestConflict".equals(s.awsErrorDetails().errorCode())) {
                return true;
            }
        }
        return false;
    }

    /** ": <the store's message>", or "" when the response had none (a proxy's page: {@link #notFromTheStore}). */
    private static String said(AwsServiceException e) {
        String m = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
        return m == null || m.isBlank() ? "" : ": " + m;
    }

    /**
     * Why the endpoint counts as unreachable (it could not be connected to, or a request got no response within the
     * request timeout), naming the endpoint and the setting to change; null for any other failure.
     */
    static String unreachableReason(Throwable e, S3ReplicaConfig config) {
        UnknownHostException unknown = causeOf(e, UnknownHostException.class);
        if (unknown != null) {
            // A DNS failure, not a timeout: name the host the SDK tried (with the bucket in it for virtual-host style).
            return "cannot resolve host name " + unknownHost(unknown, config.endpointLabel()) + " of endpoint "
                    + config.endpointLabel() + " (unknown host: check the endpoint or region, and this machine's DNS; "
                    + "no connection was made)";
        }
        if (failedBeforeSending(e)) {
            return "cannot connect to endpoint " + config.endpointLabel() + " (connect timeout "
                    + config.timeouts().connect().toMillis() + " ms, connect-timeout / LITESTREAM_CONNECT_TIMEOUT)";
        }
        if (timedOut(e)) {
            return "no response from endpoint " + config.endpointLabel() + " within the request timeout of "
                    + config.timeouts().request().toMillis() + " ms (request-timeout / LITESTREAM_REQUEST_TIMEOUT)";
        }
        return null;
    }

    /** A request attempt that timed out waiting for the server: the SDK's attempt timeout or a socket read timeout. */
    static boolean timedOut(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String name = t.getClass().getSimpleName();
            if (name.equals("ApiCallAttemptTimeoutException") || name.equals("ApiCallTimeoutException")
                    || t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** Connection refused, unknown host, no route, connect timeout: the request never left, so it did nothing. */
    static boolean failedBeforeSending(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof NoRouteToHostException
                    || t.getClass().getSimpleName().equals("ConnectTimeoutException")) {
                return true;
            }
        }
        return false;
    }

    /** The host of an UnknownHostException ("host: reason" or "host"), or the endpoint's when it has none. */
    static String unknownHost(UnknownHostException e, String endpoint) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return java.net.URI.create(endpoint).getHost();
        }
        int colon = m.indexOf(": ");
        return colon > 0 ? m.substring(0, colon) : m.strip();
    }

    private static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
