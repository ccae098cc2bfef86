package dev.ltx4j.replica.s3;

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
 * Issue 8 item 6: an unreachable endpoint used to block for minutes (SDK retries, each waiting out 30-60 s
 * timeouts). Now connection and request timeouts are bounded and configurable, and an unreachable endpoint is not
 * retried by the SDK: the error names the endpoint. Attempts are counted at a silent server; elapsed times are
 * printed, not asserted. The class-level {@code @Timeout} is only a hang guard: the configured timeouts add up to
 * about a second, 120 s is a hundredfold margin; the old code needed 10 x 60 s here.
 */
@Timeout(120)
class S3UnreachableEndpointTest {
    private static final ReplicaEnvironment ENV = ReplicaEnvironment.of(
            Map.of("AWS_ACCESS_KEY_ID", "probe", "AWS_SECRET_ACCESS_KEY", "probe-secret"));

    private static S3ReplicaClient client(String url) throws Exception {
        return S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(url), ENV), ENV);
    }

    @Test
    void refusedConnectionFailsAtOnceNamingTheEndpoint() throws Exception {
        int port = SilentServer.closedPort();
        long start = System.nanoTime();
        try (S3ReplicaClient c = client("s3://bkt/db?endpoint=http://127.0.0.1:" + port)) {
            assertThatThrownBy(() -> c.listFiles(0, 0, false))
                    .isInstanceOfSatisfying(ReplicaTransientException.class,
                            e -> assertThat(e.endpointUnreachable()).isTrue())
                    .hasMessageContaining("cannot connect to endpoint http://127.0.0.1:" + port)
                    .hasMessageContaining("LITESTREAM_CONNECT_TIMEOUT")
                    .hasMessageContaining("bkt");
        }
        System.out.printf("s3 refused connection: failed after %d ms%n", (System.nanoTime() - start) / 1_000_000);
    }

    /** Round 8 (a new user): a DNS failure read as "connect timeout 5000 ms"; it names the host, no timeout. */
    @Test
    void unknownHostSaysTheNameCannotBeResolved() throws Exception {
        try (S3ReplicaClient c = client("s3://bkt/db?endpoint=http://no-such-host.invalid:9000")) {
            assertThatThrownBy(() -> c.listFiles(0, 0, false))
                    .isInstanceOfSatisfying(ReplicaTransientException.class,
                            e -> assertThat(e.endpointUnreachable()).isTrue())
                    .hasMessageContaining("cannot resolve host name ")
                    .hasMessageContaining("no-such-host.invalid of endpoint http://no-such-host.invalid:9000")
                    .hasMessageNotContaining("connect timeout");
        }
    }

    @Test
    void silentServerTimesOutOnceWithoutSdkRetries() throws Exception {
        try (SilentServer server = new SilentServer();
                S3ReplicaClient c = client("s3://bkt/db?endpoint=http://127.0.0.1:" + server.port()
                        + "&request-timeout=300ms&connect-timeout=1s")) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> c.listFiles(0, 0, false))
                    .isInstanceOfSatisfying(ReplicaTransientException.class,
                            e -> assertThat(e.endpointUnreachable()).isTrue())
                    .hasMessageContaining("no response from endpoint http://127.0.0.1:" + server.port())
                    .hasMessageContaining("300 ms");
            System.out.printf("s3 silent server: failed after %d ms, %d connection(s)%n",
                    (System.nanoTime() - start) / 1_000_000, server.accepted());
            assertThat(server.accepted()).isEqualTo(1);
        }
    }

    @Test
    void retryingClientMakesExactlyThePolicysAttempts() throws Exception {
        try (SilentServer server = new SilentServer();
                S3ReplicaClient raw = client("s3://bkt/db?endpoint=http://127.0.0.1:" + server.port()
                        + "&request-timeout=200ms")) {
            RetryPolicy three = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMinutes(1),
                    Duration.ofMinutes(1));
            ReplicaClient c = new RetryingReplicaClient(raw, three, RetryTimer.system(), 1);
            assertThatThrownBy(() -> c.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class)
                    .hasMessageContaining("127.0.0.1:" + server.port());
            assertThat(server.accepted()).isEqualTo(3);
        }
    }
}
