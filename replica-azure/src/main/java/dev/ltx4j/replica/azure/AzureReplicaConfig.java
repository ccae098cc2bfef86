package dev.ltx4j.replica.azure;

import com.azure.core.credential.AzureSasCredential;
import com.azure.core.credential.TokenCredential;
import dev.ltx4j.replica.ReplicaTimeouts;
import dev.ltx4j.replica.ReplicaUrl;
import java.util.Optional;

/**
 * Where an Azure Blob replica lives; built from a replica URL and the environment by {@link AzureUrlParser}.
 * {@link #toString()} and {@link #describe()} never show credentials.
 *
 * @param account storage account name, empty when only a connection string names it
 * @param container container name
 * @param path replica path, normalised as Litestream does ({@code "."} without a URL path); keys are
 *     {@code path.Join(path, "ltx", level) + "/" + file}
 * @param endpoint blob service endpoint, e.g. {@code https://ACCOUNT.blob.core.windows.net} or
 *     {@code http://127.0.0.1:10000/devstoreaccount1} for Azurite; empty when a connection string supplies it
 * @param credential how requests are authorised
 * @param timeouts connect and per-request timeouts
 */
public record AzureReplicaConfig(
        Optional<String> account, String container, String path, Optional<String> endpoint, Credential credential,
        ReplicaTimeouts timeouts) {

    /** How requests are authorised; secret values never appear in {@code toString}. */
    public sealed interface Credential {
        record SasToken(String token) implements Credential {
            @Override
            public String toString() {
                return "SasToken[***]";
            }
        }

        /**
         * The embedder's {@link AzureSasCredential}, read at every request: {@code update(newSas)} renews it in a
         * running process, which {@code LITESTREAM_AZURE_SAS_TOKEN} cannot.
         */
        record SasHook(AzureSasCredential credential) implements Credential {
            @Override
            public String toString() {
                return "SasHook[***]";
            }
        }

        record SharedKey(String account, String key) implements Credential {
            @Override
            public String toString() {
                return "SharedKey[account=" + account + ", key=***]";
            }
        }

        /**
         * An Azure AD token credential: the embedder's {@code TokenCredential} or {@code DefaultAzureCredential}.
         *
         * @param source what it is, for messages ("DefaultAzureCredential", "the configured TokenCredential")
         */
        record Token(TokenCredential credential, String source) implements Credential {
            @Override
            public String toString() {
                return "Token[" + source + "]";
            }
        }

        record ConnectionString(String value) implements Credential {
            @Override
            public String toString() {
                return "ConnectionString[***]";
            }
        }
    }

    public String describe() {
        return "abs://" + account.map(a -> a + "@").orElse("") + container + "/" + path
                + endpoint.map(e -> " (endpoint " + ReplicaUrl.redact(e) + ")").orElse("");
    }

    /** {@link #describe()}: the endpoint redacted (a record's own toString would print it verbatim). */
    @Override
    public String toString() {
        return describe() + " [" + timeouts + "]";
    }
}
