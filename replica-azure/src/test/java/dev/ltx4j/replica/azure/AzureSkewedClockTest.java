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
 * Field probes, round 7 (docs/field-probes.md, "Round 7: stores, the rest"): Azure refuses a shared-key request
 * whose x-ms-date is more than 15 minutes from its clock with 403 AuthenticationFailed ("Request date header too
 * old"), the code of a wrong key, and the message sent users to their keys. Azurite does not check the time, so a
 * small server answers as Azure does, with its Date header 40 minutes ahead. The message now names the clock.
 */
class AzureSkewedClockTest {
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
            try (AzureReplicaClient c = AzureReplicaClient.open(ReplicaUrl.parse("abs://" + AzuriteServer.ACCOUNT
                    + "@bkt/db?endpoint=http://127.0.0.1:" + server.getLocalPort() + "/" + AzuriteServer.ACCOUNT), ENV)) {
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

    private static void answerAsASkewedService(ServerSocket server, Duration ahead, AtomicInteger requests) {
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
                Instant now = Instant.now().plus(ahead);
                String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.atZone(ZoneOffset.UTC));
                byte[] body = ("\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code>"
                        + "<Message>Server failed to authenticate the request. Make sure the value of Authorization"
                        + " header is formed correctly including the signature.\nRequestId:probe\nTime:" + now
                        + "</Message><AuthenticationErrorDetail>Request date header too old: '"
                        + DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().atZone(ZoneOffset.UTC))
                        + "'</AuthenticationErrorDetail></Error>").getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 403 Server failed to authenticate the request.\r\nContent-Type: application/xml"
                        + "\r\nx-ms-error-code: AuthenticationFailed\r\nDate: " + date + "\r\nContent-Length: "
                        + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            } catch (Exception e) {
                // closed
            }
        }
    }
}
