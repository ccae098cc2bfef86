package dev.ltx4j.replica.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.azure.AzureReplicaConfig.Credential;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.http.HttpHeaderName;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Optional;
import reactor.core.publisher.Mono;

/**
 * Azure AD credentials for a replica without keys in the environment: the embedder's {@link TokenCredential}
 * (a component of the {@link ReplicaEnvironment}), else {@code DefaultAzureCredential}. Both are wrapped so a failure
 * to get a token surfaces as {@link Unavailable}, which {@link AzureErrors} turns into a clear "no credentials" error.
 */
final class AzureTokenCredentials {
    private static final String HOOK = "the configured TokenCredential";
    private static final String DEFAULT = "DefaultAzureCredential";

    private AzureTokenCredentials() {}

    static Credential from(ReplicaEnvironment env, ReplicaUrl url, Optional<String> account, Optional<String> endpoint)
            throws ReplicaPermanentException {
        Optional<TokenCredential> hook = env.component(TokenCredential.class);
        String keys = "set LITESTREAM_AZURE_ACCOUNT_KEY (with abs://ACCOUNT@CONTAINER/PATH), LITESTREAM_AZURE_SAS_TOKEN"
                + " or AZURE_STORAGE_CONNECTION_STRING";
        if (endpoint.isPresent() && !endpoint.get().toLowerCase(Locale.ROOT).startsWith("https://")) {
            // The SDK sends bearer tokens over https only; say so now instead of at the first request.
            throw new ReplicaPermanentException("abs: no credentials for " + url.redacted() + ": " + keys
                    + (hook.isPresent() ? " (the configured TokenCredential" : " (Azure AD identities")
                    + " need an https endpoint, not '" + ReplicaUrl.redact(endpoint.get()) + "')");
        }
        if (hook.isEmpty() && endpoint.isEmpty() && account.isEmpty()) {
            throw new ReplicaPermanentException("abs: no credentials for " + url.redacted() + ": " + keys
                    + ", or name the account (abs://ACCOUNT@CONTAINER/PATH) to use DefaultAzureCredential");
        }
        String replica = url.redacted();
        // The clock that spaces forced re-asks: the environment's (tests), else the system's.
        Clock clock = env.component(Clock.class).orElseGet(Clock::systemUTC);
        return hook.map(h -> new Credential.Token(new Reporting(h, replica, HOOK, clock), HOOK))
                .orElseGet(() -> new Credential.Token(
                        new Reporting(new DefaultAzureCredentialBuilder().build(), replica, DEFAULT, clock), DEFAULT));
    }

    /**
     * A failure to get a token, told apart from network and service errors by its type. Carries no secret, and no
     * cause: the SDK's token cache rethrows the cause of what a credential throws, which would lose this type.
     */
    static final class Unavailable extends RuntimeException {
        Unavailable(String message) {
            super(message);
        }
    }

    /**
     * The policy that tells a token credential of this library's making that the service refused its token as
     * expired ({@link #refusedAsExpired}), for a pipeline; empty for other credentials.
     */
    static Optional<HttpPipelinePolicy> refusalPolicy(Credential credential) {
        if (credential instanceof Credential.Token token && token.credential() instanceof Reporting reporting) {
            return Optional.of(new RefusalPolicy(reporting));
        }
        return Optional.empty();
    }

    /**
     * Whether a 401/403 refuses a bearer token for its lifetime: Azure answers 401 InvalidAuthenticationInfo with a
     * {@code WWW-Authenticate: Bearer ... error="invalid_token"} challenge, Azurite 403 AuthenticationFailed; both
     * say "Lifetime validation failed" in the error body (which the SDK keeps in its message; only searched here,
     * never shown: it can hold a request URL).
     */
    static boolean refusedAsExpired(HttpResponseException e) {
        String challenge = e.getResponse() == null ? null : e.getResponse().getHeaderValue("WWW-Authenticate");
        if (challenge != null && challenge.contains("invalid_token")) {
            return true;
        }
        String text = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return text.contains("lifetime validation failed") || text.contains("token is expired");
    }

    /**
     * Wraps the credential the SDK's token cache asks: a token it handed out can be marked expired after the service
     * refused that very token as expired, so the cache (which trusts the token's own expiry time, an hour ahead for a
     * stale or clock-skewed token) asks the credential again at the next request instead of sending the refused token
     * until that time. Before, a close stopped at once on the refusal and a running process failed every request for
     * up to an hour. Only the refused token is marked (a newer one fetched meanwhile stays valid), and at most one
     * refusal per {@link #REASK_GAP} forces a new request for a token: a credential that keeps answering the same
     * stale token would otherwise be asked at every retry of a close (IMDS takes about five requests a second).
     */
    private static final class Reporting implements TokenCredential {
        /** The gap the SDK's own token cache keeps between refreshes. */
        static final Duration REASK_GAP = Duration.ofSeconds(30);
        /** Tokens kept to find the refused one by its value: the cache holds one, concurrent fetches a few more. */
        private static final int HANDED_OUT_KEPT = 8;
        private final TokenCredential delegate;
        private final String replica;
        private final String source;
        private final Clock clock;
        private final Deque<RefusableToken> handedOut = new ArrayDeque<>();
        private Instant lastForced;

        Reporting(TokenCredential delegate, String replica, String source, Clock clock) {
            this.delegate = delegate;
            this.replica = replica;
            this.source = source;
            this.clock = clock;
        }

