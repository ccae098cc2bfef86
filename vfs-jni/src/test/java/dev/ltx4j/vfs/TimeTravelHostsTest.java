package dev.ltx4j.vfs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Time travel from the sqlite3 CLI and Debian's python3 loading litestream-vfs.so, in read and write mode. The
 * replica is written from this JVM with an injected clock: TXID n committed at 2026-11-27T10:0(n-1):00Z.
 */
class TimeTravelHostsTest {
    static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    @TempDir
    static Path root;
    static HostFixture dist;
    static Path replica;

    @BeforeAll
    static void replicaWithFourCommits() throws Exception {
        dist = HostFixture.create(root, true);
        replica = root.resolve("replica");
        TimeTravelVfsTest.ManualClock clock = new TimeTravelVfsTest.ManualClock(T0);
        LitestreamVfs.Registration w = LitestreamVfs.builder().replica(replica.toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(root.resolve("jvm-buffer")).clock(clock)
                .register("tt-hosts");
        try (Connection c = DriverManager.getConnection(w.jdbcUrl(root.resolve("jvm.db")))) {
            exec(c, "create table t(id integer primary key, v text)");
            text(c, "select litestream_sync()");
            for (int n = 2; n <= 4; n++) {
                clock.set(T0.plus(Duration.ofMinutes(n - 1)));
                exec(c, "insert into t(v) values ('row " + n + "')");
                text(c, "select litestream_sync()");
            }
        }
    }

    private static Map<String, String> env() throws Exception {
        return env(replica);
    }

    private static Map<String, String> env(Path replicaDir) throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("LITESTREAM_REPLICA_URL", replicaDir.toUri().toString());
        return env;
    }

    /** A copy of the replica (mtimes kept: the file backend lists them as the files' times), for a test that writes. */
    private static Path copyOfReplica(String name) throws Exception {
        Path to = root.resolve(name);
        try (java.util.stream.Stream<Path> files = Files.walk(replica)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(replica.relativize(f).toString()),
                        java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return to;
    }

    private static String load() {
        return ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n";
    }

    @Test
    void sqlite3CliReadMode() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env(), load()
                + ".open file:" + root.resolve("cli-read.db") + "?vfs=litestream\n"
                + "select count(*) from t;\n"
                + "pragma litestream_time = '2026-11-27T10:01:30Z';\n"
                + "select count(*), litestream_time(), litestream_txid() from t;\n"
                + "insert into t(v) values ('refused');\n"
                + "select instr(litestream_last_error, 'litestream_time is set') > 0 from pragma_litestream_last_error;\n"
                + "select litestream_set_time('latest');\n"
                + "select count(*) from t;\n"
                + "pragma litestream_time = 'yesterday-ish';\n"
                + "pragma litestream_time = '2026-11-27T09:00:00Z';\n"
                + "pragma litestream_time = '1 minute ago';\n"
                + "select count(*) from t;\n", root);
        assertThat(r.out().lines()).containsExactly("3", "2026-11-27T10:01:00Z",
                "1|2026-11-27T10:01:00Z|0000000000000002", "latest", "3", "2026-11-27T10:03:00Z", "3");
        assertThat(r.err()).contains("attempt to write a readonly database")
                .contains("cannot read 'yesterday-ish' as a time")
                .contains("oldest available time is 2026-11-27T10:00:00Z");
    }

    @Test
    void sqlite3CliWriteModeLooksAtThePastAndComesBack() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env(copyOfReplica("replica-write")), load()
                + ".open file:" + root.resolve("cli-write.db") + "?vfs=litestream&write_enabled=true&buffer_path="
                + root.resolve("cli-buffer") + "\n"
                + "insert into t(v) values ('unsynced');\n"
                + "select count(*) from t;\n"
                + "select litestream_set_time('2026-11-27T10:02:00Z');\n"
                + "select count(*) from t;\n"
                + "delete from t;\n"
                + "pragma litestream_time = 'latest';\n"
                + "select count(*) from t;\n"
                + "insert into t(v) values ('again');\n"
                + "select count(*) from t;\n", root);
        assertThat(r.out().lines()).containsExactly("4", "2026-11-27T10:02:00Z", "2", "latest", "4", "5");
        assertThat(r.err()).contains("attempt to write a readonly database");
    }

    @Test
    void python3WriteMode() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        Path script = root.resolve("tt-write.py");
        Files.writeString(script, "import sqlite3, sys\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "loader.close()\n"
                + "url = f'file:{sys.argv[2]}?vfs=litestream&write_enabled=true&buffer_path={sys.argv[3]}'\n"
                + "w = sqlite3.connect(url, uri=True, isolation_level=None)\n"
                + "past = sqlite3.connect(url, uri=True, isolation_level=None)\n"
                + "w.execute(\"insert into t(v) values ('new')\")\n"
                + "print(past.execute(\"select litestream_set_time('2026-11-27T10:00:30Z')\").fetchone()[0])\n"
                + "print(past.execute('select count(*) from t').fetchone()[0], w.execute('select count(*) from t').fetchone()[0])\n"
                + "try:\n"
                + "    past.execute('delete from t')\n"
                + "except sqlite3.OperationalError as e:\n"
                + "    print('refused:', e)\n"
                + "past.execute(\"pragma litestream_time = 'latest'\")\n"
                + "print(past.execute('select count(*) from t').fetchone()[0])\n");
        HostFixture.Result r = run(cmd(PYTHON3, script, dist.so, root.resolve("py-write.db"),
                root.resolve("py-buffer")), env(copyOfReplica("replica-py-write")), "", root);
        assertThat(r.out().lines()).containsExactly("2026-11-27T10:00:00Z", "0 4",
                "refused: attempt to write a readonly database", "4");
    }

    @Test
    void python3ReadMode() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        Path script = root.resolve("tt.py");
        Files.writeString(script, "import sqlite3, sys\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "loader.close()\n"
                + "c = sqlite3.connect(f'file:{sys.argv[2]}?vfs=litestream', uri=True, isolation_level=None)\n"
                + "print(c.execute('select count(*) from t').fetchone()[0])\n"
                + "print(c.execute(\"select litestream_set_time('2026-11-27T10:02:59.999+00:00')\").fetchone()[0])\n"
                + "print(c.execute('select count(*), litestream_txid() from t').fetchone())\n"
                + "try:\n"
                + "    c.execute(\"insert into t(v) values ('no')\")\n"
                + "except sqlite3.OperationalError as e:\n"
                + "    print('refused:', e)\n"
                + "print('litestream_time' in c.execute('pragma litestream_last_error').fetchone()[0])\n"
                + "try:\n"
                + "    c.execute(\"pragma litestream_time = '2099-01-01T00:00:00Z'\")\n"
                + "except sqlite3.Error as e:\n"
                + "    print('future:', 'in the future' in str(e))\n"
                + "c.execute(\"pragma litestream_time = 'latest'\")\n"
                + "print(c.execute('select count(*) from t').fetchone()[0])\n");
        HostFixture.Result r = run(cmd(PYTHON3, script, dist.so, root.resolve("py-read.db")), env(), "", root);
        assertThat(r.out().lines()).containsExactly("3", "2026-11-27T10:02:00Z", "(2, '0000000000000003')",
                "refused: attempt to write a readonly database", "True", "future: True", "3");
    }
}
