package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Error responses without an S3 error body (a proxy or load balancer in front of the store, HEAD responses) carry no
 * error code; mapping them threw a NullPointerException ({@code Set.of(..).contains(null)}), so {@code ltx4j ltx ls}
 * printed only "NullPointerException" and the engine saw an untyped error (field probe, issue 14 round: a transparent
 * proxy answering 404 with an empty body).
 */
class S3BodylessErrorTest {
    private static final ReplicaEnvironment ENV = ReplicaEnvironment.of(
            Map.of("AWS_ACCESS_KEY_ID", "probe", "AWS_SECRET_ACCESS_KEY", "probe-secret"));

    @Test
    void errorStatusesWithoutAnErrorCodeAreTypedAndNameTheStatus() throws Exception {
        assertThatThrownBy(() -> listAgainst(404)).isInstanceOf(ReplicaNotFoundException.class)
                .hasMessageContaining("HTTP 404");
        assertThatThrownBy(() -> listAgainst(400)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageContaining("HTTP 400").hasMessageContaining("bucket 'bkt'");
        assertThatThrownBy(() -> listAgainst(405)).isInstanceOf(ReplicaException.class)
                .hasMessageContaining("HTTP 405");
    }

    /** Lists level 0 against a server that answers every request with {@code status} and an empty body. */
    private static void listAgainst(int status) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread answering = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                                StandardCharsets.ISO_8859_1));
                        for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
                            // the request's head; a listing has no body
                        }
                        OutputStream out = s.getOutputStream();
                        out.write(("HTTP/1.1 " + status + " Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    } catch (Exception e) {
                        // closed
                    }
                }
            }, "bodyless-" + status);
            answering.setDaemon(true);
            answering.start();
            try (S3ReplicaClient c = S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(
                    "s3://bkt/db?endpoint=http://127.0.0.1:" + server.getLocalPort() + "&forcePathStyle=true"), ENV), ENV)) {
                c.listFiles(0, 0, false);
            }
        }
    }
}
