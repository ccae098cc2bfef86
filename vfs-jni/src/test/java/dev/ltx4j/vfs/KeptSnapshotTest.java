package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kept snapshots (docs/concurrent-readers.md): a connection whose read transactions find nothing changed reuses its
 * last pin, and C answers SQLite's file-size call and change-counter probe from what Java gave for that pin. A stale
 * answer would show here: after another connection commits (growing the file, or rewriting a row in place so only the
 * change counter tells), a sync moves the pages, a refresh, or a follower poll, the next read transaction of a reader
 * that kept its snapshot must see the change, with the page count of the new state.
 */
class KeptSnapshotTest {
    @TempDir
    Path dir;

    private LitestreamVfs.Registration writer(String name, Duration syncInterval) throws Exception {
        return LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString()).writeEnabled(true)
                .syncInterval(syncInterval)
                .bufferPath(Files.createDirectories(dir.resolve("buf")).resolve("buffer")).register(name);
    }

    @Test
    void aReaderSeesEveryCommitOfAnotherConnectionInItsNextTransaction() throws Exception {
        LitestreamVfs.Registration vfs = writer("kept-commits", Duration.ofHours(1));
        Path db = dir.resolve("app.db");
        try (Connection w = vfs.connect(db); Connection r = vfs.connect(db);
             Statement ws = w.createStatement(); Statement rs = r.createStatement()) {
            ws.execute("create table t(id integer primary key, v text not null)");
            ws.execute("insert into t values (0, 'v0')");
            for (int i = 1; i <= 150; i++) {
                // Twice each: the second read transaction reuses the first one's kept snapshot.
                for (int twice = 0; twice < 2; twice++) {
                    assertThat(longOf(rs, "select count(*) from t")).as("rows before commit %d", i).isEqualTo(i);
                    assertThat(stringOf(rs, "select v from t where id = 0")).isEqualTo("v" + (i - 1));
                    assertThat(longOf(rs, "pragma page_count")).isEqualTo(longOf(ws, "pragma page_count"));
                }
                if (i % 3 == 0) {
                    ws.execute("update t set v = 'v" + i + "' where id = 0"); // same size: only the counter moves
                    ws.execute("insert into t values (" + i + ", 'x')");
                } else {
                    // Grows the file: a stale size would hide the new pages (or fail as corrupt).
                    ws.execute("begin");
                    ws.execute("insert into t values (" + i + ", printf('%.3000c', 'y'))");
                    ws.execute("update t set v = 'v" + i + "' where id = 0");
                    ws.execute("commit");
                }
            }
            ws.execute("delete from t where id > 0 and id % 2 = 0"); // shrinks the database: page count drops
            ws.execute("vacuum");
            assertThat(longOf(rs, "select count(*) from t")).isEqualTo(76);
            assertThat(longOf(rs, "pragma page_count")).isEqualTo(longOf(ws, "pragma page_count"));
            assertThat(stringOf(rs, "pragma integrity_check")).isEqualTo("ok");
        }
    }

    @Test
    void syncsRefreshAndAnotherConnectionsTransactionsMoveTheSnapshotToo() throws Exception {
        LitestreamVfs.Registration vfs = writer("kept-syncs", Duration.ofHours(1));
        Path db = dir.resolve("app.db");
        try (Connection w = vfs.connect(db); Connection r = vfs.connect(db);
             Statement ws = w.createStatement(); Statement rs = r.createStatement()) {
            ws.execute("create table t(id integer primary key, v text not null)");
            for (int i = 1; i <= 40; i++) {
                ws.execute("insert into t values (" + i + ", printf('%.2000c', 'z'))");
                assertThat(longOf(rs, "select count(*) from t")).isEqualTo(i);
                if (i % 4 == 0) {
                    stringOf(ws, "select litestream_sync()"); // uploads and moves local pages to a new buffer file
                    assertThat(longOf(rs, "select count(*) from t")).isEqualTo(i);
                    assertThat(stringOf(rs, "pragma integrity_check")).isEqualTo("ok");
                }
            }
            assertThat(stringOf(rs, "select litestream_txid()")).isEqualTo(stringOf(ws, "select litestream_txid()"));
            stringOf(rs, "pragma litestream_refresh");
            assertThat(longOf(rs, "select count(*) from t")).isEqualTo(40);
            ws.execute("insert into t values (41, 'after refresh')");
            assertThat(stringOf(rs, "select v from t where id = 41")).isEqualTo("after refresh");
        }
    }

    @Test
    void aFollowerSeesWhatItsPollBroughtInItsNextTransaction() throws Exception {
        LitestreamVfs.Registration vfs = writer("kept-source", Duration.ofHours(1));
        LitestreamVfs.Registration follower = LitestreamVfs.builder()
                .replica(dir.resolve("replica").toUri().toString()).pollInterval(Duration.ofHours(1))
                .register("kept-follower");
        Path db = dir.resolve("app.db");
        try (Connection w = vfs.connect(db); Statement ws = w.createStatement()) {
            ws.execute("create table t(id integer primary key, v text not null)");
            ws.execute("insert into t values (1, 'one')");
            stringOf(ws, "select litestream_sync()");
            try (Connection f = follower.connect(db); Statement fs = f.createStatement();
                 Connection p = follower.connect(db); Statement ps = p.createStatement()) {
                assertThat(longOf(fs, "select count(*) from t")).isEqualTo(1);
                for (int i = 2; i <= 20; i++) {
                    ws.execute("insert into t values (" + i + ", printf('%.1500c', 'f'))");
                    stringOf(ws, "select litestream_sync()");
                    // Another connection of the follower polls (read mode: litestream_sync() polls once), so nothing
                    // on the reading connection itself ends its kept snapshot.
                    stringOf(ps, "select litestream_sync()");
                    assertThat(longOf(fs, "select count(*) from t")).as("after the poll").isEqualTo(i);
                    assertThat(longOf(fs, "pragma page_count")).isEqualTo(longOf(ws, "pragma page_count"));
                }
            }
        }
    }

    private static long longOf(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            assertThat(r.next()).as(sql).isTrue();
            return r.getLong(1);
        }
    }

    private static String stringOf(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            assertThat(r.next()).as(sql).isTrue();
            return r.getString(1);
        }
    }
}
