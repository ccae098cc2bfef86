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
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
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
        return hook.map(h -> new Credential.Token(new Reporting(h, replica, HOOK), HOOK))
                .orElseGet(() -> new Credential.Token(
                        new Reporting(new DefaultAzureCredentialBuilder().build(), replica, DEFAULT), DEFAULT));
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
     * Wraps the credential the SDK's token cache asks: each token it hands out can be marked expired after the service
     * refused one as expired, so the cache (which trusts the token's own expiry time, an hour ahead for a stale or
     * clock-skewed token) asks the credential again at the next request instead of sending the refused token until
     * that time. Before, a close stopped at once on the refusal and a running process failed every request for up to
     * an hour.
     */
    private static final class Reporting implements TokenCredential {
        private final TokenCredential delegate;
        private final String replica;
        private final String source;
        /** Incremented by each refusal: tokens handed out under an older value count as expired. */
        private final AtomicInteger refusals = new AtomicInteger();

        Reporting(TokenCredential delegate, String replica, String source) {
            this.delegate = delegate;
            this.replica = replica;
            this.source = source;
        }

        void refused() {
            refusals.incrementAndGet();
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

        private AccessToken refusable(AccessToken token) {
            return new RefusableToken(token, refusals);
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

    /** A token that counts as expired once a refusal came after it was handed out. */
    private static final class RefusableToken extends AccessToken {
        private static final OffsetDateTime REFUSED = OffsetDateTime.ofInstant(java.time.Instant.EPOCH,
                java.time.ZoneOffset.UTC);
        private final AtomicInteger refusals;
        private final int handedOutAt;

        RefusableToken(AccessToken token, AtomicInteger refusals) {
            super(token.getToken(), token.getExpiresAt(), token.getRefreshAt(), token.getTokenType());
            this.refusals = refusals;
            this.handedOutAt = refusals.get();
        }

        private boolean refused() {
            return refusals.get() != handedOutAt;
        }

        // The SDK's cache decides by the refresh and expiry times first, then by isExpired(): all three say so.
        @Override
        public OffsetDateTime getRefreshAt() {
            return refused() ? REFUSED : super.getRefreshAt();
        }

        @Override
        public OffsetDateTime getExpiresAt() {
            return refused() ? REFUSED : super.getExpiresAt();
        }

        @Override
        public boolean isExpired() {
            return refused() || super.isExpired();
        }
    }

    /** Sees a service's refusal of a token as expired before the SDK turns it into an exception. */
    private static final class RefusalPolicy implements HttpPipelinePolicy {
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
            return next.process().map(this::inspect);
        }

        @Override
        public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
            return inspect(next.processSync());
        }

        private HttpResponse inspect(HttpResponse response) {
            int status = response.getStatusCode();
            if (status != 401 && status != 403) {
                return response;
            }
            String challenge = response.getHeaderValue("WWW-Authenticate");
            if (challenge != null && challenge.contains("invalid_token")) {
                credential.refused();
                return response;
            }
            // The refusal's reason is in the (small) error body only: read it, and hand the SDK a copy to parse.
            HttpResponse buffered = response.buffer();
            String body = buffered.getBodyAsBinaryData().toString().toLowerCase(Locale.ROOT);
            if (body.contains("lifetime validation failed") || body.contains("token is expired")) {
                credential.refused();
            }
            return buffered;
        }
    }
}
