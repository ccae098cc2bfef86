package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaUrl;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every spelling of one Azure replica has one canonical identity, built without credentials and holding none. */
class AzureCanonicalIdentityTest {
    private static final ReplicaEnvironment NO_ENV = ReplicaEnvironment.of(Map.of());

    private static String id(String url, ReplicaEnvironment env) throws ReplicaException {
        return new AzureReplicaClientProvider().canonicalIdentity(ReplicaUrl.parse(url), env);
    }

    private static String id(String url) throws ReplicaException {
        return id(url, NO_ENV);
    }

    @Test
    void spellingsOfOneReplicaAreOneIdentity() throws Exception {
        assertThat(id("abs://acct@cont/db")).isEqualTo("abs://acct@cont/db")
                .isEqualTo(id("abs://acct@cont/db/"))
                .isEqualTo(id("abs://ACCT@cont/./db"))
                .isEqualTo(id("abs://cont/db?endpoint=https://acct.blob.core.windows.net/"))
                .isEqualTo(id("abs://acct@cont/db?request-timeout=9s&endpoint=https://ACCT.blob.core.windows.net:443"))
                .isEqualTo(id("abs://cont/db", ReplicaEnvironment.of(Map.of("AZURE_STORAGE_CONNECTION_STRING",
                        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net"))));
        String azurite = "abs://cont/db?endpoint=http://127.0.0.1:10000/devstoreaccount1";
        assertThat(id("abs://devstoreaccount1@cont/db?endpoint=http://127.0.0.1:10000/devstoreaccount1/"))
                .isEqualTo(azurite)
                .isEqualTo(id("abs://cont/db/", ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ENDPOINT",
                        "http://127.0.0.1:10000/devstoreaccount1", "LITESTREAM_AZURE_SAS_TOKEN", "sig=s3cr3t"))))
                .isEqualTo(id("abs://cont/db", ReplicaEnvironment.of(Map.of("AZURE_STORAGE_CONNECTION_STRING",
                        "UseDevelopmentStorage=true"))));
    }

    @Test
    void loopbackSpellingsOfAzuriteAreOneIdentity() throws Exception {
        String azurite = "abs://cont/db?endpoint=http://127.0.0.1:10000/devstoreaccount1";
        assertThat(id("abs://cont/db?endpoint=http://localhost:10000/devstoreaccount1")).isEqualTo(azurite)
                .isEqualTo(id("abs://cont/db?endpoint=http://LOCALHOST:10000/devstoreaccount1/"))
                .isEqualTo(id("abs://cont/db?endpoint=http://[::1]:10000/devstoreaccount1"));
        assertThat(id("abs://cont/db?endpoint=http://localhost:10001/devstoreaccount1")).isNotEqualTo(azurite);
    }

    @Test
    void differentReplicasAreDifferentIdentities() throws Exception {
        assertThat(id("abs://acct@cont/db")).isNotEqualTo(id("abs://acct@cont/db2"))
                .isNotEqualTo(id("abs://other@cont/db"))
                .isNotEqualTo(id("abs://acct@cont2/db"))
                .isNotEqualTo(id("abs://acct@cont/db?endpoint=http://127.0.0.1:10000/acct"));
    }

    @Test
    void identityHoldsNoSecret() throws Exception {
        String id = id("abs://cont/db", ReplicaEnvironment.of(Map.of("AZURE_STORAGE_CONNECTION_STRING",
                "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=1&sig=s3cr3t")));
        assertThat(id).isEqualTo("abs://acct@cont/db").doesNotContain("s3cr3t");
        assertThat(id("abs://cont/db?endpoint=http://127.0.0.1:10000/devstoreaccount1?sig=s3cr3t",
                ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_SAS_TOKEN", "sig=x")))).doesNotContain("s3cr3t");
    }
}
