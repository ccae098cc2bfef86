package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sqlite3 CLI with a buffer_path in a world-writable directory without the sticky bit (a Kubernetes emptyDir
 * root): the database opens and writes, and stderr carries one warning naming the directory and the fix, as the
 * host's other messages (its log is silent unless LITESTREAM_LOG_LEVEL is set). Field probes, round 5.
 */
class WorldWritableBufferHostTest {
    @TempDir
    Path dir;

    @Test
    void theSqlite3CliOpensAndWarnsOnceOnStderr() throws Exception {
        assumeTrue(Files.isExecutable(HostFixture.SQLITE3), "no /usr/bin/sqlite3");
        assumeTrue(java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("unix"),
                "no unix modes here");
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Files.setAttribute(shared, "unix:mode", 0777);
        HostFixture dist = HostFixture.create(dir.resolve("host"), true);
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        String script = ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                + ".open file:" + dir.resolve("app.db") + "?vfs=litestream&write_enabled=true&buffer_path="
                + shared.resolve("app.buffer") + "&replica_url=" + dir.resolve("r").toUri() + "\n"
                + "create table t(x);\ninsert into t values (1);\nselect 'rows: ' || count(*) from t;\n"
                + "insert into t values (2);\nselect 'rows: ' || count(*) from t;\n";
        HostFixture.Result r = HostFixture.run(HostFixture.cmd(HostFixture.SQLITE3, "-batch"), env, script, dir);
        String all = r.out() + "\n" + r.err();
        assertThat(r.out()).as(all).contains("rows: 2");
        String warning = "warning: buffer path " + shared.resolve("app.buffer") + ": its directory " + shared
                + " is writable by every user";
        assertThat(r.err()).as(all).contains(warning, "chmod o-w " + shared);
        assertThat(r.err().split(java.util.regex.Pattern.quote(warning), -1)).as(all).hasSize(2);
    }
}
