package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pager deletes {@code <db>-journal} at every commit; an engine database's journal is in memory, so only the
 * first delete after an open reaches the disk (it sweeps a journal left by an older build or another program) and
 * the later ones skip their unlink system call. Observable: a journal file that appears after that first delete
 * stays (hidden from SQLite), and the next open sweeps it.
 */
class JournalDeleteTest {
    @TempDir
    Path dir;

    @Test
    void onlyTheFirstJournalDeleteOfAnOpenReachesTheDiskAndTheJournalStaysHidden() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString())
                .writeEnabled(true).syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("buffer"))
                .register("journal-delete");
        Path db = dir.resolve("app.db");
        Path journal = dir.resolve("app.db-journal");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            exec(c, "create table t(id integer primary key, v text)", "insert into t(v) values ('one')");
            // Garbage where a hot journal would be: never read (xAccess hides it), and no longer unlinked per commit.
            Files.write(journal, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
            for (int i = 0; i < 5; i++) {
                exec(c, "insert into t(v) values ('more')");
            }
            assertThat(journal).as("later commits of this open skip the unlink").exists();
            assertThat(number(c, "select count(*) from t")).isEqualTo(6);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
        }
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            assertThat(number(c, "select count(*) from t")).isEqualTo(6);
            exec(c, "insert into t(v) values ('after reopen')");
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
        }
        assertThat(journal).as("the first commit of the next open sweeps it").doesNotExist();
    }
}
