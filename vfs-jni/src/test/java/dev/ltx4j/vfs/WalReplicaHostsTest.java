package dev.ltx4j.vfs;

import dev.ltx4j.vfs.testing.ReferenceExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A replica imported from a checkpointed WAL database, through dist/litestream-vfs.so in the sqlite3 CLI and
 * Debian's python3, in read and write mode; the reference extension then reads what we wrote back.
 */
class WalReplicaHostsTest {
    private static final String LOAD = ".load ./dist/litestream-vfs sqlite3_litestreamvfs_init\n";

    @TempDir
    Path root;

    @BeforeAll
    static void hosts() {
        assumeTrue(Files.isExecutable(SQLITE3) && Files.isExecutable(PYTHON3), "needs /usr/bin/sqlite3 and /usr/bin/python3");
    }

    private String url() {
        return root.resolve("replica").toUri().toString();
    }

    private Map<String, String> env(boolean write) {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.engineClassPath());
        env.put("LITESTREAM_REPLICA_URL", url());
        if (write) {
            env.put("LITESTREAM_WRITE_ENABLED", "true");
            env.put("LITESTREAM_BUFFER_PATH", root.resolve("buffer").toString());
        }
        return env;
    }

    private void layout() throws Exception {
        HostFixture.create(root, false);
        Files.move(root.resolve("dist-nojars"), root.resolve("dist"));
        byte[] image = DaemonReplica.walDatabase(root.resolve("source.db"),
                "create table t(id integer primary key, v text)", "insert into t(v) values ('wal 1'), ('wal 2')");
        DaemonReplica.importImage(url(), image);
    }

    @Test
    void sqlite3AndPythonReadAndWriteAWalReplicaAndTheReferenceReadsItBack() throws Exception {
        layout();
        HostFixture.Result read = run(cmd(SQLITE3), env(false), LOAD + """
                .open 'file:r.db?vfs=litestream'
                select group_concat(v) from t;
                pragma journal_mode;
                """, root);
        assertThat(read.err()).isEmpty();
        assertThat(read.out().lines()).containsExactly("wal 1,wal 2", "delete");

        HostFixture.Result write = run(cmd(SQLITE3), env(true), LOAD + """
                .open 'file:w.db?vfs=litestream'
                insert into t(v) values ('cli');
                select count(*) from t;
                select length(litestream_sync());
                """, root);
        assertThat(write.err()).isEmpty();
        assertThat(write.out().lines()).containsExactly("3", "16");

        Path app = root.resolve("app.py");
        Files.writeString(app, """
                import sqlite3
                loader = sqlite3.connect(":memory:")
                loader.enable_load_extension(True)
                try:
                    loader.load_extension("./dist/litestream-vfs.so", entrypoint="sqlite3_litestreamvfs_init")
                except TypeError:
                    loader.load_extension("./dist/litestream-vfs.so")
                loader.close()
                conn = sqlite3.connect("file:py.db?vfs=litestream", uri=True)
                print(conn.execute("select group_concat(v) from t").fetchone()[0])
                conn.execute("insert into t(v) values ('python')")
                conn.commit()
                print(conn.execute("select count(*) from t").fetchone()[0])
                conn.close()
                """);
        HostFixture.Result py = run(cmd(PYTHON3, app), env(true), "", root);
        assertThat(py.err()).isEmpty();
        assertThat(py.out().lines()).containsExactly("wal 1,wal 2,cli", "4");

        Path restored = root.resolve("restored.db");
        Replicas.restore(url(), restored);
        try (Connection plain = Sql.plain(restored)) {
            assertThat(Sql.text(plain, "pragma integrity_check")).isEqualTo("ok");
            assertThat(Sql.text(plain, "select group_concat(v) from t")).isEqualTo("wal 1,wal 2,cli,python");
        }

        Path reference = ReferenceExtension.install();
        Map<String, String> refEnv = HostFixture.baseEnvironment();
        refEnv.put("LITESTREAM_REPLICA_URL", url());
        refEnv.put("LITESTREAM_LOG_FILE", root.resolve("ref.log").toString());
        HostFixture.Result ref = run(cmd(SQLITE3), refEnv, ".load '" + reference + "' sqlite3_litestreamvfs_init\n"
                + ".open 'file:ref.db?vfs=litestream'\nselect group_concat(v) from t;\npragma integrity_check;\n", root);
        assertThat(ref.err()).isEmpty();
        assertThat(ref.out().lines()).containsExactly("wal 1,wal 2,cli,python", "ok");
    }

    /** Another VFS database (the plain-file test backend) serving a WAL header: SQLite refuses, stderr says why. */
    @Test
    void aWalHeaderThatReachesSqliteIsNamedOnStderr() throws Exception {
        HostFixture.create(root, true);
        Path db = root.resolve("plain-wal.db");
        DaemonReplica.walDatabase(db, "create table t(x)");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), HostFixture.testEnvironment(),
                ".load " + root.resolve("dist").resolve("litestream-vfs") + " sqlite3_litestreamvfs_init\n"
                        + ".open file:" + db + "?vfs=litestream\nselect count(*) from t;\n", root);
        assertThat(r.err()).contains("unable to open database file")
                .contains("WAL mode (file format bytes 18/19 = 2)").contains("rollback-journal modes only");
    }
}
