package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commit path's lock hand-over between writers of one process and the commit that ends the write transaction
 * in its own crossing (litestreamvfs.c, "hand-over between writers of one process" and COMMIT_PHASETWO).
 */
class WriterHandOverTest {
    @TempDir
    Path dir;

    private LitestreamVfs.Registration writer(String name) throws SQLException {
        return LitestreamVfs.builder().replica(dir.resolve("replica-" + name).toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve(name + "-buffer")).register(name);
    }

    /** A waiter only waits for a holder that is committing: a writer inside its transaction still answers BUSY. */
    @Test
    void aWriterInsideItsTransactionStillMakesAnotherWithoutTimeoutBusy() throws Exception {
        LitestreamVfs.Registration vfs = writer("busy");
        Path db = dir.resolve("busy.db");
        try (Connection holder = DriverManager.getConnection(vfs.jdbcUrl(db));
             Connection other = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            exec(holder, "create table t(id integer primary key, v text)");
            exec(other, "pragma busy_timeout = 0");
            exec(holder, "begin immediate", "insert into t(v) values ('held')");
            assertThatThrownBy(() -> exec(other, "insert into t(v) values ('refused')"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("locked");
            exec(holder, "commit");
            exec(other, "insert into t(v) values ('after')");
            assertThat(number(other, "select count(*) from t")).isEqualTo(2);
        }
    }

    /** Four threads with SQLite's own (sleeping) busy handler: every commit lands, in order, none twice. */
    @Test
    void fourWritersWithSqlitesBusyHandlerLoseNothing() throws Exception {
        LitestreamVfs.Registration vfs = writer("four");
        Path db = dir.resolve("four.db");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            exec(c, "create table t(id integer primary key, who int, i int, unique(who, i))");
        }
        int threads = 4;
        int each = 60;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                int who = w;
                done.add(pool.submit(() -> {
                    try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
                        exec(c, "pragma busy_timeout = 20000");
                        for (int i = 0; i < each; i++) {
                            exec(c, "insert into t(who, i) values (" + who + ", " + i + ")");
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            assertThat(number(c, "select count(*) from t")).isEqualTo((long) threads * each);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
        }
    }

    /**
     * An attached database inherits locking_mode=EXCLUSIVE without its file ever seeing the pragma, so its pager
     * keeps the write lock across transactions while the VFS takes each commit as the end of the write
     * transaction: the next transaction's first write must start a new one (it failed with "write outside a write
     * transaction" when a commit ended the transaction and nothing started the next).
     */
    @Test
    void anAttachedDatabaseInheritingExclusiveLockingCommitsEveryTransaction() throws Exception {
        LitestreamVfs.Registration vfs = writer("attached");
        Path main = dir.resolve("main.db");
        Path other = dir.resolve("other.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + main)) { // a plain main database
            exec(c, "pragma locking_mode = exclusive");
            exec(c, "attach database '" + vfs.jdbcUrl(other).substring("jdbc:sqlite:".length()) + "' as o");
            exec(c, "create table o.t(id integer primary key, v text)");
            for (int i = 0; i < 5; i++) {
                exec(c, "insert into o.t(v) values ('row " + i + "')");
            }
            exec(c, "begin", "insert into o.t(v) values ('in a transaction')", "commit");
            assertThat(number(c, "select count(*) from o.t")).isEqualTo(6);
        }
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(other))) {
            assertThat(number(c, "select count(*) from t")).isEqualTo(6);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
        }
    }
}
