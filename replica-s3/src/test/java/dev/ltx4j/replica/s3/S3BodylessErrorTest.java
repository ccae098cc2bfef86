package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;
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
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

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

    /**
     * Environment keys whose session token expired (field probe round 4): S3 answers 403 ExpiredToken with the token
     * echoed in the body; the error says what expired and that environment keys are not renewed, without the token.
     */
    @Test
    void anExpiredSessionTokenFromTheEnvironmentSaysSoWithoutTheToken() throws Exception {
        String token = "FQoGZXIvYXdzEXPIREDs3ss10nT0k3n";
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", "ASIAPROBE",
                "AWS_SECRET_ACCESS_KEY", "probe-secret", "AWS_SESSION_TOKEN", token));
        String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>ExpiredToken</Code><Message>The provided"
                + " token has expired.</Message><Token-0>" + token + "</Token-0><RequestId>R</RequestId></Error>";
        assertThatThrownBy(() -> listAgainst(403, body, env)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageStartingWith("s3: the session token used for bucket 'bkt' has expired (HTTP 403, ExpiredToken)")
                .hasMessageContaining("temporary keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY with AWS_SESSION_TOKEN")
                .hasMessageContaining("not renewed while the process runs")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token).doesNotContain("probe-secret"))
                // environment keys never renew in this process: a close stops at once with this message (before,
                // "may renew" made it retry until its timeout, syncer WriteSide; docs/field-probes.md, round 8)
                .satisfies(e -> assertThat(((ReplicaPermanentException) e).credentialsMayRenew()).isFalse());
    }

    /**
     * Credentials from an embedder's AwsCredentialsProvider that hand out an expired token: the error names the
     * provider and says it must renew them, not "temporary keys from the environment ... restart" (it blamed the
     * environment whatever the source was).
     */
    @Test
    void anExpiredSessionTokenFromAProviderHookNamesTheHook() throws Exception {
        String token = "FQoGZXIvYXdzEXPIREDh00k";
        AwsCredentialsProvider hook = () -> AwsSessionCredentials.create("ASIAHOOK", "hook-secret", token);
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of()).with(AwsCredentialsProvider.class, hook);
        String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>ExpiredToken</Code><Message>The provided"
                + " token has expired.</Message><Token-0>" + token + "</Token-0><RequestId>R</RequestId></Error>";
        assertThatThrownBy(() -> listAgainst(403, body, env)).isInstanceOf(ReplicaPermanentException.class)
                .hasMessageStartingWith("s3: the session token used for bucket 'bkt' has expired (HTTP 403, ExpiredToken)")
                .hasMessageContaining("the credentials came from the configured credentials provider")
                .hasMessageContaining("must renew its credentials")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("environment").doesNotContain("restart")
                        .doesNotContain(token).doesNotContain("hook-secret"))
                // the provider may renew them: a close keeps retrying until its timeout (syncer WriteSide)
                .satisfies(e -> assertThat(((ReplicaPermanentException) e).credentialsMayRenew()).isTrue());
    }

    private static void listAgainst(int status) throws Exception {
        listAgainst(status, "", ENV);
    }

    /** Lists level 0 against a server that answers every request with {@code status} and {@code body}. */
    private static void listAgainst(int status, String body, ReplicaEnvironment env) throws Exception {
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
                        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                        out.write(("HTTP/1.1 " + status + " Whatever\r\nContent-Length: " + bytes.length
                                + (bytes.length > 0 ? "\r\nContent-Type: application/xml" : "")
                                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(bytes);
                        out.flush();
                    } catch (Exception e) {
                        // closed
                    }
                }
            }, "bodyless-" + status);
            answering.setDaemon(true);
            answering.start();
            try (S3ReplicaClient c = S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(
                    "s3://bkt/db?endpoint=http://127.0.0.1:" + server.getLocalPort() + "&forcePathStyle=true"), env), env)) {
                c.listFiles(0, 0, false);
            }
        }
    }
}
