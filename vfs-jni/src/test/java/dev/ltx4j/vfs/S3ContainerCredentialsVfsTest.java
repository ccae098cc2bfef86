package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.S3ProxyFixture.newStore;
import static dev.ltx4j.vfs.S3ProxyFixture.raw;
import static dev.ltx4j.vfs.S3ProxyFixture.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An IAM role through the container credentials endpoint (ECS, EKS Pod Identity), as a production writer meets it:
 * the AWS SDK default chain (no keys anywhere) fetches temporary credentials with an {@code Expiration} from a local
 * endpoint ({@code aws.containerCredentialsFullUri}, the system property of
 * {@code AWS_CONTAINER_CREDENTIALS_FULL_URI}); the role's keys rotate while the engine keeps writing with its own
 * background syncs, and the engine must pick the new ones up without a restart.
 */
class S3ContainerCredentialsVfsTest {
    private static final String BUCKET = "role";
    private static final List<String> PROPERTIES = List.of("aws.accessKeyId", "aws.secretAccessKey",
            "aws.sessionToken", "aws.sharedCredentialsFile", "aws.configFile", "aws.profile",
            "aws.containerCredentialsFullUri", "aws.containerCredentialsPath", "aws.disableEc2Metadata");

    @TempDir
    Path dir;
    private final Properties saved = new Properties();
    private ServerSocket endpoint;
    /** The role's keys and how long each answer is valid; the Expiration is computed per answer, as a real endpoint. */
    private final AtomicReference<Role> served = new AtomicReference<>();

    private record Role(String id, String secret, Duration valid) {
        String json() {
            return "{\"AccessKeyId\":\"" + id + "\",\"SecretAccessKey\":\"" + secret + "\",\"Expiration\":\""
                    + Instant.now().plus(valid).truncatedTo(ChronoUnit.SECONDS) + "\"}";
        }
    }
    private final AtomicInteger fetches = new AtomicInteger();

    @BeforeEach
    void isolateTheChain() throws IOException {
        for (String p : PROPERTIES) {
            if (System.getProperty(p) != null) saved.setProperty(p, System.getProperty(p));
            System.clearProperty(p);
        }
        System.setProperty("aws.sharedCredentialsFile", dir.resolve("no-credentials").toString());
        System.setProperty("aws.configFile", dir.resolve("no-config").toString());
        System.setProperty("aws.disableEc2Metadata", "true");
        endpoint = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread server = new Thread(this::serveRequests, "container-credentials-endpoint");
        server.setDaemon(true);
        server.start();
        System.setProperty("aws.containerCredentialsFullUri",
                "http://127.0.0.1:" + endpoint.getLocalPort() + "/role");
    }

    @AfterEach
    void restore() throws IOException {
        endpoint.close();
        for (String p : PROPERTIES) System.clearProperty(p);
        saved.forEach((k, v) -> System.setProperty((String) k, (String) v));
    }

    private static boolean processHasAwsSettings() {
        return System.getenv("AWS_ACCESS_KEY_ID") != null || System.getenv("LITESTREAM_ACCESS_KEY_ID") != null
                || System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != null
                || System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != null
                || System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != null || System.getenv("AWS_PROFILE") != null;
    }

    /** One answer per connection (HTTP/1.1 with Connection: close), the keys {@link #serve} set last. */
    private void serveRequests() {
        while (!endpoint.isClosed()) {
            try (Socket s = endpoint.accept()) {
                InputStream in = s.getInputStream();
                int a = 0, b = 0, c = 0, d;
                while ((d = in.read()) >= 0 && !(a == '\r' && b == '\n' && c == '\r' && d == '\n')) {
                    a = b;
                    b = c;
                    c = d;
                }
                fetches.incrementAndGet();
                byte[] body = served.get().json().getBytes(StandardCharsets.UTF_8);
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // closed at the end of the test, or a client that went away
            }
        }
    }

    /** The role's current keys, each answer valid for {@code valid} (the SDK refreshes a minute before expiry). */
    private void serve(String id, String secret, Duration valid) {
        served.set(new Role(id, secret, valid));
    }

    @Test
    void rotatedRoleCredentialsArePickedUpByTheRunningEngine() throws Exception {
        assumeTrue(!processHasAwsSettings());
        BlobStore store = newStore();
        S3Proxy proxy = start(store, 0, "role-key-a", "role-secret-a-s3cr3t");
        int port = proxy.getPort();
        try (S3Client raw = raw(port, "role-key-a", "role-secret-a-s3cr3t")) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
        // Keys that are about to expire: stale a few seconds after each fetch, so the SDK keeps fetching again.
        serve("role-key-a", "role-secret-a-s3cr3t", Duration.ofSeconds(64));
        String url = "s3://" + BUCKET + "/app.db?endpoint=http://127.0.0.1:" + port;
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .syncInterval(Duration.ofMillis(200)).bufferPath(dir.resolve("buffer")).register("container-role");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(dir.resolve("app.db")))) {
            Sql.exec(c, "create table t(x)", "insert into t values (1)");
            Sql.text(c, "select litestream_sync()");
            int before = fetches.get();
            assertThat(before).isPositive();

            // The role's keys rotate: the store now accepts only B, the endpoint hands out B.
            proxy.stop();
            proxy = start(store, port, "role-key-b", "role-secret-b-s3cr3t");
            serve("role-key-b", "role-secret-b-s3cr3t", Duration.ofHours(6));
            for (int i = 2; i <= 10; i++) {
                Sql.exec(c, "insert into t values (" + i + ")");
            }
            // No explicit sync: the engine's own syncs must get there once the SDK refreshed the role's keys.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String status = Sql.text(c, "select litestream_status()");
            while (!status.contains("\"pending_commits\":0,") && System.nanoTime() < deadline) {
                Thread.sleep(200);
                status = Sql.text(c, "select litestream_status()");
            }
            assertThat(status).contains("\"pending_commits\":0,");
            assertThat(fetches.get()).isGreaterThan(before);
            assertThat(status).doesNotContain("role-secret-a-s3cr3t").doesNotContain("role-secret-b-s3cr3t");
        } finally {
            vfs.unregister();
        }
        LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(url).register("container-role-reader");
        try (Connection r = DriverManager.getConnection(reader.jdbcUrl(dir.resolve("copy.db")))) {
            assertThat(Sql.number(r, "select sum(x) from t")).isEqualTo(55);
        } finally {
            reader.unregister();
            proxy.stop();
        }
    }
}
