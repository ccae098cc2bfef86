package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round 7's probe as a user meets it (field probes, round 8): the sqlite3 CLI writes 20 rows through
 * {@code buffer_path=<dir>/link/app.buffer} and is killed before any sync; {@code link} is repointed to an empty
 * directory. The next open is refused naming the path, the link and the buffer that holds the rows (before: it opened
 * a new buffer and showed the replica without them, silently); with the link back, every row is there.
 */
class RepointedBufferLinkHostTest {
    @TempDir
    Path dir;

    private Path buffer;

    private void pointLink(Path target) throws Exception {
        Path link = dir.resolve("link");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, target);
    }

    @Test
    void aRepointedLinkIsRefusedAndTheRowsComeBackWithTheLink() throws Exception {
        assumeTrue(Files.isExecutable(HostFixture.SQLITE3), "no /usr/bin/sqlite3");
        Path a = Files.createDirectories(dir.resolve("volume-a"));
        Path b = Files.createDirectories(dir.resolve("volume-b"));
        pointLink(a);
        buffer = dir.resolve("link/app.buffer");
        HostFixture dist = HostFixture.create(dir.resolve("host"), true);
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        // The child keeps its buffer-path records in a temporary directory of this test (not the host's /tmp).
        env.put("LITESTREAM_JVM_OPTS", "-Duser.name=" + System.getProperty("user.name")
                + " -Djava.io.tmpdir=" + Files.createDirectories(dir.resolve("tmp")));
        String open = ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                + ".open file:" + dir.resolve("app.db") + "?vfs=litestream&write_enabled=true&sync_interval=1h"
                + "&buffer_path=" + buffer + "&replica_url=" + dir.resolve("replica").toUri() + "\n";
        StringBuilder rows = new StringBuilder("create table t(x);\n");
        for (int i = 0; i < 20; i++) {
            rows.append("insert into t values (").append(i).append(");\n");
        }
        HostFixture.Result first = HostFixture.run(HostFixture.cmd(HostFixture.SQLITE3, "-batch"), env,
                open + rows + "select 'rows: ' || count(*) from t;\n.shell kill -9 $PPID\n", dir);
        assertThat(first.out()).as(first.out() + first.err()).contains("rows: 20");

        pointLink(b);
        HostFixture.Result swapped = HostFixture.run(HostFixture.cmd(HostFixture.SQLITE3, "-batch"), env,
                open + "select 'rows: ' || count(*) from t;\n", dir);
        String all = swapped.out() + "\n" + swapped.err();
        assertThat(swapped.out()).as(all).doesNotContain("rows:");
        assertThat(swapped.err()).as(all).contains("buffer path " + buffer + " now leads to "
                + b.toRealPath().resolve("app.buffer") + " (through symbolic link " + dir.resolve("link") + ", now to "
                + b + ")", "used write buffer " + a.toRealPath().resolve("app.buffer"),
                "which still holds 21 committed transaction(s)", "Point the link back");

        pointLink(a);
        HostFixture.Result back = HostFixture.run(HostFixture.cmd(HostFixture.SQLITE3, "-batch"), env,
                open + "select 'rows: ' || count(*) from t;\n", dir);
        assertThat(back.out()).as(back.out() + back.err()).contains("rows: 20");
    }
}
