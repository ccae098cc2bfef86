package dev.ltx4j.vfs;

import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.s3.S3ProxyServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Field probe round 4: a script (sqlite3, python) that exits with commits pending ({@code sync_interval=1h}) while
 * the S3 endpoint stopped answering waited 36 s (a request waiting out the 30 s request timeout) and said nothing.
 * Now its close waits at most 5 s (docs/host-exit.md) and one stderr line names the database, how many transactions
 * stay in which buffer, and that the next open uploads them; the next open does. The exit bound asserted is a loose
 * correctness limit (20 s: four times the bound, and under the old 36 s), not a benchmark.
 */
@ExtendWith(S3ProxyServer.class)
class ExitWithUnreachableReplicaTest {
    private static final long EXIT_LIMIT_MILLIS = 20_000;

    @TempDir
    static Path root;
    static HostFixture dist;
    static S3ProxyServer.Endpoint s3;

    @BeforeAll
    static void layout(S3ProxyServer.Endpoint endpoint) throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        dist = HostFixture.create(root, true);
        s3 = endpoint;
    }

    private Map<String, String> env(Path buffer, String url) throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.keySet().removeIf(k -> k.startsWith("AWS_"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("LITESTREAM_REPLICA_URL", url);
        env.put("LITESTREAM_BUFFER_PATH", buffer.toString());
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.put("AWS_ACCESS_KEY_ID", s3.accessKey());
        env.put("AWS_SECRET_ACCESS_KEY", s3.secretKey());
        return env;
    }

    private static String url(String name, int port) {
        return "s3://" + S3ProxyServer.BUCKET + "/" + name + "-" + System.nanoTime() + "/app.db?endpoint=http://127.0.0.1:"
                + port + "&forcePathStyle=true";
    }

    /** What a run that exits with kept commits shows, and how long its exit took once the store went silent. */
    private record Exit(int status, String err, long millis) {
    }

    /**
     * Runs {@code command} (stdin {@code script}), which commits, touches {@code ready} and waits for {@code go};
     * silences the store in between, then times the exit.
     */
    private static Exit exitWhileSilent(List<String> command, Map<String, String> env, String script, Path dir,
            SilencingProxy proxy) throws Exception {
        Path err = dir.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.redirectOutput(dir.resolve("out.txt").toFile()).redirectError(err.toFile());
        Process p = pb.start();
        p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        for (int i = 0; i < 1200 && !Files.exists(dir.resolve("ready")); i++) {
            if (!p.isAlive()) break;
            Thread.sleep(50);
        }
        assertThat(dir.resolve("ready")).as("the script committed (stderr: %s)", Files.readString(err)).exists();
        proxy.silence();
        long t0 = System.nanoTime();
        Files.createFile(dir.resolve("go"));
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("no exit within 120 s: " + command);
        }
        return new Exit(p.exitValue(), Files.readString(err), (System.nanoTime() - t0) / 1_000_000);
    }

    private static void assertKept(Exit exit, Path buffer) {
        System.out.printf("exit with a silent store: %d ms, stderr: %s%n", exit.millis(), exit.err().strip());
        assertThat(exit.millis()).as("exit time bound").isLessThan(EXIT_LIMIT_MILLIS);
        assertThat(exit.err().lines().filter(l -> l.contains("not on the replica"))).hasSize(1);
        assertThat(exit.err()).contains("\"" + buffer.getParent().resolve("app.db") + "\"")
                .contains("2 committed transaction(s) not on the replica")
                .contains("write buffer " + buffer)
                .contains("the next open of this database uploads them");
    }

    /** The next open's sync returned a TXID past the first sync's and the replica alone holds both kept rows. */
    private void assertSynced(HostFixture.Result next, String url, Path dir) throws Exception {
        assertThat(next.err()).isEmpty();
        assertThat(next.out().lines()).hasSize(2).last().isEqualTo("2");
        assertThat(next.out().lines().findFirst().orElseThrow()).isNotEqualTo("0000000000000001");
        Path restored = dir.resolve("restored.db");
        Replicas.restore(url, ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(),
                "AWS_SECRET_ACCESS_KEY", s3.secretKey())), restored);
        try (Connection c = Sql.plain(restored)) {
            assertThat(Sql.number(c, "select count(*) from t")).isEqualTo(2);
        }
    }

    @Test
    void sqlite3ExitsWithinTheBoundNamingTheKeptCommitsAndTheNextOpenSyncsThem() throws Exception {
        Path dir = Files.createDirectories(root.resolve("cli"));
        Path buffer = dir.resolve("buffer");
        try (SilencingProxy proxy = new SilencingProxy(s3.uri().getPort())) {
            String url = url("cli", proxy.port());
            String load = ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                    + ".open file:" + dir.resolve("app.db") + "?vfs=litestream&sync_interval=1h\n";
            Exit exit = exitWhileSilent(cmd(SQLITE3, "-batch"), env(buffer, url), load
                    + "create table t(x);\nselect litestream_sync();\n"
                    + "insert into t values (1);\ninsert into t values (2);\n"
                    + ".system sh -c 'touch ready; while [ ! -e go ]; do sleep 0.05; done'\n", dir, proxy);
            assertThat(exit.status()).as("sqlite3's exit status; stderr: %s", exit.err()).isZero();
            assertKept(exit, buffer);

            proxy.resume();
            HostFixture.Result next = run(cmd(SQLITE3, "-batch"), env(buffer, url), load
                    + "select litestream_sync();\nselect count(*) from t;\n", dir);
            assertSynced(next, url, dir);
        }
    }

    @Test
    void pythonExitsWithinTheBoundNamingTheKeptCommitsAndTheNextOpenSyncsThem() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        Path dir = Files.createDirectories(root.resolve("python"));
        Path buffer = dir.resolve("buffer");
        Path app = dir.resolve("app.py");
        Files.writeString(app, "import os, sqlite3, sys, time\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "db = sqlite3.connect('file:app.db?vfs=litestream&sync_interval=1h', uri=True, isolation_level=None)\n"
                + "if sys.argv[2] == 'first':\n"
                + "    db.execute('create table t(x)')\n"
                + "    db.execute('select litestream_sync()').fetchone()\n"
                + "    db.execute('insert into t values (1)')\n"
                + "    db.execute('insert into t values (2)')\n"
                + "    open('ready', 'w').close()\n"
                + "    while not os.path.exists('go'): time.sleep(0.05)\n"
                + "else:\n"
                + "    print(db.execute('select litestream_sync()').fetchone()[0])\n"
                + "    print(db.execute('select count(*) from t').fetchone()[0])\n");
        try (SilencingProxy proxy = new SilencingProxy(s3.uri().getPort())) {
            String url = url("python", proxy.port());
            String so = dist.dist.resolve("litestream-vfs").toString();
            Exit exit = exitWhileSilent(cmd(PYTHON3, app, so, "first"), env(buffer, url), "", dir, proxy);
            assertThat(exit.status()).isZero();
            assertKept(exit, buffer);

            proxy.resume();
            HostFixture.Result next = run(cmd(PYTHON3, app, so, "next"), env(buffer, url), "", dir);
            assertSynced(next, url, dir);
        }
    }

    /**
     * A long-running Python process closes the database while the store is silent and reopens it at once. The
     * close's bound (5 s) applies to every close in a script host, and the close's daemon thread still held the
     * write buffer: the reopen failed with "is being written by another writer (... already held by another owner
     * in this process)". Now the open waits for that close (at most its close timeout) and opens, or names it.
     */
    @Test
    void pythonReopensRightAfterACloseCutByTheBound() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        Path dir = Files.createDirectories(root.resolve("reopen"));
        Path buffer = dir.resolve("buffer");
        Path app = dir.resolve("app.py");
        Files.writeString(app, "import os, sqlite3, sys, time\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "uri = 'file:app.db?vfs=litestream&sync_interval=1h'\n"
                + "db = sqlite3.connect(uri, uri=True, isolation_level=None)\n"
                + "db.execute('create table t(x)')\n"
                + "db.execute('select litestream_sync()').fetchone()\n"
                + "db.execute('insert into t values (1)')\n"
                + "db.execute('insert into t values (2)')\n"
                + "open('ready', 'w').close()\n"
                + "while not os.path.exists('go'): time.sleep(0.05)\n"
                + "try:\n"
                + "    db.close()\n"
                + "except Exception as e:\n"
                + "    print('close: %s' % e)\n"
                + "open('closed', 'w').close()\n"
                + "while not os.path.exists('go2'): time.sleep(0.05)\n"
                + "try:\n"
                + "    db = sqlite3.connect(uri, uri=True, isolation_level=None)\n"
                + "    print('reopened %d' % db.execute('select count(*) from t').fetchone()[0])\n"
                + "except Exception as e:\n"
                + "    print('reopen failed: %s' % e)\n");
        try (SilencingProxy proxy = new SilencingProxy(s3.uri().getPort())) {
            String url = url("reopen", proxy.port());
            String so = dist.dist.resolve("litestream-vfs").toString();
            ProcessBuilder pb = new ProcessBuilder(cmd(PYTHON3, app, so)).directory(dir.toFile());
            pb.environment().clear();
            pb.environment().putAll(env(buffer, url));
            pb.redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
            Process p = pb.start();
            awaitFile(p, dir.resolve("ready"), dir);
            proxy.silence();
            Files.createFile(dir.resolve("go"));
            awaitFile(p, dir.resolve("closed"), dir); // the close was cut by the bound; its thread still syncs
            proxy.resume(); // the reopen needs the store
            Files.createFile(dir.resolve("go2"));
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("no exit within 120 s");
            }
            Exit exit = new Exit(p.exitValue(), Files.readString(dir.resolve("err.txt")), 0);
            String out = Files.readString(dir.resolve("out.txt"));
            System.out.printf("reopen after a cut close: %s / stderr: %s%n", out.strip(), exit.err().strip());
            assertThat(exit.status()).isZero();
            // Before: "is being written by another writer (... already held by another owner in this process)".
            assertThat(out + exit.err()).doesNotContain("another writer");
            // The close's request in flight may outlast its close timeout (a silent store: the request timeout).
            assertThat(out.contains("reopened 2") || exit.err().contains("the earlier close of database \""
                    + dir.resolve("app.db") + "\" in this process is still running its final sync"))
                    .as("reopened, or the close still running named: %s / %s", out, exit.err()).isTrue();
        }
    }

    private static void awaitFile(Process p, Path file, Path dir) throws Exception {
        for (int i = 0; i < 1200 && !Files.exists(file) && p.isAlive(); i++) {
            Thread.sleep(50);
        }
        assertThat(file).as("stderr: %s", Files.readString(dir.resolve("err.txt"))).exists();
    }
}
