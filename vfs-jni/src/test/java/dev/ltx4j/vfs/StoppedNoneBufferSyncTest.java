package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sqlite3 CLI with the extension, durability {@code none}, the buffer on an ext4 image the script aborts
 * (read-only with errors, as ext4 does after an I/O error) between commits: the next insert fails and stops the
 * buffer; the commits acknowledged unforced since the last sync are in no sync's reach from this process
 * (docs/write-buffer-recovery.md, "After a failed fsync"). {@code select litestream_sync()} used to return the replica's
 * TXID as if everything committed were there; it now fails naming how many commits stay off the replica and the
 * buffer's failure, as the close does.
 */
class StoppedNoneBufferSyncTest {
    @TempDir
    static Path root;
    static HostFixture dist;

    @BeforeAll
    static void layout() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        dist = HostFixture.create(root, true);
    }

    private static int exec(String... command) throws Exception {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor();
    }

    @Test
    void litestreamSyncFailsWhileUnforcedCommitsOfAStoppedBufferStayOffTheReplica() throws Exception {
        // The root check first: a non-root PATH (Debian) lacks /usr/sbin, so mkfs.ext4 by bare name would error.
        RootMounts.assumeCanMount("an ext4 loop image");
        Path mkfs = Files.isExecutable(Path.of("/usr/sbin/mkfs.ext4")) ? Path.of("/usr/sbin/mkfs.ext4")
                : Path.of("/sbin/mkfs.ext4");
        assumeTrue(Files.isExecutable(mkfs), "no mkfs.ext4 in /usr/sbin or /sbin");
        assumeTrue(Files.exists(Path.of("/dev/loop-control")) || Files.exists(Path.of("/dev/loop0")),
                "no loop devices here");
        Path image = root.resolve("buffer.img");
        Path disk = root.resolve("disk");
        assertThat(exec("truncate", "-s", "32M", image.toString())).isZero();
        assertThat(exec(mkfs.toString(), "-q", "-F", image.toString())).isZero();
        RootMounts.mount(disk, List.of("mount", "-o", "loop", image.toString(), disk.toString()), "an ext4 loop image");
        try {
            Path replica = root.resolve("replica");
            Map<String, String> env = HostFixture.baseEnvironment();
            env.put("JAVA_HOME", System.getProperty("java.home"));
            env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
            HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, ".load " + dist.dist.resolve("litestream-vfs")
                    + " " + LitestreamVfs.ENTRY_POINT + "\n"
                    + ".open file:" + root.resolve("app.db") + "?vfs=litestream&write_enabled=true&durability=none"
                    + "&sync_interval=1h&compaction=off&buffer_path=" + disk.resolve("app.buffer")
                    + "&replica_url=" + replica.toUri() + "\n"
                    + "create table t(v);\n"
                    + "insert into t values (1), (2);\n"
                    + "select 'first sync ' || litestream_sync();\n"
                    + "insert into t values (3);\n" // acknowledged unforced
                    + "insert into t values (4);\n"
                    + "insert into t values (5);\n"
                    + ".system mount -o remount,abort " + disk + "\n"
                    + "insert into t values (6);\n" // the write fails: the buffer stops
                    + "select 'second sync ' || litestream_sync();\n"
                    + "select 'pending ' || json_extract(litestream_status(), '$.pending_commits');\n", root);
            System.out.println("stdout: " + r.out().strip() + "\nstderr: " + r.err().strip());
            assertThat(r.out()).contains("first sync 0000000000000001");
            assertThat(r.err()).as("the insert on the aborted disk failed").contains("disk I/O error");
            assertThat(r.out()).as("no TXID as if the unforced commits were on the replica")
                    .doesNotContain("second sync");
            assertThat(r.err()).contains("sync failed: 3 committed transaction(s) of database \"")
                    .contains("are not on the replica and no sync of this process uploads them")
                    .contains("write buffer " + disk.resolve("app.buffer"))
                    .contains("were never forced (durability none)");
        } finally {
            RootMounts.umount(disk);
        }
    }
}
