package dev.ltx4j.vfs;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.s3.S3ProxyServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Long uptimes: engines opened and closed thousands of times (each last connection closes its engine; pools churn
 * connections) must leave no file descriptor and no thread behind, in write and read mode, on file:// and S3
 * (field probe, issue 14 round: held). Counts open descriptors in {@code /proc/self/fd} (Linux only) and live
 * {@code ltx4j-} threads; heap and native memory were measured by hand (docs/field-probes.md).
 */
@ExtendWith(S3ProxyServer.class)
class LongUptimeLeakTest {
    private static S3ProxyServer.Endpoint s3;

    @TempDir
    Path dir;

    @BeforeAll
    static void bucket(S3ProxyServer.Endpoint endpoint) {
        s3 = endpoint;
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(b -> b.bucket("leaks"));
        }
    }

    @Test
    void fileReplicaEnginesOpenedAndClosedLeaveNothingBehind() throws Exception {
        churn(dir.resolve("replica").toUri().toString(), ReplicaEnvironment.system(), 300);
    }

    @Test
    void s3ReplicaEnginesOpenedAndClosedLeaveNothingBehind() throws Exception {
        // An S3 engine's open and final sync cost ~0.2-0.3 s here. Under CI load the S3 pools still grew after cycle
        // 30 (164 -> 170 descriptors by 50; flat from 90 to 150), so 100 cycles take the warm count at 60.
        churn("s3://leaks/app.db?endpoint=" + s3.uri() + "&forcePathStyle=true", ReplicaEnvironment.of(
                Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey())), 100);
    }

    private void churn(String url, ReplicaEnvironment env, int cycles) throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd (Linux) to count descriptors");
        Path db = dir.resolve("app.db");
        LitestreamVfs.Registration writer = LitestreamVfs.builder().replica(url).replicaEnvironment(env)
                .writeEnabled(true).bufferPath(dir.resolve("buffer")).syncInterval(Duration.ofMillis(20))
                .register("leak-writer");
        LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(url).replicaEnvironment(env)
                .pollInterval(Duration.ofMillis(20)).register("leak-reader");
        try {
            try (Connection c = writer.connect(db)) {
                exec(c, "create table t(x)");
            }
            long[] warm = null;
            for (int i = 1; i <= cycles; i++) {
                try (Connection c = writer.connect(db)) { // the engine opens, commits, syncs at close, closes
                    exec(c, "insert into t values (randomblob(200))");
                }
                try (Connection c = reader.connect(dir.resolve("follower.db"))) {
                    assertThat(number(c, "select count(*) from t")).isPositive();
                }
                if (i == cycles * 3 / 5) { // warm: classes loaded lazily open their jars, the S3 pools fill (S3 plateaus by ~30)
                    warm = census(db);
                }
            }
            long[] end = census(db);
            assertThat(end[0]).as("open descriptors after %d more cycles (warm: %d)", cycles * 2 / 5, warm[0])
                    .isLessThanOrEqualTo(warm[0] + 4);
            assertThat(end[1]).as("live ltx4j threads with no engine open").isZero();
            // A pool churning its connections (HikariCP's maxLifetime retiring them; softEvict does it at once).
            HikariConfig config = new HikariConfig();
            config.setDataSource(writer.dataSource(db));
            config.setMaximumPoolSize(3);
            config.setMinimumIdle(0);
            try (HikariDataSource pool = new HikariDataSource(config)) {
                for (int i = 1; i <= cycles; i++) {
                    try (Connection c = pool.getConnection()) {
                        exec(c, "insert into t values (1)");
                    }
                    pool.getHikariPoolMXBean().softEvictConnections();
                    if (i == cycles * 3 / 5) { // warm: classes loaded lazily open their jars, the S3 pools fill (S3 plateaus by ~30)
                        warm = census(db);
                    }
                }
                assertThat(census(db)[0]).as("descriptors under pool churn (warm: %d)", warm[0])
                        .isLessThanOrEqualTo(warm[0] + 4);
            }
            assertThat(census(db)[1]).as("live ltx4j threads after the pool closed").isZero();
            try (Connection c = writer.connect(db)) {
                assertThat(number(c, "select count(*) from t")).isEqualTo(2L * cycles);
                text(c, "select litestream_sync()");
            }
        } finally {
            writer.unregister();
            reader.unregister();
        }
    }

    /**
     * Open descriptors and live engine threads of {@code db} (named after its path: other tests of this JVM may keep
     * engines of their own), after letting closed pools and finished threads go.
     */
    private static long[] census(Path db) throws IOException, InterruptedException {
        long threads = 0;
        for (int tries = 0; tries < 50; tries++) { // a finished executor's worker may still be on its way out
            threads = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                    .filter(t -> t.getName().startsWith("ltx4j-") && t.getName().contains(db.toString())).count();
            if (threads == 0) {
                break;
            }
            Thread.sleep(20);
        }
        // The fewest of ten looks 20 ms apart: a pool's connection that is still closing (HikariCP retires them on its
        // own thread) holds its engine's descriptors for a moment; a leaked descriptor is there in every look.
        long fewest = Long.MAX_VALUE;
        for (int look = 0; look < 10; look++) {
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                fewest = Math.min(fewest, fds.count());
            }
            Thread.sleep(20);
        }
        return new long[] {fewest, threads};
    }
}
