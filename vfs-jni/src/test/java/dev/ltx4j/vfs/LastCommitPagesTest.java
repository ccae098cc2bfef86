package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pages a commit wrote fill the native page view for the next writer of another connection, page 1 included,
 * and a write transaction reads from the view until it writes (litestreamvfs.c, "Pages of the last commit";
 * docs/group-commit.md).
 */
class LastCommitPagesTest {
    @TempDir
    Path dir;

    /**
     * Writers taking turns: the next writer's SQLite reads page 1 (probe and page) and, inside its write transaction,
     * the pages the last commit changed again; those come from the pages the committing connection wrote, not from
     * Java, and every connection still reads every row of the other. Before, each turn read about four pages from Java.
     */
    @Test
    void writersTakingTurnsReadTheLastCommitsPagesWithoutCrossing() throws SQLException {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString())
                .writeEnabled(true).syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("buffer"))
                .register("last-commit-pages");
        Path db = dir.resolve("app.db");
        try (Connection a = vfs.connect(db); Connection b = vfs.connect(db)) {
            exec(a, "create table t(id integer primary key, v text)");
            for (int i = 0; i < 20; i++) { // warm: both caches and the view hold the table's upper pages
                exec(i % 2 == 0 ? a : b, "insert into t(v) values ('warm " + i + "')");
            }
            long reads = LitestreamVfs.nativeCounters()[0];
            int turns = 200;
            for (int i = 0; i < turns; i++) {
                Connection c = i % 2 == 0 ? a : b;
                exec(c, "insert into t(v) values (printf('%0200d', " + i + "))");
                assertThat(number(c, "select count(*) from t")).isEqualTo(21 + i);
            }
            long javaReads = LitestreamVfs.nativeCounters()[0] - reads;
            assertThat(javaReads).as("page reads that crossed into Java in %d turns", turns).isLessThan(turns / 2);
            assertThat(Sql.text(a, "pragma integrity_check")).isEqualTo("ok");
            assertThat(number(b, "select sum(length(v)) from t where v not like 'warm%'")).isEqualTo(200L * turns);
        }
    }
}
