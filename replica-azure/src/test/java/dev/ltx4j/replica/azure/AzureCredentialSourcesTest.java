package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.azure.AzureReplicaConfig.Credential;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Azure AD credentials: the TokenCredential hook and DefaultAzureCredential are wired into the client, keys in the
 * environment still win, and a credential that cannot produce a token is a clear "no credentials" error. Azurite
 * accepts bearer tokens only over https with its own certificate, so a token is checked to be requested (and the
 * request then fails to connect to a closed local https port) rather than accepted by a server.
 */
class AzureCredentialSourcesTest {

    private static AzureReplicaConfig parse(String url, ReplicaEnvironment env) throws ReplicaException {
        return AzureUrlParser.parse(ReplicaUrl.parse(url), env);
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void keysInTheEnvironmentWinOverTheHook() throws Exception {
        TokenCredential hook = r -> Mono.error(new IllegalStateException("must not be asked"));
        AzureReplicaConfig config = parse("abs://acct@c/db",
                ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_SAS_TOKEN", "sv=1&sig=s3cr3t")).with(TokenCredential.class, hook));
        assertThat(config.credential()).isInstanceOf(Credential.SasToken.class);
        assertThat(config.toString()).doesNotContain("s3cr3t");
    }

    @Test
    void theTokenCredentialHookIsAskedForEveryClientRequest() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        TokenCredential hook = r -> {
            asked.incrementAndGet();
            return Mono.just(new AccessToken("a-bearer-token", OffsetDateTime.now().plusHours(1)));
        };
        String url = "abs://acct@c/db?endpoint=https://127.0.0.1:" + closedPort() + "/acct&connect-timeout=2s";
        AzureReplicaConfig config = parse(url, ReplicaEnvironment.of(Map.of()).with(TokenCredential.class, hook));
        assertThat(config.credential()).isInstanceOf(Credential.Token.class)
                .hasToString("Token[the configured TokenCredential]");
        try (AzureReplicaClient client = AzureReplicaClient.open(config)) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaException.class)
                    .message().doesNotContain("no credentials").doesNotContain("a-bearer-token");
        }
        assertThat(asked).hasPositiveValue();
    }

    @Test
    void aHookThatCannotGetATokenIsAClearError() throws Exception {
        TokenCredential broken = r -> Mono.error(new IllegalStateException("tenant unreachable"));
        String url = "abs://acct@c/db?endpoint=https://127.0.0.1:" + closedPort() + "/acct";
        AzureReplicaConfig config = parse(url, ReplicaEnvironment.of(Map.of()).with(TokenCredential.class, broken));
        try (AzureReplicaClient client = AzureReplicaClient.open(config)) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageStartingWith("abs: no credentials for abs://")
                    .hasMessageContaining("the configured TokenCredential")
                    .hasMessageContaining("tenant unreachable")
                    .satisfies(e -> assertThat(((ReplicaPermanentException) e).credentialsMayRenew()).isTrue());
        }
    }

    @Test
    void withoutKeysOrHookTheDefaultAzureCredentialIsUsed() throws Exception {
        AzureReplicaConfig config = parse("abs://acct@c/db", ReplicaEnvironment.of(Map.of()));
        assertThat(config.credential()).hasToString("Token[DefaultAzureCredential]");
        assertThat(config.endpoint()).hasValue("https://acct.blob.core.windows.net");
    }

    @Test
    void tokenCredentialsOverPlainHttpAreRefusedAtOpen() {
        assertThatThrownBy(() -> parse("abs://acct@c/db?endpoint=http://127.0.0.1:10000/acct", ReplicaEnvironment.of(Map.of())))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("no credentials").hasMessageContaining("https endpoint")
                .hasMessageContaining("LITESTREAM_AZURE_ACCOUNT_KEY");
        assertThatThrownBy(() -> parse("abs://c/db", ReplicaEnvironment.of(Map.of())))
                .isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("no credentials").hasMessageContaining("DefaultAzureCredential");
    }
}
