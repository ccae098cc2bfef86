package dev.ltx4j.vfs;

import dev.ltx4j.vfs.testing.ReferenceExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Live interop with the reference extension (npm litestream-vfs-linux-amd64@0.5.17 in the system sqlite3): it
 * follows a replica we are writing, and we follow a replica it writes.
 */
class ReferenceInteropLiveTest {
    private static final String SUMMARY = "select count(*) || '|' || sum(length(v)) || '|' || max(id) from t";
    private static Path extension;

    @TempDir
    Path dir;

    @BeforeAll
    static void install() throws Exception {
        extension = ReferenceExtension.install();
    }

    /** A sqlite3 CLI with the reference extension, fed line by line (stdout line-buffered through stdbuf). */
    private static final class RefShell implements AutoCloseable {
        final Process p;
        final BufferedReader out;
        final OutputStream in;

        RefShell(Path cwd, Map<String, String> env, String db) throws Exception {
            ProcessBuilder pb = new ProcessBuilder(List.of("stdbuf", "-oL", "/usr/bin/sqlite3")).directory(cwd.toFile())
                    .redirectError(cwd.resolve("ref-" + System.nanoTime() + ".err").toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("LITESTREAM_"));
            pb.environment().putAll(env);
            pb.environment().put("LITESTREAM_LOG_FILE", cwd.resolve("ref.log").toString()); // keep stdout for rows
            p = pb.start();
            out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            in = p.getOutputStream();
            send(".load '" + extension + "' sqlite3_litestreamvfs_init");
            send(".open 'file:" + db + "?vfs=litestream'");
        }

        void send(String line) throws Exception {
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        String query(String sql) throws Exception {
            send(sql + ";");
            java.util.concurrent.CompletableFuture<String> line = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try {
                return line.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                p.destroyForcibly();
                throw new AssertionError("the reference sqlite3 printed nothing for: " + sql, e);
            }
        }

        @Override
        public void close() throws Exception {
            send(".quit");
            in.close();
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
        }
    }

    @Test
    void referenceFollowsAReplicaWeAreWriting() throws Exception {
        String url = dir.resolve("ours").toUri().toString();
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .syncInterval(Duration.ofMillis(50)).bufferPath(dir.resolve("ours-buffer")).register("interopw");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(dir.resolve("ours.db")))) {
            exec(c, "create table t(id integer primary key, v text)");
            exec(c, "insert into t(v) select printf('%0*d', value % 500, value) from " + Sql.series(200));
            text(c, "select litestream_sync()");
            try (RefShell ref = new RefShell(dir, Map.of("LITESTREAM_REPLICA_URL", url), "ref-follower.db")) {
                assertThat(ref.query(SUMMARY)).isEqualTo(text(c, SUMMARY));
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < 20; i++) exec(c, "insert into t(v) values ('" + "z".repeat(round * 100 + i) + "')");
                    exec(c, "delete from t where id % 17 = " + round);
                    text(c, "select litestream_sync()");
                    String expected = text(c, SUMMARY);
                    String seen = ref.query(SUMMARY);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                    while (!expected.equals(seen) && System.nanoTime() < deadline) {
                        Thread.sleep(200); // the reference polls once a second
                        seen = ref.query(SUMMARY);
                    }
                    assertThat(seen).as("round " + round).isEqualTo(expected);
                }
                assertThat(ref.query("pragma integrity_check")).isEqualTo("ok");
            }
        }
    }

    /**
     * Each reference write runs in a fresh sqlite3 process: the reference cannot read its own pages back after a
     * sync within one connection (flaw W1 in docs/reference-flaws.md, "database disk image is malformed"), so it
     * writes, syncs on exit, and our
     * follower connection, open all along, must catch up with every round.
     */
    @Test
    void weFollowAReplicaTheReferenceWrites() throws Exception {
        Path replica = dir.resolve("theirs");
        String url = replica.toUri().toString();
        Map<String, String> env = HostFixture.baseEnvironment();
        env.putAll(Map.of("LITESTREAM_REPLICA_URL", url, "LITESTREAM_WRITE_ENABLED", "true",
                "LITESTREAM_SYNC_INTERVAL", "100ms", "LITESTREAM_BUFFER_PATH", dir.resolve("ref-buffer").toString(),
                "LITESTREAM_LOG_FILE", dir.resolve("ref.log").toString()));
        String open = ".load '" + extension + "' sqlite3_litestreamvfs_init\n.open 'file:ref-writer.db?vfs=litestream'\n";
        HostFixture.Result first = HostFixture.run(HostFixture.cmd("/usr/bin/sqlite3"), env, open
                + "create table t(id integer primary key, v text);\ninsert into t(v) values ('a'), ('bb'), ('ccc');\n"
                + SUMMARY + ";\n", dir);
        assertThat(first.err()).isEmpty();
        LitestreamVfs.Registration follower = LitestreamVfs.builder().replica(url)
                .pollInterval(Duration.ofMillis(50)).register("interopr");
        try (Connection c = DriverManager.getConnection(follower.jdbcUrl(dir.resolve("follower.db")))) {
            awaitSummary(c, first.out().strip());
            for (int i = 0; i < 3; i++) {
                HostFixture.Result round = HostFixture.run(HostFixture.cmd("/usr/bin/sqlite3"), env, open
                        + "insert into t(v) select v || v from t where id <= 3;\n" + SUMMARY + ";\n", dir);
                assertThat(round.err()).isEmpty();
                awaitSummary(c, round.out().strip());
            }
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(text(c, "select count(*) from t")).isEqualTo("12");
        }
    }

    private static void awaitSummary(Connection c, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        String seen = text(c, SUMMARY);
        while (!expected.equals(seen) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            seen = text(c, SUMMARY);
        }
        assertThat(seen).isEqualTo(expected);
    }
}
