package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe (docs/field-probes.md, round 5): the buffer's disk goes read-only (the kernel remounts ext4 so after an
 * I/O error) while the buffer holds acknowledged, unsynced transactions; the replica was unreachable at exit. The next
 * open said only that the buffer path "is not writable"; it now says the transactions are still in it and how to get
 * them uploaded, and that way works: a copy on a writable disk named by buffer_path syncs every row.
 */
class ReadOnlyBufferDiskTest {
    @TempDir
    Path dir;

    private static int run(String... cmd) throws Exception {
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }

    @Test
    void aBufferOnAReadOnlyDiskSaysItsTransactionsAreKeptAndACopyUploadsThem() throws Exception {
        Path bufferDisk = dir.resolve("bufdisk");
        Path replicaDisk = dir.resolve("repdisk");
        RootMounts.tmpfs(bufferDisk, "size=4m");
        try {
            RootMounts.tmpfs(replicaDisk, "size=4m");
            try {
                story(bufferDisk, replicaDisk);
            } finally {
                RootMounts.umount(replicaDisk);
            }
        } finally {
            RootMounts.umount(bufferDisk);
        }
    }

    /**
     * A world-writable directory without the sticky bit (a Kubernetes emptyDir root, a CIFS mount with
     * dir_mode=0777) is warned about, not refused: the database opens and writes (field probes, round 5).
     */
    @Test
    void aBufferPathInAWorldWritableDirectoryOpensWithAWarning() throws Exception {
        assumeTrue(java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("unix"),
                "no unix modes here");
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Files.setAttribute(shared, "unix:mode", 0777);
        Path buffer = shared.resolve("app.buffer");
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("r").toUri().toString())
                .writeEnabled(true).bufferPath(buffer).register("world-writable-dir");
        try (Connection c = vfs.connect(dir.resolve("app.db"))) {
            Sql.exec(c, "create table t(v)");
            Sql.exec(c, "insert into t values (1)");
            assertThat(Sql.text(c, "select count(*) from t")).isEqualTo("1");
        } finally {
            vfs.unregister();
        }
        assertThat(buffer).exists();
        assertThat(dev.ltx4j.pagestore.BufferPathException.sharedDirectoryWarning(buffer))
                .contains("chmod o-w " + shared);
    }

    private void story(Path bufferDisk, Path replicaDisk) throws Exception {
        String replica = replicaDisk.resolve("r").toUri().toString();
        Path buffer = bufferDisk.resolve("app.buffer");
        Path db = dir.resolve("app.db");
        LitestreamVfs.Registration writer = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(buffer).register("ro-buffer-writer");
        try (Connection c = writer.connect(db)) {
            Sql.exec(c, "create table t(v)");
            Sql.text(c, "select litestream_sync()");
            for (int i = 0; i < 5; i++) {
                Sql.exec(c, "insert into t values (" + i + ")");
            }
            // The replica becomes unreachable: the last close keeps the five transactions in the buffer.
            assertThat(run("mount", "-o", "remount,ro", replicaDisk.toString())).isZero();
        } catch (SQLException expectedAtClose) {
            System.out.println("close: " + expectedAtClose.getMessage());
        } finally {
            writer.unregister();
        }
        assertThat(run("mount", "-o", "remount,ro", bufferDisk.toString())).isZero();
        assertThat(run("mount", "-o", "remount,rw", replicaDisk.toString())).isZero();
        LitestreamVfs.Registration again = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(buffer).register("ro-buffer-again");
        try {
            assertThatThrownBy(() -> again.connect(db).close()).isInstanceOf(SQLException.class)
                    .satisfies(e -> System.out.println("open: " + e.getMessage()))
                    .hasMessageContaining(buffer + " is not writable")
                    .hasMessageContaining("unsynced transactions, if any, are still in it")
                    .hasMessageContaining("copy " + buffer + " to a writable disk");
        } finally {
            again.unregister();
        }
        Path copy = Files.copy(buffer, dir.resolve("copy.buffer"));
        LitestreamVfs.Registration fromCopy = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(copy).register("ro-buffer-copy");
        try (Connection c = fromCopy.connect(db)) {
            Sql.text(c, "select litestream_sync()");
        } finally {
            fromCopy.unregister();
        }
        LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(replica).register("ro-buffer-reader");
        try (Connection c = reader.connect(dir.resolve("reader.db"))) {
            assertThat(Sql.text(c, "select count(*) || ',' || sum(v) from t")).isEqualTo("5,10");
        } finally {
            reader.unregister();
        }
    }
}
