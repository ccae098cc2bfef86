package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe (docs/field-probes.md, round 6): the buffer's disk fails under a connection a pool keeps open (an ext4
 * loop image on a small tmpfs that fills: the kernel's writeback fails, fsync returns EIO, ext4 goes read-only). The
 * insert whose fsync failed gets SQLITE_IOERR; the inserts acknowledged before it were durable, but the sync refused
 * the whole stopped buffer until the process reopened it, which a pool never does. Now the sync on the same
 * connection uploads every acknowledged insert and nothing else, and litestream_status() says so.
 */
class FailedFsyncDurablePrefixTest {
    @TempDir
    Path dir;

    private static int run(String... cmd) throws Exception {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor();
    }

    @Test
    void theSyncAfterAFailedFsyncUploadsEveryAcknowledgedInsertAndNotTheFailedOne() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/mkfs.ext4")) || Files.isExecutable(Path.of("/sbin/mkfs.ext4")),
                "no mkfs.ext4");
        Path backing = Files.createDirectories(dir.resolve("backing"));
        Path disk = Files.createDirectories(dir.resolve("disk"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", backing.toString()) == 0,
                "cannot mount a tmpfs here");
        try {
            Path image = backing.resolve("ext4.img");
            assertThat(run("truncate", "-s", "32M", image.toString())).isZero();
            assertThat(run("mkfs.ext4", "-q", "-F", image.toString())).isZero();
            assumeTrue(run("mount", "-o", "loop", image.toString(), disk.toString()) == 0, "no loop devices here");
            try {
                story(disk.resolve("app.buffer"), backing.resolve("filler"));
            } finally {
                if (run("umount", disk.toString()) != 0) {
                    run("umount", "-l", disk.toString());
                }
            }
        } finally {
            run("umount", "-l", backing.toString());
        }
    }

    private void story(Path buffer, Path filler) throws Exception {
        String replica = dir.resolve("replica").toUri().toString();
        Path db = dir.resolve("app.db");
        LitestreamVfs.Registration writer = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(buffer).register("failed-fsync-writer");
        int acknowledged = 0;
        SQLException failed = null;
        String status;
        try (Connection c = writer.connect(db)) {
            Sql.exec(c, "create table t(v, pad)");
            for (; acknowledged < 10; acknowledged++) {
                Sql.exec(c, "insert into t values (" + acknowledged + ", randomblob(3000))");
            }
            Sql.text(c, "select litestream_sync()");
            for (; acknowledged < 30; acknowledged++) { // durable in the buffer, not yet synced
                Sql.exec(c, "insert into t values (" + acknowledged + ", randomblob(3000))");
            }
            assertThat(run("dd", "if=/dev/zero", "of=" + filler, "bs=64k")).isNotZero(); // the backing disk is full
            for (int i = 0; i < 2000 && failed == null; i++) { // blocks already allocated still take a few
                try {
                    Sql.exec(c, "insert into t values (" + acknowledged + ", randomblob(3000))");
                    acknowledged++;
                } catch (SQLException e) {
                    failed = e;
                }
            }
            assertThat((Object) failed).as("the failing disk refused a commit").isNotNull();
            System.out.println("failed commit: " + failed.getMessage());
            Sql.text(c, "select litestream_sync()"); // the same pooled connection: no reopen
            status = Sql.text(c, "select litestream_status()");
            System.out.println("status: " + status);
            try { // the way the status names: on the disk gone read-only the buffer cannot be reopened (probe)
                System.out.println("refresh: " + Sql.text(c, "pragma litestream_refresh"));
            } catch (SQLException e) {
                System.out.println("refresh failed: " + e.getMessage());
            }
            System.out.println("status after refresh: " + Sql.text(c, "select litestream_status()"));
            try {
                Sql.exec(c, "insert into t values (-1, 0)");
                System.out.println("insert after refresh: ok");
            } catch (SQLException e) {
                System.out.println("insert after refresh: " + e.getMessage());
            }
        } catch (SQLException closing) {
            System.out.println("close: " + closing.getMessage()); // the stopped buffer refuses close's force
            status = null;
        } finally {
            writer.unregister();
        }
        assertThat(status).as("the sync succeeded and the connection closed").isNotNull();
        assertThat(status).contains("uploaded through").contains("failed their commit");
        LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(replica).register("failed-fsync-reader");
        try (Connection c = reader.connect(dir.resolve("reader.db"))) {
            assertThat(Sql.number(c, "select count(*) from t")).as("every acknowledged insert, not the failed one")
                    .isEqualTo(acknowledged);
            assertThat(Sql.number(c, "select max(v) from t")).isEqualTo(acknowledged - 1);
        } finally {
            reader.unregister();
        }
    }
}
