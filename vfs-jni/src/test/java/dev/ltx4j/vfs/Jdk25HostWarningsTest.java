package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extension in Debian's sqlite3 CLI and python3 with JAVA_HOME on JDK 24+ (CI: when one is there): the JVM it starts
 * prints nothing on the host's stderr. Before, JDK 24+ printed "WARNING: A restricted method in java.lang.System
 * has been called" there when lz4-java loaded its native library (docs/jdk-versions.md). Skipped, saying so, when
 * no JDK 24+ is under /usr/lib/jvm or /opt.
 */
class Jdk25HostWarningsTest {
    @TempDir
    static Path root;
    static HostFixture dist;
    static Path javaHome;

    @BeforeAll
    static void layout() throws Exception {
        javaHome = VirtualThreadsTest.newerJava(24).getParent().getParent();
        dist = HostFixture.create(root, false);
    }

    private static Map<String, String> env(String name) throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", javaHome.toString());
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath()); // the engine, lz4-java and the backends
        env.put("LITESTREAM_REPLICA_URL", root.resolve(name + "-replica").toUri().toString());
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.put("LITESTREAM_BUFFER_PATH", root.resolve(name + "-buffer").toString());
        return env;
    }

    @Test
    void theSqlite3CliShowsNoJvmWarning() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env("cli"),
                ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                + ".open file:" + root.resolve("cli.db") + "?vfs=litestream\n"
                + "create table t(x); insert into t values (randomblob(3000)), (randomblob(3000));\n"
                + "select litestream_sync();\n", root);
        assertThat(r.err()).as("sqlite3's stderr with JAVA_HOME=%s", javaHome).isEmpty();
        assertThat(r.out().strip()).matches("[0-9a-f]{16}");
    }

    @Test
    void python3ShowsNoJvmWarning() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        Path script = Files.writeString(root.resolve("app.py"), "import sqlite3, sys\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "loader.close()\n"
                + "c = sqlite3.connect(f'file:{sys.argv[2]}?vfs=litestream', uri=True)\n"
                + "c.execute('create table t(x)')\n"
                + "c.execute('insert into t values (randomblob(3000))')\n"
                + "c.commit()\n"
                + "print(c.execute('select litestream_sync()').fetchone()[0])\n");
        HostFixture.Result r = run(cmd(PYTHON3, script, dist.so, root.resolve("py.db")), env("py"), "", root);
        assertThat(r.err()).as("python3's stderr with JAVA_HOME=%s", javaHome).isEmpty();
        assertThat(r.out().strip()).matches("[0-9a-f]{16}");
    }
}
