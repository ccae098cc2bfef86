package dev.ltx4j.replica.s3;

import dev.ltx4j.conformance.LtxTestFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.ReplicaUrl;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Failures no real server produces on demand: a response lost after the request was sent, a refused connection. */
class S3FailureModesTest {
    private static final String SECRET = "probe-secret-value";
    private static final ReplicaEnvironment ENV = ReplicaEnvironment.of(
            Map.of("AWS_ACCESS_KEY_ID", "probe", "AWS_SECRET_ACCESS_KEY", SECRET));

    private static S3ReplicaClient client(String url) throws Exception {
        return S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(url), ENV), ENV);
    }

    @Test
    void createWhoseResponseIsLostIsOutcomeUnknownAndKeysAreSentVerbatim() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // Reads the request line, then drops the connection without answering.
            CompletableFuture<String> requestLine = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1))
                            .readLine();
                } catch (Exception e) {
                    return e.toString();
                }
            });
            // single-writer=true: the create itself is the first request (no S3CreateCheck before it)
            try (S3ReplicaClient c = client("s3://bkt?single-writer=true&endpoint=http://127.0.0.1:"
                    + server.getLocalPort())) {
                assertThatThrownBy(() -> c.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 0, 200, 1))))
                        .isInstanceOf(ReplicaOutcomeUnknownException.class)
                        .hasMessageContaining("./0000/0000000000000001-0000000000000001.ltx")
                        .hasMessageContaining("read the object back")
                        .satisfies(e -> assertThat(e.toString()).doesNotContain(SECRET));
            }
            // Go's "s3://bucket" path quirk, byte for byte: the "./" segment goes out unnormalised.
            assertThat(requestLine.get(10, TimeUnit.SECONDS))
                    .isEqualTo("PUT /bkt/./0000/0000000000000001-0000000000000001.ltx HTTP/1.1");
        }
    }

    @Test
    void createAgainstARefusedConnectionIsTransientBecauseNothingWasSent() throws Exception {
        int port;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = server.getLocalPort();
        }
        try (S3ReplicaClient c = client("s3://bkt/db?endpoint=http://127.0.0.1:" + port)) {
            assertThatThrownBy(() -> c.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 0, 200, 1))))
                    .isInstanceOf(ReplicaTransientException.class)
                    .hasMessageContaining("bkt");
        }
    }
}
