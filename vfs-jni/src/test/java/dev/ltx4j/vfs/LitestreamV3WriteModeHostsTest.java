package dev.ltx4j.vfs;

import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.s3.S3ProxyServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Round 9 (leftovers, docs/field-probes.md): a write-mode open of a Litestream v0.3 replica (only
 * {@code generations/...} under the prefix) went on as an empty database, and the first commit started a v0.5 chain
 * beside the old data. Through JDBC, the sqlite3 CLI and Debian's python3 against S3Proxy: refused naming the URL,
 * the layout and what to do; no key written. The generations listing is made only when the prefix holds no LTX file.
 */
@ExtendWith(S3ProxyServer.class)
class LitestreamV3WriteModeHostsTest {
    private static final String BUCKET = "oldbucket";
    private static S3ProxyServer.Endpoint s3;

    @TempDir
    Path root;

    @BeforeAll
    static void bucket(S3ProxyServer.Endpoint endpoint) {
        s3 = endpoint;
        try (S3Client raw = s3.rawClient()) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
    }

    private static String url(String prefix) {
        return "s3://" + BUCKET + "/" + prefix + "?endpoint=" + s3.uri() + "&forcePathStyle=true";
    }

    private static Map<String, String> keys() {
        return Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(), "AWS_SECRET_ACCESS_KEY", s3.secretKey());
    }

    /** Litestream v0.3's layout under {@code prefix}: a snapshot and a WAL segment of one generation. */
    private static void v3Layout(String prefix) {
        try (S3Client raw = s3.rawClient()) {
            for (String k : List.of("generations/a1b2c3d4e5f60718/snapshots/00000000.snapshot.lz4",
                    "generations/a1b2c3d4e5f60718/wal/00000000/00000000.wal.lz4")) {
                raw.putObject(b -> b.bucket(BUCKET).key(prefix + "/" + k), RequestBody.fromBytes(new byte[] {4}));
            }
        }
    }

    private static List<String> rawKeys(String prefix) {
        try (S3Client raw = s3.rawClient()) {
            return raw.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix + "/")).contents().stream()
                    .map(S3Object::key).sorted().toList();
        }
    }

    /** An S3 client that counts the generations question (its store requests are counted by the client itself). */
    private static final class Asking extends ForwardingReplicaClient {
        final AtomicInteger asked = new AtomicInteger();

        Asking(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public boolean holdsLitestreamV3Generations() throws ReplicaException {
            asked.incrementAndGet();
            return super.holdsLitestreamV3Generations();
        }

        long requests() {
            return storeRequests().orElseThrow().total();
        }
    }

    /** Store requests of one write-mode open (JDBC connect), before any statement. */
    private long openRequests(Asking client, String url, Path db) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(client, url).writeEnabled(true)
                .bufferPath(root.resolve("buffer-" + Math.abs(url.hashCode()))).syncInterval(Duration.ofHours(1))
                .register("v3-write-" + Math.abs(url.hashCode()));
        try {
            long before = client.requests();
            try (Connection c = vfs.connect(db)) {
                long opened = client.requests() - before;
                Sql.exec(c, "create table if not exists t(v)", "insert into t values (1)");
                return opened;
            }
        } finally {
            vfs.unregister();
        }
    }

    @Test
    void jdbcWriteOpenOfAV3ReplicaIsRefusedAndOnlyEmptyPrefixesPayTheListing() throws Exception {
        ReplicaEnvironment env = ReplicaEnvironment.of(keys());
        // An empty prefix (a new database) and a replica with files: what a write-mode open costs.
        String fresh = url("fresh");
        Asking first = new Asking(ReplicaClients.open(fresh, env));
        long emptyOpen = openRequests(first, fresh, root.resolve("fresh.db"));
        Asking second = new Asking(ReplicaClients.open(fresh, env));
        long filesOpen = openRequests(second, fresh, root.resolve("fresh.db"));
        System.out.printf("write-mode open requests: empty prefix %d, replica with files %d; generations asked %d"
                + " and %d%n", emptyOpen, filesOpen, first.asked.get(), second.asked.get());
        assertThat(second.asked.get()).as("a replica with files never pays the generations listing").isZero();
        assertThat(first.asked.get()).as("an empty prefix asks once").isEqualTo(1);

        v3Layout("old");
        List<String> before = rawKeys("old");
        String old = url("old");
        Asking v3 = new Asking(ReplicaClients.open(old, env));
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(v3, old).writeEnabled(true)
                .bufferPath(root.resolve("old.buffer")).register("v3-write-jdbc");
        try {
            long start = v3.requests();
            assertThatThrownBy(() -> {
                try (Connection c = vfs.connect(root.resolve("app.db"))) {
                    Sql.exec(c, "create table t(v)", "insert into t values (1)");
                }
            }).isInstanceOf(SQLException.class)
                    .satisfies(e -> System.out.println("refusal: " + e.getMessage()))
                    .hasMessageContaining("s3://" + BUCKET + "/old")
                    .hasMessageContaining("it is a Litestream v0.3 replica")
                    .hasMessageContaining("Restore it with Litestream v0.3")
                    .hasMessageContaining("point this writer at an empty prefix");
            System.out.printf("refused write-mode open requests: %d%n", v3.requests() - start);
        } finally {
            vfs.unregister();
        }
        assertThat(rawKeys("old")).as("nothing written to the v0.3 replica").isEqualTo(before);
    }

    private Map<String, String> hostEnv(String prefix) throws Exception {
        Map<String, String> env = new HashMap<>(HostFixture.baseEnvironment());
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("LITESTREAM_REPLICA_URL", url(prefix));
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.put("LITESTREAM_BUFFER_PATH", root.resolve(prefix + ".buffer").toString());
        env.putAll(keys());
        return env;
    }

    private void dist() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3) && Files.isExecutable(PYTHON3), "needs /usr/bin/sqlite3 and python3");
        HostFixture.create(root, false);
        Files.move(root.resolve("dist-nojars"), root.resolve("dist"));
    }

    @Test
    void sqlite3AndPythonWriteOpensOfAV3ReplicaAreRefused() throws Exception {
        dist();
        v3Layout("cli");
        List<String> before = rawKeys("cli");
        HostFixture.Result cli = run(cmd(SQLITE3), hostEnv("cli"), SeedExamples.CLI_CREATE_SESSION, root);
        System.out.println("sqlite3: " + cli.err());
        // The CLI goes on after a failed .open in an in-memory database (no -bail): the refusal and the bucket tell.
        assertThat(cli.err()).contains("s3://" + BUCKET + "/cli").contains("it is a Litestream v0.3 replica")
                .contains("point this writer at an empty prefix");
        assertThat(rawKeys("cli")).isEqualTo(before);

        v3Layout("py");
        before = rawKeys("py");
        Path app = root.resolve("app.py");
        Files.writeString(app, SeedExamples.PYTHON_APP);
        HostFixture.Result py = run(cmd(PYTHON3, app), hostEnv("py"), "", root);
        System.out.println("python3: " + py.err());
        assertThat(py.exit()).isNotZero();
        assertThat(py.out()).doesNotContain("Application started");
        assertThat(py.err()).contains("sqlite3.OperationalError").contains("s3://" + BUCKET + "/py")
                .contains("it is a Litestream v0.3 replica").contains("Restore it with Litestream v0.3");
        assertThat(rawKeys("py")).isEqualTo(before);
    }
}
