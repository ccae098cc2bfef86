package dev.ltx4j.replica.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.azure.AzureReplicaConfig.Credential;
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

    private record Reporting(TokenCredential delegate, String replica, String source) implements TokenCredential {
        @Override
        public Mono<AccessToken> getToken(TokenRequestContext request) {
            return Mono.defer(() -> delegate.getToken(request)).onErrorMap(e -> !(e instanceof Unavailable), this::unavailable);
        }

        @Override
        public AccessToken getTokenSync(TokenRequestContext request) {
            try {
                return delegate.getTokenSync(request);
            } catch (RuntimeException e) {
                throw unavailable(e);
            }
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
}
