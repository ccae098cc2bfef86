package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool connection whose transaction read and then wrote after another connection of the process committed gets
 * SQLITE_BUSY_SNAPSHOT, as in WAL mode. The replica did not move, so the advice is to run it again, not the replica
 * conflict's refresh (which syncs, drops the cache and reloads the replica: a 24-thread HikariCP probe met this
 * refusal about 100 times a second).
 */
class StaleReadAdviceTest {
    @TempDir
    Path dir;

    @Test
    void aTransactionOvertakenByAnotherConnectionIsToldToRunAgainNotToRefresh() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString())
                .writeEnabled(true).syncInterval(Duration.ofHours(1))
                .bufferPath(Files.createDirectories(dir.resolve("b")).resolve("buffer")).register("stale-read");
        LitestreamDataSource ds = vfs.dataSource(dir.resolve("app.db"));
        try (LitestreamDatabase db = vfs.database(dir.resolve("app.db")); Connection a = ds.getConnection();
                Connection b = ds.getConnection()) {
            exec(a, "create table t(v)");
            a.setAutoCommit(false);
            try (Statement s = a.createStatement()) {
                s.executeQuery("select count(*) from t").close(); // a's read transaction begins
                exec(b, "insert into t values ('b')"); // b commits after it
                SQLException e = Assertions.assertThrows(SQLException.class,
                        () -> s.executeUpdate("insert into t values ('a')"));
                assertThat((Throwable) e).isInstanceOf(LitestreamConflictException.class);
                assertThat(LitestreamConflictException.isConflict(e)).isTrue(); // retryOnConflict still retries it
                // Before: "...; recover with LitestreamDatabase.refresh() (or PRAGMA litestream_refresh) ..."
                assertThat(e.getMessage()).contains("run the transaction again", "no refresh needed",
                        "BEGIN IMMEDIATE").doesNotContain("LitestreamDatabase.refresh()");
            } finally {
                a.rollback();
                a.setAutoCommit(true);
            }
            assertThat(db.status().conflict()).isNull();
            exec(a, "insert into t values ('a')");
            assertThat(text(b, "select group_concat(v, ',') from t")).isEqualTo("b,a");
        }
    }
}
