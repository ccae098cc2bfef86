package dev.ltx4j.vfs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteException;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A page-size change in write mode ({@code PRAGMA page_size=N; VACUUM}) is refused as SQLITE_READONLY, not as an I/O
 * error: nothing is damaged, so users and tools must not be told to suspect the disk (field probe, issue 14 round).
 * The database stays as it was and the connection keeps working; the reason is in {@code litestream_last_error}.
 */
class PageSizeChangeTest {
    private static final int SQLITE_READONLY = 8;

    @TempDir
    Path dir;

    @Test
    void vacuumToAnotherPageSizeIsReadOnlyNotAnIoErrorAndChangesNothing() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString())
                .writeEnabled(true).syncInterval(Duration.ofHours(1)).register("pagesize-change");
        Path db = dir.resolve("app.db");
        try (Connection c = vfs.connect(db)) {
            // Enough pages, and a cache small enough, that the new-size pages also spill before the commit.
            exec(c, "pragma cache_size=20", "create table t(id integer primary key, v blob)",
                    "insert into t(v) select randomblob(300) from " + Sql.series(3000));
            text(c, "select litestream_sync()");
            for (String vacuum : new String[] {"vacuum", "vacuum"}) { // twice: the first failure left nothing sticky
                exec(c, "pragma page_size=8192");
                assertThatThrownBy(() -> exec(c, vacuum))
                        .isInstanceOfSatisfying(SQLiteException.class, e -> assertThat(e.getResultCode().code)
                                .as("result code of %s", e.getMessage()).isEqualTo(SQLITE_READONLY));
                assertThat(text(c, "pragma litestream_last_error")).contains("page size");
            }
            assertThat(number(c, "pragma page_size")).isEqualTo(4096);
            assertThat(number(c, "select count(*) from t")).isEqualTo(3000);
            exec(c, "insert into t(v) values (x'01')");
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            text(c, "select litestream_sync()");
        } finally {
            vfs.unregister();
        }
        Path out = dir.resolve("restored.db");
        Replicas.restore(dir.resolve("replica").toUri().toString(), out);
        try (Connection plain = Sql.plain(out)) {
            assertThat(number(plain, "pragma page_size")).isEqualTo(4096);
            assertThat(number(plain, "select count(*) from t")).isEqualTo(3001);
            assertThat(text(plain, "pragma integrity_check")).isEqualTo("ok");
        }
    }
}
