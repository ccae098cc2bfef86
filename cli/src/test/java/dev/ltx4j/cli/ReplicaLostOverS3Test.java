package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.s3.S3ProxyServer;
import dev.ltx4j.syncer.DatabaseStatus;
import dev.ltx4j.vfs.LitestreamDatabase;
import dev.ltx4j.vfs.LitestreamVfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An S3 prefix emptied under a running writer (docs/field-probes.md, "Replica lost under a running writer"): the
 * writer (sqlite-jdbc through the VFS, in-process S3Proxy) uploads nothing onto the lost base and ends conflicted with
 * the reason in its status, so the prefix never holds an unrestorable file.
 */
@ExtendWith(S3ProxyServer.class)
class ReplicaLostOverS3Test {
    private static S3ProxyServer.Endpoint s3;

    @TempDir
    Path tmp;

    @BeforeAll
    static void credentials(S3ProxyServer.Endpoint endpoint) {
        s3 = endpoint;
        System.setProperty("aws.accessKeyId", endpoint.accessKey());
        System.setProperty("aws.secretAccessKey", endpoint.secretKey());
    }

    @AfterAll
    static void clearCredentials() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
    }

    @Test
    void anEmptiedPrefixIsRefusedNotReseededWithAnUnrestorableFile() throws Exception {
        String prefix = "replica-lost/db";
        String url = "s3://" + S3ProxyServer.BUCKET + "/" + prefix + "?endpoint=" + s3.uri()
                + "&region=us-east-1&forcePathStyle=true";
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .compaction(CompactionSettings.off()).syncInterval(Duration.ofHours(1))
                .bufferPath(Files.createDirectories(tmp.resolve("w")).resolve("buffer")).register("replica-lost-s3");
        try {
            Path db = tmp.resolve("app.db");
            try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db)); Statement s = c.createStatement()) {
                LitestreamDatabase handle = vfs.database(db);
                s.execute("CREATE TABLE t(x)");
                s.execute("INSERT INTO t VALUES (1)");
                handle.syncNow();
                assertThat(objects(prefix)).isPositive();
                try (S3Client raw = s3.rawClient()) { // the prefix emptied under the running writer
                    for (S3Object o : raw.listObjectsV2Paginator(b -> b.bucket(S3ProxyServer.BUCKET)
                            .prefix(prefix + "/")).contents()) {
                        raw.deleteObject(b -> b.bucket(S3ProxyServer.BUCKET).key(o.key()));
                    }
                }
                s.execute("INSERT INTO t VALUES (2)");
                DatabaseStatus st = handle.status();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (st.conflict() == null && System.nanoTime() < deadline) {
                    try {
                        handle.syncNow();
                    } catch (SQLException e) {
                        // withheld (transient) until the loss is confirmed, then refused
                    }
                    assertThat(objects(prefix)).as("nothing uploaded onto the lost base").isZero();
                    Thread.sleep(500);
                    st = handle.status();
                }
                assertThat(st.conflict()).as("refused as a lost replica").isNotNull();
                assertThat(st.lastError()).contains("lost TXID").contains(prefix)
                        .doesNotContain(s3.secretKey());
                assertThat(st.conflict().savedTo()).exists();
                assertThat(objects(prefix)).isZero();
            }
        } finally {
            vfs.unregister();
        }
        try (ReplicaClient c = ReplicaClients.open(url)) {
            assertThat(c.listFiles(0, 0, false)).isEmpty();
        }
    }

    private static int objects(String prefix) {
        try (S3Client raw = s3.rawClient()) {
            return raw.listObjectsV2(b -> b.bucket(S3ProxyServer.BUCKET).prefix(prefix + "/")).keyCount();
        }
    }
}
