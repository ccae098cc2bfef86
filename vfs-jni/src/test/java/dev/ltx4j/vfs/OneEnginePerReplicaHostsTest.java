package dev.ltx4j.vfs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Debian's python3 with {@code litestream-vfs.so} opens one file replica through two spellings of its URL (the
 * environment's and a URI parameter's, one through a symbolic link) and two local paths: one writer (no conflict),
 * one follower (a poll through one connection is seen by the other), and a clear refusal of a second writer.
 */
class OneEnginePerReplicaHostsTest {
    @TempDir
    Path tmp;
    Path root;
    HostFixture dist;

    @BeforeAll
    static void python() {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
    }

    private Map<String, String> env(boolean write) {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.engineClassPath());
        env.put("LITESTREAM_WRITE_ENABLED", Boolean.toString(write));
        env.put("LITESTREAM_REPLICA_URL", "file://" + root.resolve("replica"));
        env.put("LITESTREAM_SYNC_INTERVAL", "1h");
        env.put("LITESTREAM_POLL_INTERVAL", "1h");
        return env;
    }

    private static String prelude() {
        return "import sqlite3, sys, subprocess, os\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "loader.close()\n"
                + "root = sys.argv[2]\n"
                + "def q(c, sql):\n"
                + "    return c.execute(sql).fetchone()[0]\n";
    }

    private HostFixture.Result python(String body, boolean write) throws Exception {
        Path script = Files.createTempFile(root, "app", ".py");
        Files.writeString(script, prelude() + body);
        return run(cmd(PYTHON3, script, dist.so, root), env(write), "", root);
    }

    private void setUp() throws Exception {
        root = tmp.toRealPath();
        dist = HostFixture.create(root, false);
        Files.createDirectories(root.resolve("replica"));
        Files.createSymbolicLink(root.resolve("link"), root.resolve("replica"));
    }

    @Test
    void pythonWritersThroughTwoSpellingsAreOneWriterAndASecondPathIsRefused() throws Exception {
        setUp();
        HostFixture.Result r = python(""
                + "a = sqlite3.connect(f'file:{root}/app.db?vfs=litestream', uri=True)\n"
                + "b = sqlite3.connect(f'file:{root}/app.db?vfs=litestream&replica_url=file://{root}/link/./', uri=True)\n"
                + "a.execute('create table t(v)'); a.execute(\"insert into t values ('a')\"); a.commit()\n"
                + "print(q(b, 'select group_concat(v) from t'))\n"           // unsynced: only one engine shows it
                + "b.execute(\"insert into t values ('b')\"); b.commit()\n"
                + "q(b, 'select litestream_sync()'); a.execute(\"insert into t values ('a2')\"); a.commit()\n"
                + "q(a, 'select litestream_sync()')\n"                        // a second writer would conflict here
                + "print(q(a, 'select group_concat(v) from t'))\n"
                + "try:\n"
                + "    c = sqlite3.connect(f'file:{root}/other.db?vfs=litestream', uri=True)\n"
                + "    c.execute('create table u(x)'); c.commit(); print('opened')\n"
                + "except sqlite3.Error as e:\n"
                + "    print('refused')\n", true);
        assertThat(r.out().lines()).as(r.err()).containsExactly("a", "a,b,a2", "refused");
        assertThat(r.err()).contains("database " + root.resolve("other.db"))
                .contains("as database " + root.resolve("app.db"))
                .contains("replica file://" + root.resolve("replica"))
                .contains("second writer");
        Path out = root.resolve("restored.db");
        Replicas.restore("file://" + root.resolve("replica"), out);
        try (var c = Sql.plain(out)) {
            assertThat(Sql.text(c, "select group_concat(v) from t")).isEqualTo("a,b,a2");
        }
    }

    @Test
    void pythonFollowersThroughTwoSpellingsAndTwoPathsShareOnePoller() throws Exception {
        setUp();
        Path writer = root.resolve("writer.py");
        Files.writeString(writer, prelude()
                + "w = sqlite3.connect(f'file:{root}/w.db?vfs=litestream', uri=True)\n"
                + "w.execute('create table if not exists t(v)'); w.execute('insert into t values (1)'); w.commit()\n"
                + "q(w, 'select litestream_sync()')\n");
        String runWriter = "subprocess.run([sys.executable, '" + writer + "', sys.argv[1], root], check=True,"
                + " env=dict(os.environ, LITESTREAM_WRITE_ENABLED='true'))\n";
        HostFixture.Result r = python(runWriter
                + "x = sqlite3.connect(f'file:{root}/x.db?vfs=litestream', uri=True)\n"
                + "y = sqlite3.connect(f'file:{root}/y.db?vfs=litestream&replica_url=file://{root}/link/', uri=True)\n"
                + "print(q(x, 'select count(*) from t'), q(y, 'select count(*) from t'))\n"
                + runWriter                                                   // another process adds a row
                + "q(x, 'select litestream_sync()')\n"                         // read mode: poll once, through x
                + "print(q(x, 'select count(*) from t'), q(y, 'select count(*) from t'))\n", false);
        // One follower: y sees what x's poll found; two would leave y a poll interval (1 h) behind.
        assertThat(r.out().lines()).as(r.err()).containsExactly("1 1", "2 2");
    }
}
