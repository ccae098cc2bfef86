package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
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

    @AfterEach
    void dropRecord() throws Exception {
        // BufferPathRecord's place: <java.io.tmpdir>/ltx4j-<user>/buffer-paths/<sha-256 of the path, 16 bytes>.path
        byte[] d = MessageDigest.getInstance("SHA-256").digest(buffer.toString().getBytes("UTF-8"));
        String user = System.getProperty("user.name").replaceAll("[^A-Za-z0-9._-]", "_");
        Files.deleteIfExists(Path.of(System.getProperty("java.io.tmpdir"), "ltx4j-" + user, "buffer-paths",
                HexFormat.of().formatHex(d, 0, 16) + ".path"));
    }

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
        // Run as root here: the user-name part of the record's directory must match this JVM's.
        env.put("LITESTREAM_JVM_OPTS", "-Duser.name=" + System.getProperty("user.name")
                + " -Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
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
