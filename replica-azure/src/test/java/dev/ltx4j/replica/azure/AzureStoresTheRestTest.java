package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Field probes, round 7 (docs/field-probes.md, "Round 7: stores, the rest"). Azure refuses a shared-key request
 * whose x-ms-date is more than 15 minutes from its clock with 403 AuthenticationFailed ("Request date header too
 * old"), the code of a wrong key, and the message sent users to their keys; a proxy's error page was reported as the
 * service's. Azurite neither checks the time nor stands behind a proxy here, so a small server answers as Azure (or
 * a proxy) does.
 */
class AzureStoresTheRestTest {
    private static final ReplicaEnvironment ENV = ReplicaEnvironment.of(
            Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AzuriteServer.KEY));

    @Test
    void aServiceWhoseClockIsFortyMinutesAheadIsNamedAsTheClockNotTheKey() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread answering = new Thread(() -> answerAsASkewedService(server, Duration.ofMinutes(40), requests),
                    "skewed-azure");
            answering.setDaemon(true);
            answering.start();
            try (AzureReplicaClient c = client(server.getLocalPort())) {
                assertThatThrownBy(() -> c.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                        .hasMessageContaining("refused the request's time (HTTP 403")
                        .hasMessageContaining("this machine's clock is about 40 min")
                        .hasMessageContaining("behind the service's")
                        .hasMessageContaining("fix the clock")
                        .hasMessageNotContaining("access denied")
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(AzuriteServer.KEY));
            }
        }
        assertThat(requests.get()).as("a refusal is not retried").isEqualTo(1);
    }

    /** One answer for every request: the status line's code, extra header lines (each ending in CRLF) and a body. */
    record Answer(int status, String headers, byte[] body) {}

    @Test
    void aProxysErrorPageIsNamedAsNotTheServicesAnswer() throws Exception {
        byte[] page = "<html><head><title>403 Forbidden</title></head><body>nginx</body></html>"
                .getBytes(StandardCharsets.UTF_8);
        AtomicInteger requests = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread answering = new Thread(() -> answer(server, requests, () -> new Answer(403,
                    "Content-Type: text/html\r\nServer: nginx/1.25.3\r\n", page)), "proxy-page");
            answering.setDaemon(true);
            answering.start();
            try (AzureReplicaClient c = client(server.getLocalPort())) {
                assertThatThrownBy(() -> c.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                        .hasMessageContaining("(HTTP 403) [not an Azure Storage response: Server 'nginx/1.25.3',"
                                + " text/html; a proxy, load balancer or gateway");
            }
        }
    }

    private static AzureReplicaClient client(int port) throws Exception {
        return AzureReplicaClient.open(ReplicaUrl.parse("abs://" + AzuriteServer.ACCOUNT
                + "@bkt/db?endpoint=http://127.0.0.1:" + port + "/" + AzuriteServer.ACCOUNT), ENV);
    }

    private static void answerAsASkewedService(ServerSocket server, Duration ahead, AtomicInteger requests) {
        answer(server, requests, () -> {
            Instant now = Instant.now().plus(ahead);
            String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.atZone(ZoneOffset.UTC));
            byte[] body = ("\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code>"
                    + "<Message>Server failed to authenticate the request. Make sure the value of Authorization"
                    + " header is formed correctly including the signature.\nRequestId:probe\nTime:" + now
                    + "</Message><AuthenticationErrorDetail>Request date header too old: '"
                    + DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().atZone(ZoneOffset.UTC))
                    + "'</AuthenticationErrorDetail></Error>").getBytes(StandardCharsets.UTF_8);
            return new Answer(403, "Content-Type: application/xml\r\nx-ms-error-code: AuthenticationFailed\r\n"
                    + "x-ms-request-id: probe\r\nDate: " + date + "\r\n", body);
        });
    }

    private static void answer(ServerSocket server, AtomicInteger requests,
            java.util.function.Supplier<Answer> answers) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                        StandardCharsets.ISO_8859_1));
                String line = in.readLine();
                if (line == null) {
                    continue;
                }
                while ((line = in.readLine()) != null && !line.isEmpty()) {
                    // the request's head; a listing has no body
                }
                requests.incrementAndGet();
                Answer a = answers.get();
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 " + a.status() + " Refused\r\n" + a.headers() + "Content-Length: "
                        + a.body().length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(a.body());
                out.flush();
            } catch (Exception e) {
                // closed
            }
        }
    }
}
