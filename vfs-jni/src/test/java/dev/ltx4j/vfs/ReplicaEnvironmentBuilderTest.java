package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.replica.ReplicaEnvironment;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.Constants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@link LitestreamVfsBuilder#replicaEnvironment}: a Java user hands an {@link AwsCredentialsProvider} to a VFS
 * configured by URL, without building a replica client; the keys exist only in that provider.
 */
class ReplicaEnvironmentBuilderTest {
    private static final String BUCKET = "hooked";
    private static final String ID = "hook-key";
    private static final String SECRET = "hook-s3cr3t";

    @TempDir
    Path dir;

    /** Keys in the process environment win over the hook (docs/credentials.md); then this test proves nothing. */
    private static boolean processHasAwsKeys() {
        return System.getenv("AWS_ACCESS_KEY_ID") != null || System.getenv("AWS_SECRET_ACCESS_KEY") != null
                || System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != null
                || System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != null
                || System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != null;
    }

    @Test
    void aUrlConfiguredVfsSyncsWithKeysFromTheEnvironmentsHook() throws Exception {
        assumeTrue(!processHasAwsKeys());
        S3Proxy proxy = start(newStore());
        int port = proxy.getPort();
        try {
            try (S3Client raw = raw(port)) {
                raw.createBucket(b -> b.bucket(BUCKET));
            }
            AtomicInteger asked = new AtomicInteger();
            AwsCredentialsProvider hook = () -> {
                asked.incrementAndGet();
                return AwsBasicCredentials.create(ID, SECRET);
            };
            String url = "s3://" + BUCKET + "/app.db?endpoint=http://127.0.0.1:" + port + "&region=us-east-1";
            LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url)
                    .replicaEnvironment(ReplicaEnvironment.system().with(AwsCredentialsProvider.class, hook))
                    .writeEnabled(true).syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("buffer"))
                    .register("hooked");
            try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(dir.resolve("app.db")))) {
                Sql.exec(c, "create table t(x)", "insert into t values (41)");
                Sql.text(c, "select litestream_sync()");
                assertThat(Sql.text(c, "pragma litestream_last_error")).isNullOrEmpty();
            }
            assertThat(asked.get()).isPositive();
            try (S3Client raw = raw(port)) {
                assertThat(raw.listObjectsV2(b -> b.bucket(BUCKET).prefix("app.db/0000/")).contents()).isNotEmpty();
            }
        } finally {
            proxy.stop();
        }
    }

    private static BlobStore newStore() {
        Properties properties = new Properties();
        properties.setProperty(Constants.PROPERTY_IDENTITY, "");
        properties.setProperty(Constants.PROPERTY_CREDENTIAL, "");
        return BlobStores.create("transient", properties);
    }

    private static S3Proxy start(BlobStore store) throws Exception {
        S3Proxy proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ID, SECRET).build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!proxy.getState().equals("STARTED")) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("S3Proxy did not start");
            Thread.onSpinWait();
        }
        return proxy;
    }

    private static S3Client raw(int port) {
        return S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + port)).region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ID, SECRET)))
                .httpClient(software.amazon.awssdk.http.apache5.Apache5HttpClient.create()).build();
    }
}
