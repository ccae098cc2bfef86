package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.storage.StorageFullException;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.vfs.engine.EngineVfsDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk under the write buffer fails the commit with SQLITE_FULL; once space is freed the next commit on the
 * same connections succeeds, without closing them, and nothing acknowledged before is lost (on a real tmpfs).
 */
class FullDiskRecoveryTest {
    @TempDir
    Path dir;

    private String replicaUrl() {
        return dir.resolve("replica").toUri().toString();
    }

    @Test
    void theNextCommitAfterSpaceIsFreedSucceedsWithoutClosingConnections() throws Exception {
        Path small = dir.resolve("small");
        RootMounts.tmpfs(small, "size=1m");
        try {
            Path buffer = small.resolve("buffer");
            Path filler = small.resolve("filler");
            LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true)
                    .syncInterval(Duration.ofHours(1)).bufferPath(buffer).register("full-disk-recovery");
            Path db = dir.resolve("full.db");
            int acknowledged = 0;
            try (Connection c = vfs.connect(db); Connection other = vfs.connect(db)) {
                exec(c, "create table t(id integer primary key, v blob)");
                text(c, "select litestream_sync()"); // the buffer is rewritten empty: the log starts small
                Files.write(filler, new byte[300 * 1024]);
                boolean full = false;
                for (int i = 0; i < 100 && !full; i++) {
                    try {
                        exec(c, "insert into t(v) values (randomblob(50000))");
                        acknowledged++;
                    } catch (org.sqlite.SQLiteException e) {
                        assertThat(e.getResultCode().code).as("SQLITE_FULL: %s", e.getMessage()).isEqualTo(13);
                        full = true;
                    }
                }
                assertThat(full).as("the disk filled up").isTrue();
                assertThat(acknowledged).isPositive();
                assertThat(text(other, "select count(*) from t")).isEqualTo(String.valueOf(acknowledged));
                // Still full: the next commit fails the same way, the earlier ones stay.
                assertThatThrownBy(() -> exec(other, "insert into t(v) values (randomblob(50000))"))
                        .isInstanceOfSatisfying(org.sqlite.SQLiteException.class,
                                e -> assertThat(e.getResultCode().code).isEqualTo(13));
                Files.delete(filler); // space is back
                exec(c, "insert into t(v) values (randomblob(50000))");
                exec(other, "insert into t(v) values (randomblob(50000))");
                acknowledged += 2;
                assertThat(text(c, "select count(*) from t")).isEqualTo(String.valueOf(acknowledged));
                assertThat(text(other, "pragma integrity_check")).isEqualTo("ok");
                assertThat(text(c, "select json_extract(litestream_status(), '$.last_error')")).isNull();
                text(c, "select litestream_sync()");
            }
            // A fresh reader of the replica sees every acknowledged commit.
            LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(replicaUrl()).register("full-reader");
            try (Connection r = reader.connect(dir.resolve("reader.db"))) {
                assertThat(text(r, "select count(*) from t")).isEqualTo(String.valueOf(acknowledged));
            }
        } finally {
            RootMounts.umount(small);
        }
    }

    @Test
    void aFullDiskIsSqliteFullWhateverTheLanguageOfTheErrorText() throws Exception {
        String url = dir.resolve("empty-replica").toUri().toString();
        Files.createDirectories(dir.resolve("empty-replica"));
        try (EngineVfsDatabase v = new EngineVfsDatabase(new DatabaseRegistry().acquire("test", "db",
                () -> Database.open(ReplicaClients.open(url, ReplicaEnvironment.system()), "db",
                        EngineOptions.builder().writeEnabled(true).bufferPath(dir.resolve("buffer")).build())),
                Clock.systemUTC())) {
            IOException german = new IOException("Auf dem Gerät ist kein Speicherplatz mehr verfügbar");
            assertThat(v.classify(new IOException("commit failed",
                    new StorageFullException("/x/buffer", "write of 4096 bytes failed", german))))
                    .isEqualTo(VfsDatabase.Failure.FULL);
            assertThat(v.classify(new IOException("No space left on device"))).isEqualTo(VfsDatabase.Failure.FULL);
            assertThat(v.classify(german)).as("an untyped translated text is no evidence")
                    .isEqualTo(VfsDatabase.Failure.IO);
        }
    }
}
