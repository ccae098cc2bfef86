package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A conflict detected while a connection's write transaction is open (its write session started before it): the
 * COMMIT writes its pages into a conflicted database. The simulator's sql scenario (seeds 83 and 432) found that
 * refusing those page writes left SQLite's rollback unable to restore its cache: the connection kept showing the
 * refused transaction, and its next transaction was acknowledged without ever reaching the engine, so the refresh
 * dropped an acknowledged commit that no conflict file held. The commit must fail, the connection must show what
 * the engine holds, and later commits must fail with the conflict until a refresh.
 */
class ConflictDuringCommitTest {
    @TempDir
    Path dir;

    @Test
    void aCommitRefusedByAConflictLeavesNoPhantomAndNothingAcknowledgedUnkept() throws Exception {
        String replica = dir.resolve("replica").toUri().toString();
        List<LitestreamVfs.Registration> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            writers.add((w == 0 ? LitestreamVfs.builder().replica(replica) : Replicas.rival(replica, "cdc" + w))
                    .writeEnabled(true).syncInterval(Duration.ofHours(1))
                    .bufferPath(Files.createDirectories(dir.resolve("w" + w)).resolve("buffer")).register("cdc" + w));
        }
        String url0 = writers.get(0).jdbcUrl(dir.resolve("w0.db"));
        String url1 = writers.get(1).jdbcUrl(dir.resolve("w1.db"));
        try (Connection c = DriverManager.getConnection(url0)) {
            Sql.exec(c, "create table t(id integer primary key, v text)");
            for (int i = 0; i < 45; i++) {
                Sql.exec(c, "insert into t values (" + (1000 + i) + ", printf('%.1500c', 'x'))");
            }
            Sql.text(c, "select litestream_sync()");
        }
        try (Connection c = DriverManager.getConnection(url0); Connection other = DriverManager.getConnection(url0);
                Connection rival = DriverManager.getConnection(url1)) {
            Sql.exec(other, "insert into t values (50, 'pending')"); // pending in writer 0's buffer
            List<Long> before = ids(c);
            c.setAutoCommit(false);
            Sql.exec(c, "delete from t"); // write session open, pages still in SQLite's cache
            Sql.exec(c, "insert into t values (1, 'refused')");
            Sql.exec(rival, "insert into t values (100, 'rival')");
            Sql.text(rival, "select litestream_sync()"); // the rival's TXID lands first
            assertThatThrownBy(() -> Sql.text(other, "select litestream_sync()"))
                    .isInstanceOf(SQLException.class); // writer 0 is conflicted now, c's transaction still open

            assertThatThrownBy(c::commit).isInstanceOf(SQLException.class).hasMessageContaining("BUSY_SNAPSHOT");
            abort(c);
            assertThat(ids(c)).as("the refused transaction is not shown").isEqualTo(before);
            assertThatThrownBy(() -> Sql.exec(c, "insert into t values (2, 'later')")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("BUSY_SNAPSHOT");
            assertThat(ids(c)).isEqualTo(before);
        }
    }

    /** Ends the refused transaction as an application would (SQLite rolled it back itself already). */
    private static void abort(Connection c) {
        try {
            c.rollback();
        } catch (SQLException alreadyRolledBack) {
            // no transaction is active
        }
        try {
            c.setAutoCommit(true);
        } catch (SQLException alreadyRolledBack) {
            // sqlite-jdbc's COMMIT on switching: no transaction is active
        }
    }

    private static List<Long> ids(Connection c) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select id from t order by id")) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }
}
