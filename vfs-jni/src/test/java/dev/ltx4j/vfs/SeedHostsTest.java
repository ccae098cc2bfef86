package dev.ltx4j.vfs;

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
 * The user contract's sqlite3 CLI session and Python example, verbatim, against the engine (write mode on a
 * file:// replica); the replica is restored afterwards and compared.
 */
class SeedHostsTest {
    @TempDir
    Path root;

    private Map<String, String> env(String replica) {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.engineClassPath());
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.put("LITESTREAM_REPLICA_URL", root.resolve(replica).toUri().toString());
        env.put("LITESTREAM_BUFFER_PATH", root.resolve(replica + "-buffer").toString());
        return env;
    }

    private Connection restored(String replica) throws Exception {
        Path out = root.resolve(replica + "-restored.db");
        Replicas.restore(root.resolve(replica).toUri().toString(), out);
        return Sql.plain(out);
    }

    @BeforeAll
    static void hosts() {
        assumeTrue(Files.isExecutable(SQLITE3) && Files.isExecutable(PYTHON3), "needs /usr/bin/sqlite3 and /usr/bin/python3");
    }

    @Test
    void sqlite3CliSessionFromTheContract() throws Exception {
        HostFixture.create(root, false);
        Files.move(root.resolve("dist-nojars"), root.resolve("dist"));
        String session = SeedExamples.CLI_CREATE_SESSION;
        HostFixture.Result r = run(cmd(SQLITE3), env("cli-replica"), session, root);
        assertThat(r.err()).isEmpty();
        assertThat(r.out().lines()).containsExactly("Alice", "ok");
        try (Connection c = restored("cli-replica")) {
            assertThat(Sql.text(c, "select group_concat(id || ':' || name) from users")).isEqualTo("1:Alice");
            assertThat(Sql.text(c, "pragma integrity_check")).isEqualTo("ok");
        }
        // A second session reads the replica back in read mode.
        Map<String, String> read = env("cli-replica");
        read.remove("LITESTREAM_WRITE_ENABLED");
        HostFixture.Result back = run(cmd(SQLITE3), read, """
                .load ./dist/litestream-vfs sqlite3_litestreamvfs_init
                .open 'file:other.db?vfs=litestream'
                SELECT name, length(litestream_txid()) FROM users;
                """, root);
        assertThat(back.err()).isEmpty();
        assertThat(back.out().strip()).isEqualTo("Alice|16");
    }

    @Test
    void pythonExampleFromTheContract() throws Exception {
        HostFixture.create(root, false);
        Files.move(root.resolve("dist-nojars"), root.resolve("dist"));
        Path app = root.resolve("app.py");
        Files.writeString(app, SeedExamples.PYTHON_APP);
        HostFixture.Result r = run(cmd(PYTHON3, app), env("py-replica"), "", root);
        assertThat(r.err()).isEmpty();
        assertThat(r.out().strip()).isEqualTo("(1, 'Application started')");
        HostFixture.Result again = run(cmd(PYTHON3, app), env("py-replica"), "", root);
        assertThat(again.out().lines()).containsExactly("(1, 'Application started')", "(2, 'Application started')");
        try (Connection c = restored("py-replica")) {
            assertThat(Sql.number(c, "select count(*) from logs where msg = 'Application started'")).isEqualTo(2);
            assertThat(Sql.text(c, "pragma integrity_check")).isEqualTo("ok");
        }
    }

    @Test
    void aMissingReplicaUrlIsNamedOnStderr() throws Exception {
        HostFixture.create(root, false);
        Files.move(root.resolve("dist-nojars"), root.resolve("dist"));
        Map<String, String> env = env("none");
        env.remove("LITESTREAM_REPLICA_URL");
        HostFixture.Result r = run(cmd(SQLITE3), env, """
                .load ./dist/litestream-vfs sqlite3_litestreamvfs_init
                .open 'file:x.db?vfs=litestream'
                SELECT 1 FROM sqlite_schema;
                """, root);
        assertThat(r.err()).contains("LITESTREAM_REPLICA_URL is not set");
    }
}
