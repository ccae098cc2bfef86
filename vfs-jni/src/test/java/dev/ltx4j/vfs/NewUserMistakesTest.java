package dev.ltx4j.vfs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a new user gets wrong with only the README and the seed (docs/field-probes.md, "Round 8: a new user"), and
 * what the refusal must then say.
 */
class NewUserMistakesTest {
    @TempDir
    Path dir;

    /**
     * One {@code LITESTREAM_BUFFER_PATH} for two databases of different replicas: the second open meets the buffer's
     * lock. Before: "replica B is being written by another writer", which nobody does; the buffer was the problem.
     */
    @Test
    void oneBufferPathForTwoReplicasNamesTheBufferNotARivalOfTheReplica() throws Exception {
        Path real = dir.toRealPath();
        Path buffer = real.resolve("one.buffer");
        String replicaA = Files.createDirectories(real.resolve("replica-a")).toUri().toString();
        String replicaB = Files.createDirectories(real.resolve("replica-b")).toUri().toString();
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().writeEnabled(true).bufferPath(buffer)
                .syncInterval(Duration.ofHours(1)).register("newuser-one-buffer");
        try (Connection a = vfs.connect(real.resolve("a.db"), Map.of("replica_url", replicaA))) {
            Sql.exec(a, "create table t(v)", "insert into t values (1)");
            assertThatThrownBy(() -> {
                try (Connection b = vfs.connect(real.resolve("b.db"), Map.of("replica_url", replicaB))) {
                    Sql.exec(b, "create table t(v)");
                }
            }).isInstanceOf(SQLException.class)
                    .satisfies(e -> System.out.println("refusal: " + e.getMessage()))
                    .hasMessageContaining(buffer.toString())
                    .hasMessageContaining("VFS setting buffer_path")
                    .hasMessageContaining("a buffer of its own")
                    .hasMessageNotContaining("is being written by another writer");
            Sql.exec(a, "insert into t values (2)"); // the first database is untouched
            assertThat(Sql.text(a, "select count(*) from t")).isEqualTo("2");
        } finally {
            vfs.unregister();
        }
    }

    /**
     * The seed's troubleshooting line ("Permission errors on buffer path: ensure the buffer directory exists and is
     * writable"): a buffer path on a read-only disk, the file not there yet. Before: "LITESTREAM_BUFFER_PATH x is not
     * writable", naming neither the directory nor why.
     */
    @Test
    void aBufferPathInADirectoryThatCannotBeWrittenNamesTheDirectoryAndWhy() throws Exception {
        Path disk = dir.resolve("rodisk");
        RootMounts.tmpfs(disk, "size=1m,ro");
        try {
            Path buffer = disk.resolve("app.buffer");
            LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("r").toUri().toString())
                    .writeEnabled(true).bufferPath(buffer).register("newuser-ro-dir");
            try {
                assertThatThrownBy(() -> vfs.connect(dir.resolve("app.db")).close()).isInstanceOf(SQLException.class)
                        .satisfies(e -> System.out.println("refusal: " + e.getMessage()))
                        .hasMessageContaining("directory " + disk + " is not writable")
                        .hasMessageContaining("read-only file system");
            } finally {
                vfs.unregister();
            }
        } finally {
            RootMounts.umount(disk);
        }
    }

    /**
     * A read-only open ({@code ?mode=ro}) of a replica nobody synced yet, with write mode on. Before, the advice was
     * "enable LITESTREAM_WRITE_ENABLED to create it", which was enabled: the read-only open made it a follower.
     */
    @Test
    void aReadOnlyOpenOfAnEmptyReplicaSaysWhyItReads() throws Exception {
        Path real = dir.toRealPath();
        String replica = Files.createDirectories(real.resolve("empty")).toUri().toString();
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .register("newuser-ro-empty");
        try {
            assertThatThrownBy(() -> vfs.connect(real.resolve("app.db"), Map.of("mode", "ro")).close())
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> System.out.println("refusal: " + e.getMessage()))
                    .hasMessageContaining("holds no LTX files")
                    .hasMessageContaining("?mode=ro and sqlite3 -readonly always read");
        } finally {
            vfs.unregister();
        }
    }

    /** A Litestream v0.3 replica (only generations/) opened read-only: say it is v0.3's layout, not "write it". */
    @Test
    void aLitestreamV3ReplicaSaysItIsV3() throws Exception {
        Path real = dir.toRealPath();
        Path gen = Files.createDirectories(real.resolve("v3/generations/a1b2c3d4e5f60718/snapshots"));
        Files.write(gen.resolve("00000000.snapshot.lz4"), new byte[] {4});
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(real.resolve("v3").toUri().toString())
                .register("newuser-v3");
        try {
            assertThatThrownBy(() -> vfs.connect(real.resolve("app.db"), Map.of("mode", "ro")).close())
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> System.out.println("refusal: " + e.getMessage()))
                    .hasMessageContaining("it is a Litestream v0.3 replica, whose layout neither ltx4j nor Litestream"
                            + " 0.5 reads");
        } finally {
            vfs.unregister();
        }
    }
}
