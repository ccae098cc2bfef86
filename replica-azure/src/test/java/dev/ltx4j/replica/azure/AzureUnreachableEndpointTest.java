package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.SilentServer;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.RetryPolicy;
import dev.ltx4j.replica.RetryTimer;
import dev.ltx4j.replica.RetryingReplicaClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 8 item 6: an unreachable endpoint used to block for minutes (ten SDK tries with delays of up to 30 s,
 * 15-minute try timeouts). Now connection and request timeouts are bounded and configurable, and an unreachable endpoint is not
 * retried by the SDK: the error names the endpoint. Attempts are counted at a silent server; elapsed times are
 * printed, not asserted. The class-level {@code @Timeout} is only a hang guard: the configured timeouts add up to
 * about a second, 120 s is a hundredfold margin; the old code retried for minutes here.
 */
@Timeout(120)
class AzureUnreachableEndpointTest {
    private static final ReplicaEnvironment ENV = ReplicaEnvironment.of(
            Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AzuriteServer.KEY));

    /** {@code abs://ACCOUNT@bkt/db} at a local port; {@code query} is appended after the endpoint. */
    private static AzureReplicaClient client(int port, String query) throws Exception {
        return AzureReplicaClient.open(ReplicaUrl.parse("abs://" + AzuriteServer.ACCOUNT + "@bkt/db?endpoint=http://127.0.0.1:"
                + port + "/" + AzuriteServer.ACCOUNT + query), ENV);
    }

    @Test
    void refusedConnectionFailsAtOnceNamingTheEndpoint() throws Exception {
        int port = SilentServer.closedPort();
        long start = System.nanoTime();
        try (AzureReplicaClient c = client(port, "")) {
            assertThatThrownBy(() -> c.listFiles(0, 0, false))
                    .isInstanceOfSatisfying(ReplicaTransientException.class,
                            e -> assertThat(e.endpointUnreachable()).isTrue())
                    .hasMessageContaining("cannot connect to endpoint http://127.0.0.1:" + port)
                    .hasMessageContaining("LITESTREAM_CONNECT_TIMEOUT")
                    .hasMessageContaining("bkt");
        }
        System.out.printf("abs refused connection: failed after %d ms%n", (System.nanoTime() - start) / 1_000_000);
    }

    /** Round 8 (a new user): a DNS failure read as a connect timeout; it names the host, no timeout. */
    @Test
    void unknownHostSaysTheNameCannotBeResolved() throws Exception {
        try (AzureReplicaClient c = AzureReplicaClient.open(ReplicaUrl.parse("abs://" + AzuriteServer.ACCOUNT
                + "@bkt/db?endpoint=http://no-such-host.invalid:10000/" + AzuriteServer.ACCOUNT), ENV)) {
            assertThatThrownBy(() -> c.listFiles(0, 0, false))
                    .isInstanceOfSatisfying(ReplicaTransientException.class,
                            e -> assertThat(e.endpointUnreachable()).isTrue())
                    .hasMessageContaining("cannot resolve host name no-such-host.invalid of endpoint "
                            + "http://no-such-host.invalid:10000")
                    .hasMessageNotContaining("connect timeout");
        }
    }

    @Test
    void silentServerTimesOutOnceWithoutSdkRetries() throws Exception {
        try (SilentServer server = new SilentServer();
                AzureReplicaClient c = client(server.port(), "&request-timeout=300ms&connect-timeout=1s")) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> c.listFiles(0, 0, false))
                    .isInstanceOfSatisfying(ReplicaTransientException.class,
                            e -> assertThat(e.endpointUnreachable()).isTrue())
                    .hasMessageContaining("no response from endpoint http://127.0.0.1:" + server.port())
                    .hasMessageContaining("300 ms");
            System.out.printf("abs silent server: failed after %d ms, %d connection(s)%n",
                    (System.nanoTime() - start) / 1_000_000, server.accepted());
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    @Test
    void retryingClientMakesExactlyThePolicysAttempts() throws Exception {
        try (SilentServer server = new SilentServer();
                AzureReplicaClient raw = client(server.port(), "&request-timeout=200ms")) {
            RetryPolicy three = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMinutes(1),
                    Duration.ofMinutes(1));
            ReplicaClient c = new RetryingReplicaClient(raw, three, RetryTimer.system(), 1);
            assertThatThrownBy(() -> c.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class)
                    .hasMessageContaining("127.0.0.1:" + server.port());
            assertThat(server.accepted()).isEqualTo(3);
        }
    }
}
