package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.S3ProxyFixture.newStore;
import static dev.ltx4j.vfs.S3ProxyFixture.raw;
import static dev.ltx4j.vfs.S3ProxyFixture.start;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Credentials rotated under a writing VFS: the S3 server stops accepting the old key (S3Proxy restarted with another
 * identity on the same store and port), the sync fails and {@code PRAGMA litestream_last_error} says access was
 * denied; once the embedder's {@link AwsCredentialsProvider} hands out the new key, the same database syncs again and
 * nothing committed is lost.
 */
class S3CredentialRotationVfsTest {
    private static final String BUCKET = "rotation";

    @TempDir
    Path dir;

    @Test
    void syncsContinueAfterRotationAndRevokedCredentialsAreAClearError() throws Exception {
        BlobStore store = newStore();
        S3Proxy proxy = start(store, 0, "key-a", "secret-a-s3cr3t");
        int port = proxy.getPort();
        try (S3Client raw = raw(port, "key-a", "secret-a-s3cr3t")) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
        AtomicReference<AwsBasicCredentials> current =
                new AtomicReference<>(AwsBasicCredentials.create("key-a", "secret-a-s3cr3t"));
        String url = "s3://" + BUCKET + "/app.db?endpoint=http://127.0.0.1:" + port;
        ReplicaClient client = ReplicaClients.open(url,
                ReplicaEnvironment.of(Map.of()).with(AwsCredentialsProvider.class, current::get));
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(client, url).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("buffer")).register("rotation");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(dir.resolve("app.db")))) {
            Sql.exec(c, "create table t(x)", "insert into t values (1)");
            Sql.text(c, "select litestream_sync()");

            proxy.stop();
            proxy = start(store, port, "key-b", "secret-b-s3cr3t");
            Sql.exec(c, "insert into t values (2)");
            try {
                Sql.text(c, "select litestream_sync()");
            } catch (SQLException expected) {
                // the failed sync may be reported here as well as in the last error
            }
            String error = Sql.text(c, "pragma litestream_last_error");
            assertThat(error).contains("access denied to bucket '" + BUCKET + "'").contains("check the credentials")
                    .doesNotContain("secret-a-s3cr3t").doesNotContain("secret-b-s3cr3t");

            current.set(AwsBasicCredentials.create("key-b", "secret-b-s3cr3t"));
            Sql.exec(c, "insert into t values (3)");
            Sql.text(c, "select litestream_sync()");
        }
        try (S3Client raw = raw(port, "key-b", "secret-b-s3cr3t")) {
            assertThat(raw.listObjectsV2(b -> b.bucket(BUCKET).prefix("app.db/0000/")).contents()).isNotEmpty();
        }
        // A fresh reader over the replica sees every committed row.
        LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(client, url).register("rotation-reader");
        try (Connection r = DriverManager.getConnection(reader.jdbcUrl(dir.resolve("copy.db")))) {
            assertThat(Sql.number(r, "select sum(x) from t")).isEqualTo(6);
        } finally {
            client.close();
            proxy.stop();
        }
    }
}
