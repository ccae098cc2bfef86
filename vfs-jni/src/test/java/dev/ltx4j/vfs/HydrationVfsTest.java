package dev.ltx4j.vfs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Map;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Hydration and the disk page cache (docs/hydration.md) through sqlite-jdbc, the sqlite3 CLI and Debian's python3
 * loading dist/litestream-vfs.so, on a file:// replica.
 */
class HydrationVfsTest {
    private static final String LOAD = ".load ./dist/litestream-vfs sqlite3_litestreamvfs_init\n";

    @TempDir
    Path dir;

    private String replicaUrl() {
        return dir.resolve("replica").toUri().toString();
    }

    /** A replica holding table t with {@code rows} rows (several LTX files), written through the VFS. */
    private String seed(int rows) throws Exception {
        LitestreamVfs.Registration w = LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("w-buffer")).register("hyd-writer");
        try (Connection c = DriverManager.getConnection(w.jdbcUrl(dir.resolve("w.db")))) {
            exec(c, "create table t(id integer primary key, v text)");
            text(c, "select litestream_sync()");
            exec(c, "insert into t(v) select printf('row %d %s', value, hex(randomblob(100))) from "
                    + Sql.series(rows));
            text(c, "select litestream_sync()");
            exec(c, "update t set v = 'changed' where id % 7 = 0");
            text(c, "select litestream_sync()");
            return Replicas.digest(c, "t");
        }
    }

    /** Runs {@code sql} on a writer and syncs it; returns the TXID it synced. */
    private String more(String sql) throws Exception {
        LitestreamVfs.Registration w = LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("w-buffer")).register("hyd-writer");
        try (Connection c = DriverManager.getConnection(w.jdbcUrl(dir.resolve("w.db")))) {
            exec(c, sql);
            return text(c, "select litestream_sync()");
        }
    }

    private static String hydration(Connection c, String field) throws Exception {
        return text(c, "select json_extract(litestream_status(), '$.hydration." + field + "')");
    }

    private static void awaitReady(Connection c) throws Exception {
        awaitReady(c, null);
    }

    /** Waits until the connection reads {@code txid} (null: whatever it reads now) and the file is hydrated at it. */
    private static void awaitReady(Connection c, String txid) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!"ready".equals(hydration(c, "state")) || !hydration(c, "txid").equals(text(c,
                "select litestream_txid()")) || txid != null && !txid.equals(text(c, "select litestream_txid()"))) {
            assertThat(System.nanoTime()).as("hydration did not complete: " + text(c, "select litestream_status()"))
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private String restoredDigest() throws Exception {
        Path out = dir.resolve("restored-" + System.nanoTime() + ".db");
        Replicas.restore(replicaUrl(), out);
        try (Connection plain = Sql.plain(out)) {
            return Replicas.digest(plain, "t");
        }
    }

    @Test
    void jdbcHydratesServesReadsAppliesNewFilesAndReusesTheFileAfterARestart() throws Exception {
        String digest = seed(3000);
        Path file = dir.resolve("hydrated").resolve("app.db");
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(replicaUrl()).cacheSize(0)
                .pollInterval(Duration.ofMillis(50)).hydration(true).hydrationPath(file).register("hyd-reader");
        try (Connection c = DriverManager.getConnection(r.jdbcUrl(dir.resolve("r.db")))) {
            assertThat(Replicas.digest(c, "t")).isEqualTo(digest); // reads work during hydration
            awaitReady(c);
            long served = Long.parseLong(hydration(c, "pages_served"));
            // A second connection: its SQLite page cache is empty, so its scan reaches the VFS (this connection may
            // keep its own cache between transactions while the version is unchanged).
            try (Connection fresh = DriverManager.getConnection(r.jdbcUrl(dir.resolve("r.db")))) {
                assertThat(Replicas.digest(fresh, "t")).isEqualTo(digest);
            }
            assertThat(Long.parseLong(hydration(c, "pages_served"))).isGreaterThan(served);
            assertThat(hydration(c, "path")).isEqualTo(file.toString());
            String synced = more("insert into t(v) values ('after hydration')");
            awaitReady(c, synced); // not just ready: the follower must have polled the new file first
            assertThat(number(c, "select count(*) from t")).isEqualTo(3001);
        }
        try (Connection plain = Sql.plain(file)) { // the hydrated file is a plain SQLite database
            assertThat(text(plain, "pragma integrity_check")).isEqualTo("ok");
            assertThat(Replicas.digest(plain, "t")).isEqualTo(restoredDigest());
        }
        try (Connection c = DriverManager.getConnection(r.jdbcUrl(dir.resolve("r.db")))) {
            awaitReady(c);
            assertThat(hydration(c, "resumed")).isEqualTo("1");
            assertThat(hydration(c, "files_applied")).as("nothing downloaded again").isEqualTo("0");
            assertThat(hydration(c, "rebuilds")).isEqualTo("0");
            assertThat(Replicas.digest(c, "t")).isEqualTo(restoredDigest());
        }
    }

    private Map<String, String> hostEnv(Path file) {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.engineClassPath());
        env.put("LITESTREAM_REPLICA_URL", replicaUrl());
        env.put("LITESTREAM_POLL_INTERVAL", "50ms");
        env.put("LITESTREAM_HYDRATION", "on");
        env.put("LITESTREAM_HYDRATION_PATH", file.toString());
        return env;
    }

    private void hostLayout() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3) && Files.isExecutable(PYTHON3), "needs /usr/bin/sqlite3 and python3");
        HostFixture.create(dir, false);
        Files.move(dir.resolve("dist-nojars"), dir.resolve("dist"));
    }

    private static final String WAIT_CLI = ".shell sleep 3\n";

    @Test
    void sqlite3HydratesAndPythonReusesItThenATamperedFileIsRebuilt() throws Exception {
        hostLayout();
        seed(2000);
        Path file = dir.resolve("cli-hydrated.db");
        HostFixture.Result cli = run(cmd(SQLITE3), hostEnv(file), LOAD + ".open 'file:c.db?vfs=litestream'\n"
                + "select count(*) from t;\n" + WAIT_CLI
                + "select json_extract(litestream_status(), '$.hydration.state');\n"
                + "select json_extract(litestream_status(), '$.hydration.resumed');\n"
                + "select count(*) from t;\n", dir);
        assertThat(cli.err()).isEmpty();
        assertThat(cli.out().lines()).containsExactly("2000", "ready", "0", "2000");
        try (Connection plain = Sql.plain(file)) {
            assertThat(Replicas.digest(plain, "t")).isEqualTo(restoredDigest());
        }

        Path app = dir.resolve("app.py");
        Files.writeString(app, """
                import sqlite3, json, time
                loader = sqlite3.connect(":memory:")
                loader.enable_load_extension(True)
                try:
                    loader.load_extension("./dist/litestream-vfs.so", entrypoint="sqlite3_litestreamvfs_init")
                except TypeError:
                    loader.load_extension("./dist/litestream-vfs.so")
                loader.close()
                conn = sqlite3.connect("file:py.db?vfs=litestream", uri=True)
                for _ in range(600):
                    h = json.loads(conn.execute("select litestream_status()").fetchone()[0])["hydration"]
                    if h["state"] == "ready":
                        break
                    time.sleep(0.05)
                print(h["state"], h["resumed"], h["files_applied"], h["rebuilds"])
                print(conn.execute("select count(*) from t").fetchone()[0])
                conn.close()
                """);
        HostFixture.Result py = run(cmd(PYTHON3, app), hostEnv(file), "", dir);
        assertThat(py.err()).isEmpty();
        assertThat(py.out().lines()).as("reused without downloading").containsExactly("ready True 0 0", "2000");

        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 0x55;
        Files.write(file, b);
        HostFixture.Result again = run(cmd(PYTHON3, app), hostEnv(file), "", dir);
        assertThat(again.err()).isEmpty();
        assertThat(again.out().lines().findFirst().orElse("")).as("rebuilt after tampering").startsWith("ready False")
                .endsWith(" 1");
        try (Connection plain = Sql.plain(file)) {
            assertThat(Replicas.digest(plain, "t")).isEqualTo(restoredDigest());
        }
    }

    @Test
    void theDiskCacheSurvivesARestartAndRespectsItsBound() throws Exception {
        String digest = seed(3000);
        Path cacheDir = dir.resolve("disk-cache");
        long bound = 256 * 1024;
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(replicaUrl()).cacheSize(0)
                .diskCache(bound, cacheDir).register("disk-reader");
        try (Connection c = DriverManager.getConnection(r.jdbcUrl(dir.resolve("d.db")))) {
            assertThat(Replicas.digest(c, "t")).isEqualTo(digest);
            assertThat(Long.parseLong(text(c, "select json_extract(litestream_status(), '$.disk_cache.writes')")))
                    .isPositive();
        }
        long onDisk = 0;
        try (var files = Files.list(cacheDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                onDisk += Files.size(p);
            }
        }
        assertThat(onDisk).as("data and index stay within the bound").isLessThanOrEqualTo(bound);
        try (Connection c = DriverManager.getConnection(r.jdbcUrl(dir.resolve("d.db")))) {
            assertThat(text(c, "select count(*) from t where id < 50")).isEqualTo("49");
            assertThat(Long.parseLong(text(c, "select json_extract(litestream_status(), '$.disk_cache.hits')")))
                    .as("pages kept from before the restart").isPositive();
            assertThat(Replicas.digest(c, "t")).isEqualTo(digest);
        }
    }
}