        /**
         * The service refused {@code bearer} (the refused request's token, null when it carried none) as expired:
         * marks the tokens handed out with that value, unless a refusal forced a re-ask less than {@link #REASK_GAP}
         * ago.
         */
        synchronized void refused(String bearer) {
            Instant now = clock.instant();
            if (lastForced != null && now.isBefore(lastForced.plus(REASK_GAP))) {
                return;
            }
            boolean marked = false;
            for (RefusableToken token : handedOut) {
                if (!token.refused && (bearer == null ? token == handedOut.peekLast() : bearer.equals(token.getToken()))) {
                    token.refused = true;
                    marked = true;
                }
            }
            if (marked) {
                lastForced = now;
            }
        }

        @Override
        public Mono<AccessToken> getToken(TokenRequestContext request) {
            return Mono.defer(() -> delegate.getToken(request)).map(this::refusable)
                    .onErrorMap(e -> !(e instanceof Unavailable), this::unavailable);
        }

        @Override
        public AccessToken getTokenSync(TokenRequestContext request) {
            AccessToken token;
            try {
                token = delegate.getTokenSync(request);
            } catch (RuntimeException e) {
                throw unavailable(e);
            }
            return refusable(token);
        }

        private synchronized AccessToken refusable(AccessToken token) {
            RefusableToken wrapped = new RefusableToken(token);
            handedOut.addLast(wrapped);
            if (handedOut.size() > HANDED_OUT_KEPT) {
                handedOut.removeFirst();
            }
            return wrapped;
        }

        private Unavailable unavailable(Throwable e) {
            String reason = String.valueOf(e.getMessage());
            if (reason.length() > 1500) {
                reason = reason.substring(0, 1500) + "...";
            }
            return new Unavailable("abs: no credentials for " + replica + " from " + source + ": " + reason
                    + " (set LITESTREAM_AZURE_ACCOUNT_KEY, LITESTREAM_AZURE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING,"
                    + " or configure an Azure AD identity)");
        }

        @Override
        public String toString() {
            return "Reporting[" + source + "]";
        }
    }

    /** A token that counts as expired once the service refused it as expired. */
    private static final class RefusableToken extends AccessToken {
        private static final OffsetDateTime REFUSED = OffsetDateTime.ofInstant(Instant.EPOCH, ZoneOffset.UTC);
        private volatile boolean refused;

        RefusableToken(AccessToken token) {
            super(token.getToken(), token.getExpiresAt(), token.getRefreshAt(), token.getTokenType());
        }

        // The SDK's cache decides by the refresh and expiry times first, then by isExpired(): all three say so.
        @Override
        public OffsetDateTime getRefreshAt() {
            return refused ? REFUSED : super.getRefreshAt();
        }

        @Override
        public OffsetDateTime getExpiresAt() {
            return refused ? REFUSED : super.getExpiresAt();
        }

        @Override
        public boolean isExpired() {
            return refused || super.isExpired();
        }
    }

    /**
     * Sees a service's refusal of a token as expired before the SDK turns it into an exception. Added before
     * {@link ForeignErrorPagePolicy}, so it sees a response after that policy dropped a proxy's page; it reads a body
     * only when the Blob service answered (a request id or XML) and the body is small.
     */
    private static final class RefusalPolicy implements HttpPipelinePolicy {
        /** The Blob service's error bodies are a few hundred bytes; nothing larger is read. */
        static final long MAX_BODY = 64 * 1024;
        private final Reporting credential;

        RefusalPolicy(Reporting credential) {
            this.credential = credential;
        }

        @Override
        public HttpPipelinePosition getPipelinePosition() {
            return HttpPipelinePosition.PER_RETRY;
        }

        @Override
        public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
            return next.process().map(r -> inspect(context, r));
        }

        @Override
        public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
            return inspect(context, next.processSync());
        }

        private HttpResponse inspect(HttpPipelineCallContext context, HttpResponse response) {
            int status = response.getStatusCode();
            if (status != 401 && status != 403) {
                return response;
            }
            String bearer = bearer(context.getHttpRequest().getHeaders().getValue(HttpHeaderName.AUTHORIZATION));
            String challenge = response.getHeaderValue(HttpHeaderName.WWW_AUTHENTICATE);
            if (challenge != null && challenge.contains("invalid_token")) {
                credential.refused(bearer);
                return response;
            }
            String type = response.getHeaderValue(HttpHeaderName.CONTENT_TYPE);
            boolean service = response.getHeaderValue(HttpHeaderName.X_MS_REQUEST_ID) != null
                    || (type != null && type.toLowerCase(Locale.ROOT).contains("xml"));
            String length = response.getHeaderValue(HttpHeaderName.CONTENT_LENGTH);
            if (!service || (length != null && !small(length))) {
                // A proxy's page or a large body: not the service's refusal. (A service body of unknown length was
                // already read by ForeignErrorPagePolicy, which this response passed first.)
                return response;
            }
            // The refusal's reason is in the (small) error body only: read it, and hand the SDK a copy to parse.
            HttpResponse buffered = response.buffer();
            String body = buffered.getBodyAsBinaryData().toString().toLowerCase(Locale.ROOT);
            if (body.contains("lifetime validation failed") || body.contains("token is expired")) {
                credential.refused(bearer);
            }
            return buffered;
        }

        private static boolean small(String length) {
            try {
                return Long.parseLong(length.trim()) <= MAX_BODY;
            } catch (NumberFormatException e) {
                return false;
            }
        }

        private static String bearer(String authorization) {
            if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return null;
            }
            return authorization.substring(7).trim();
        }
    }
}
