package dev.ltx4j.vfs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.regex.Pattern;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Round 9 (leftovers, docs/field-probes.md): what sqlite3, Python and JDBC users read started with a Java class name
 * ({@code litestream: cannot open "x": DatabaseNotFoundException: cannot open database ...}). The extension's texts
 * are now plain sentences naming the offending thing; the words after the class name are all kept.
 */
class PlainErrorMessagesHostTest {
    /** A Java class name followed by a colon, as a Throwable's toString() writes it. */
    private static final Pattern CLASS_NAME = Pattern.compile("\\b(?:[a-z]+\\.)*[A-Z]\\w*(?:Exception|Error): ");

    @TempDir
    Path root;

    private Map<String, String> env(String replica) throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("LITESTREAM_REPLICA_URL", replica);
        return env;
    }

    @Test
    void anEmptyReplicaOpenedForReadingIsNamedWithoutAClassName() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3) && Files.isExecutable(PYTHON3), "needs /usr/bin/sqlite3 and python3");
        HostFixture.create(root, false);
        Files.move(root.resolve("dist-nojars"), root.resolve("dist"));
        String replica = Files.createDirectories(root.resolve("empty")).toUri().toString();

        HostFixture.Result cli = run(cmd(SQLITE3, "-batch"), env(replica), """
                .load ./dist/litestream-vfs sqlite3_litestreamvfs_init
                .open 'file:app.db?vfs=litestream'
                select 1;
                """, root);
        System.out.println("sqlite3: " + cli.err());
        assertThat(cli.err()).contains("litestream: cannot open").contains("holds no LTX files")
                .contains(replica.replaceAll("/$", ""));
        assertThat(CLASS_NAME.matcher(cli.err()).find()).as(cli.err()).isFalse();

        Path app = root.resolve("app.py");
        Files.writeString(app, """
                import sqlite3
                loader = sqlite3.connect(":memory:")
                loader.enable_load_extension(True)
                loader.load_extension("./dist/litestream-vfs.so")
                try:
                    sqlite3.connect("file:app.db?vfs=litestream", uri=True).execute("select 1")
                except sqlite3.Error as e:
                    print("error:", e)
                """);
        HostFixture.Result py = run(cmd(PYTHON3, app), env(replica), "", root);
        System.out.println("python3: " + py.out() + py.err());
        assertThat(py.out() + py.err()).contains("holds no LTX files");
        assertThat(CLASS_NAME.matcher(py.out() + py.err()).find()).as(py.out() + py.err()).isFalse();
    }

    @Test
    void jdbcSeesTheSameSentence() throws Exception {
        Path real = root.toRealPath();
        String replica = Files.createDirectories(real.resolve("empty")).toUri().toString();
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replica).register("plain-messages");
        try {
            assertThatThrownBy(() -> {
                try (Connection c = vfs.connect(real.resolve("app.db"))) {
                    Sql.text(c, "select 1");
                }
            }).isInstanceOf(SQLException.class).satisfies(e -> {
                System.out.println("jdbc: " + e.getMessage());
                assertThat(e.getMessage()).contains("holds no LTX files");
                assertThat(CLASS_NAME.matcher(e.getMessage()).find()).as(e.getMessage()).isFalse();
            });
        } finally {
            vfs.unregister();
        }
    }
}
