package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * The crossings into Java of a durable autocommit INSERT (docs/group-commit.md, "Crossings of a commit"): the write
 * transaction's begin, the two page writes, commit phase one and the commit itself. The read transaction around it
 * is the one the connection's previous commit re-pinned, kept in C while nothing else changed, and SQLite's
 * change-counter probe of it is answered from the page 1 that commit wrote (before: 8 crossings, with that probe, the
 * pin and the unpin). Counts, not timings. Keeping that snapshot must not hide other connections' commits, nor let
 * an explicit transaction write on it after another connection committed.
 */
class CommitCrossingsTest {
    private static final int COMMITS = 200;

    @TempDir
    Path dir;

    private LitestreamVfs.Registration writer(String name) throws Exception {
        return LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1))
                .bufferPath(Files.createDirectories(dir.resolve("buf")).resolve("buffer")).register(name);
    }

    @Test
    void anAutocommitInsertCrossesIntoJavaFiveTimes() throws Exception {
        LitestreamVfs.Registration vfs = writer("crossings-one");
        try (Connection w = vfs.connect(dir.resolve("app.db")); Statement s = w.createStatement()) {
            s.execute("create table t(id integer primary key, v text not null)");
            for (int i = 0; i < 20; i++) s.execute("insert into t(v) values ('warm')");
            long[] before = LitestreamVfs.nativeCounters();
            for (int i = 0; i < COMMITS; i++) s.execute("insert into t(v) values ('row " + i + "')");
            long[] after = LitestreamVfs.nativeCounters();
            long crossings = after[2] - before[2];
            long reads = after[0] - before[0];
            long writes = after[1] - before[1];
            assertThat(writes).as("page writes").isEqualTo(2L * COMMITS);
            assertThat(reads).as("reads crossing into Java (the change-counter probe)").isZero();
            assertThat(crossings).as("crossings for %d commits", COMMITS).isEqualTo(5L * COMMITS);
            assertThat(longOf(s, "select count(*) from t")).isEqualTo(20 + COMMITS);
        }
    }

    @Test
    void theSnapshotKeptAfterACommitFollowsOtherConnectionsCommits() throws Exception {
        LitestreamVfs.Registration vfs = writer("crossings-two");
        Path db = dir.resolve("app.db");
        try (Connection a = vfs.connect(db); Connection b = vfs.connect(db);
             Statement as = a.createStatement(); Statement bs = b.createStatement()) {
            as.execute("create table t(id integer primary key, v text not null)");
            for (int i = 1; i <= 60; i++) {
                as.execute("insert into t(v) values ('a" + i + "')");
                if (i % 2 == 0) {
                    bs.execute("insert into t(v) values ('b" + i + "')"); // a's kept snapshot is now superseded
                    assertThat(longOf(as, "select count(*) from t")).as("a after b's commit %d", i).isEqualTo(i + i / 2);
                } else {
                    assertThat(longOf(as, "select count(*) from t")).as("a after its own commit %d", i)
                            .isEqualTo(i + i / 2);
                }
                assertThat(longOf(as, "pragma page_count")).isEqualTo(longOf(bs, "pragma page_count"));
            }
            // An explicit transaction that read on the kept snapshot and writes after b committed is refused, as in WAL.
            as.execute("insert into t(v) values ('a-last')");
            as.execute("begin");
            long seen = longOf(as, "select count(*) from t");
            bs.execute("insert into t(v) values ('b-last')");
            assertThatThrownBy(() -> as.execute("insert into t(v) values ('a-stale')"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("SQLITE_BUSY_SNAPSHOT");
            as.execute("rollback");
            assertThat(longOf(as, "select count(*) from t")).isEqualTo(seen + 1);
            assertThat(stringOf(as, "pragma integrity_check")).isEqualTo("ok");
        }
    }

    private static long longOf(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static String stringOf(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }
}
