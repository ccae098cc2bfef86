package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read transaction overtaken by another connection's commit must not become a write transaction, also while the
 * database is conflicted. The simulator's sql-readers scenario (seeds 642 and 748) found that the stale-snapshot check
 * at the write lock was skipped when a conflict refused the write session: an UPDATE on the stale snapshot that
 * matched no row (the row came with the overtaking commit) changed nothing, so nothing reached the conflict refusal
 * at commit, and the transaction was acknowledged although what it read and decided on was no longer the database.
 * WAL mode refuses such a write with SQLITE_BUSY_SNAPSHOT; so must the VFS.
 */
class StaleSnapshotWhileConflictedTest {
    @TempDir
    Path dir;

    @Test
    void aWriteOnASnapshotOvertakenBeforeAConflictIsRefused() throws Exception {
        String replica = dir.resolve("replica").toUri().toString();
        LitestreamVfs.Registration mine = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .syncInterval(Duration.ofHours(1))
                .bufferPath(Files.createDirectories(dir.resolve("w0")).resolve("buffer")).register("sswc0");
        LitestreamVfs.Registration rivals = Replicas.rival(replica, "sswc1").writeEnabled(true)
                .syncInterval(Duration.ofHours(1))
                .bufferPath(Files.createDirectories(dir.resolve("w1")).resolve("buffer")).register("sswc1");
        String url = mine.jdbcUrl(dir.resolve("w0.db"));
        try (Connection c = DriverManager.getConnection(url)) {
            Sql.exec(c, "create table t(id integer primary key, v text)", "insert into t values (1, 'base')");
            Sql.text(c, "select litestream_sync()");
        }
        try (Connection reader = DriverManager.getConnection(url); Connection other = DriverManager.getConnection(url);
                Connection rival = DriverManager.getConnection(rivals.jdbcUrl(dir.resolve("w1.db")))) {
            reader.setAutoCommit(false);
            assertThat(Sql.number(reader, "select count(*) from t where id = 7")).isZero(); // pinned: no row 7
            Sql.exec(other, "insert into t values (7, 'other')"); // committed locally, overtakes the reader
            Sql.exec(rival, "insert into t values (100, 'rival')");
            Sql.text(rival, "select litestream_sync()"); // the rival's TXID lands first
            assertThatThrownBy(() -> Sql.text(other, "select litestream_sync()")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("conflict"); // conflicted now, the reader's transaction still open

            assertThatThrownBy(() -> {
                try (Statement s = reader.createStatement()) {
                    s.executeUpdate("update t set v = 'reader' where id = 7"); // no row 7 in its snapshot
                }
                reader.commit();
            }).isInstanceOf(SQLException.class).hasMessageContaining("BUSY_SNAPSHOT");
            abort(reader);
            assertThat(Sql.text(reader, "select v from t where id = 7")).isEqualTo("other");
        }
    }

    /** Ends the refused transaction as an application would (SQLite may have rolled it back already). */
    private static void abort(Connection c) {
        try {
            c.rollback();
        } catch (SQLException alreadyRolledBack) {
            // no transaction is active
        }
        try {
            c.setAutoCommit(true);
        } catch (SQLException alreadyRolledBack) {
            // no transaction is active
        }
    }
}
