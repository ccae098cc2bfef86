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
 * A connection in {@code locking_mode=EXCLUSIVE} bumps page 1's change counter once per lock, so its later commits
 * leave the 16 bytes SQLite probes at offset 24 as another connection last saw them. That connection must still drop
 * its page cache in its next read transaction: it used to keep it, and its next commit, built on pages from before
 * those commits, silently dropped their rows (docs/concurrent-readers.md, "Change counter of another state").
 */
class ExclusiveModeCommitsTest {
    @TempDir
    Path dir;

    private enum Then { CLOSE, KEEP_OPEN, BACK_TO_NORMAL }

    private void run(String name, int xCommits, Then then, boolean yExplicit) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString())
                .writeEnabled(true).syncInterval(Duration.ofHours(1))
                .bufferPath(Files.createDirectories(dir.resolve("buf")).resolve("buffer")).register(name);
        Path db = dir.resolve("app.db");
        try (Connection y = vfs.connect(db)) {
            exec(y, "create table t(id integer primary key, v text)", "insert into t(v) values ('y0')");
            Connection x = vfs.connect(db);
            try {
                exec(x, "pragma locking_mode = exclusive", "insert into t(v) values ('x1')");
                assertThat(count(y)).as("Y after x1").isEqualTo(2);
                for (int i = 2; i <= xCommits; i++) exec(x, "insert into t(v) values ('x" + i + "')");
                assertThat(count(x)).isEqualTo(1 + xCommits);
                if (then == Then.KEEP_OPEN) {
                    // X keeps its exclusive lock: Y reads (stale cached pages would show 2 rows), cannot write yet.
                    assertThat(count(y)).as("Y while X holds its lock").isEqualTo(1 + xCommits);
                    exec(y, "pragma busy_timeout = 0");
                    assertThatThrownBy(() -> exec(y, "insert into t(v) values ('refused')"))
                            .hasMessageContaining("SQLITE_BUSY");
                    assertThat(count(y)).isEqualTo(1 + xCommits);
                }
                if (then != Then.BACK_TO_NORMAL) x.close();
                if (then == Then.BACK_TO_NORMAL) {
                    exec(x, "pragma locking_mode = normal");
                    assertThat(count(x)).isEqualTo(1 + xCommits); // the next access lets the exclusive lock go
                }
                exec(y, "pragma busy_timeout = 5000");
                if (yExplicit) {
                    exec(y, "begin");
                    assertThat(count(y)).as("Y in its transaction").isEqualTo(1 + xCommits);
                    exec(y, "insert into t(v) values ('y')", "commit");
                } else {
                    exec(y, "insert into t(v) values ('y')");
                }
                assertThat(count(y)).as("Y after its insert").isEqualTo(2 + xCommits);
                try (Connection fresh = vfs.connect(db)) {
                    assertThat(count(fresh)).as("a fresh connection").isEqualTo(2 + xCommits);
                    try (Statement s = fresh.createStatement();
                         ResultSet r = s.executeQuery("select group_concat(v, ',') from (select v from t order by id)")) {
                        r.next();
                        StringBuilder want = new StringBuilder("y0");
                        for (int i = 1; i <= xCommits; i++) want.append(",x").append(i);
                        assertThat(r.getString(1)).isEqualTo(want.append(",y").toString());
                    }
                    exec(fresh, "pragma integrity_check");
                }
            } finally {
                x.close();
            }
        } finally {
            vfs.unregister();
        }
    }

    @Test
    void exclusiveCommitsSurviveTheOtherConnectionsNextCommit() throws Exception {
        run("excl-close", 3, Then.CLOSE, false);
    }

    /** Y reads while X still holds its exclusive lock, then writes once X has closed. */
    @Test
    void withTheExclusiveConnectionKeptOpen() throws Exception {
        run("excl-open", 3, Then.KEEP_OPEN, false);
    }

    @Test
    void withAnExplicitTransaction() throws Exception {
        run("excl-explicit", 3, Then.CLOSE, true);
    }

    @Test
    void withThreeCommitsAfterTheFirst() throws Exception {
        run("excl-four", 4, Then.CLOSE, false);
    }

    @Test
    void withTheExclusiveConnectionBackToNormal() throws Exception {
        run("excl-normal", 3, Then.BACK_TO_NORMAL, false);
    }

    @Test
    void backToNormalWithAnExplicitTransaction() throws Exception {
        run("excl-normal-explicit", 3, Then.BACK_TO_NORMAL, true);
    }

    private static void exec(Connection c, String... sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String q : sql) s.execute(q);
        }
    }

    private static long count(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select count(*) from t")) {
            r.next();
            return r.getLong(1);
        }
    }
}
