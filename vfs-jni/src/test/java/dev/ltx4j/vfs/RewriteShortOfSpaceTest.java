package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The buffer's rewrite after a sync needs space for the transactions committed after the synced ones. When it ran
 * out of space, every commit accepted meanwhile made the next attempt need more: an application that kept writing
 * took any space freed before the sync could use it, and the replica never caught up (probe round 4, a real tmpfs
 * through sqlite-jdbc). New transactions are now held back (SQLITE_FULL, saying why) until a rewrite succeeds.
 */
class RewriteShortOfSpaceTest {
    @TempDir
    Path dir;

    @Test
    void theReplicaCatchesUpOnceSpaceIsFreedWhileTheApplicationKeepsWriting() throws Exception {
        Path small = dir.resolve("small");
        RootMounts.tmpfs(small, "size=2m");
        String replica = dir.resolve("replica").toUri().toString();
        try {
            Path reserve = small.resolve("reserve");
            LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                    .syncInterval(Duration.ofHours(1)).bufferPath(small.resolve("buffer")).register("rewrite-space");
            int acknowledged = 0;
            List<String> refusals = new ArrayList<>();
            boolean caughtUp = false;
            try (Connection c = vfs.connect(dir.resolve("app.db"))) {
                exec(c, "create table t(id integer primary key, v blob)");
                text(c, "select litestream_sync()");
                Files.write(reserve, new byte[600 * 1024]); // what the operator frees later
                for (int i = 0; i < 100 && insert(c); i++) {
                    acknowledged++;
                }
                fill(small.resolve("top-off")); // not a byte left: the sync uploads, its rewrite cannot start
                assertThat(acknowledged).isPositive();
                assertThat(sync(c)).as("the sync's rewrite finds no space").isNotNull().contains("space");
                Files.delete(reserve);
                Files.delete(small.resolve("top-off"));
                // The application keeps writing between syncs (up to 20 rows, about 1 MB, or until refused), as a
                // pool under load would: before, its first round took the freed space and no sync completed again.
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < 20; i++) {
                        if (!insert(c)) {
                            refusals.add(text(c, "pragma litestream_last_error"));
                            break;
                        }
                        acknowledged++;
                    }
                    caughtUp |= sync(c) == null;
                }
                assertThat(sync(c)).as("a final sync").isNull();
                assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            }
            // Before: every sync after the freed space failed ("no space left ... of .../buffer.next").
            assertThat(caughtUp).as("a sync completed after space was freed").isTrue();
            assertThat(refusals).as("held back, saying why").anySatisfy(m -> assertThat(m)
                    .contains("holds new transactions back", "rewrite after the last sync ran out of disk space"));
            LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(replica).register("rewrite-space-reader");
            try (Connection r = reader.connect(dir.resolve("reader.db"))) {
                assertThat(text(r, "select count(*) from t")).isEqualTo(String.valueOf(acknowledged));
            }
        } finally {
            RootMounts.umount(small);
        }
    }

    /** One 50 KB row; false when SQLITE_FULL refused it. */
    private static boolean insert(Connection c) throws SQLException {
        try {
            exec(c, "insert into t(v) values (randomblob(50000))");
            return true;
        } catch (org.sqlite.SQLiteException e) {
            assertThat(e.getResultCode().code).as("SQLITE_FULL: %s", e.getMessage()).isEqualTo(13);
            return false;
        }
    }

    /** Null when the sync succeeded, else its message. */
    private static String sync(Connection c) {
        try {
            text(c, "select litestream_sync()");
            return null;
        } catch (SQLException e) {
            return String.valueOf(e.getMessage());
        }
    }

    private static void fill(Path file) {
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] block = new byte[4096];
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            // the disk is full
        }
    }
}
