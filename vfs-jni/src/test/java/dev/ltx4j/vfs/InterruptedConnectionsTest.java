package dev.ltx4j.vfs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Application threads get interrupted ({@code Future.cancel(true)}, {@code shutdownNow}, pool and servlet timeouts).
 * A {@code FileChannel} closes itself for every thread when one of its callers is interrupted: one interrupted
 * committer stopped the write buffer of the whole process ("stopped after an I/O failure: null"), every later write
 * and read failed and nothing more was synced (field probe, issue 14 round). Interrupts now behave as with SQLite's
 * own VFS: the call completes, the thread keeps its interrupt flag, and other connections never notice.
 */
class InterruptedConnectionsTest {
    @TempDir
    Path dir;

    private LitestreamVfs.Registration writer(String name) throws SQLException {
        return LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString()).writeEnabled(true)
                .bufferPath(dir.resolve("buffer")).syncInterval(Duration.ofHours(1)).register(name);
    }

    @Test
    void aCommitAndAnOpenOnAnInterruptedThreadCompleteAndBreakNothing() throws Exception {
        LitestreamVfs.Registration vfs = writer("interrupt-flag");
        Path db = dir.resolve("app.db");
        try (Connection other = vfs.connect(db); Connection pooled = vfs.connect(db)) {
            exec(other, "create table t(x)", "insert into t values (0)");
            text(other, "select litestream_sync()"); // later opens read page 1 from the replica file
            List<String> seen = new ArrayList<>();
            Thread t = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    exec(pooled, "insert into t values (1)"); // a pooled connection on a cancelled task's thread
                    try (Connection fresh = vfs.connect(db)) { // an open on it
                        exec(fresh, "insert into t values (2)");
                        seen.add("rows " + number(fresh, "select count(*) from t"));
                    }
                } catch (Exception e) {
                    seen.add(e.toString());
                }
                seen.add("interrupted " + Thread.currentThread().isInterrupted());
            });
            t.start();
            t.join();
            assertThat(seen).containsExactly("rows 3", "interrupted true");
            exec(other, "insert into t values (3)");
            assertThat(number(other, "select count(*) from t")).isEqualTo(4);
            text(other, "select litestream_sync()");
            assertThat(vfs.database(db).health().state()).isEqualTo(Health.State.UP);
        } finally {
            vfs.unregister();
        }
        assertRestoredRows(4);
    }

    @Test
    void theFirstOpenAfterEveryConnectionClosedWorksOnAnInterruptedThread() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString())
                .writeEnabled(true).bufferPath(dir.resolve("buffer")).register("interrupt-first-open");
        Path db = dir.resolve("app.db");
        try {
            try (Connection c = vfs.connect(db)) {
                exec(c, "create table t(x)");
                text(c, "select litestream_sync()");
            }
            List<String> seen = new ArrayList<>();
            Thread t = new Thread(() -> {
                Thread.currentThread().interrupt(); // it failed: SQLITE_CANTOPEN, "read of L0/... failed: null"
                try (Connection fresh = vfs.connect(db)) {
                    exec(fresh, "insert into t values (1)");
                    seen.add("rows " + number(fresh, "select count(*) from t"));
                } catch (Exception e) {
                    seen.add(e.toString());
                }
            });
            t.start();
            t.join();
            assertThat(seen).containsExactly("rows 1");
        } finally {
            vfs.unregister();
        }
    }

    @Test
    void refreshAndCloseOnAnInterruptedThreadFinishTheirWork() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString())
                .writeEnabled(true).bufferPath(dir.resolve("buffer")).syncInterval(Duration.ofMillis(10))
                .register("interrupt-close");
        Path db = dir.resolve("app.db");
        Connection c = vfs.connect(db);
        exec(c, "create table t(x)");
        for (int i = 0; i < 50; i++) {
            exec(c, "insert into t values (randomblob(3000))"); // keeps the sync thread busy
        }
        LitestreamDatabase handle = vfs.database(db);
        List<String> seen = new ArrayList<>();
        Thread t = new Thread(() -> {
            Thread.currentThread().interrupt();
            try {
                handle.refresh(); // failed: "seek .../0000000000000001-0000000000000001.ltx: null"
                seen.add("refreshed");
                exec(c, "insert into t values (1)");
                handle.close();
                c.close(); // the last reference: the engine closes
                vfs.unregister();
                seen.add("closed");
            } catch (Exception e) {
                seen.add(e.toString());
            }
            seen.add("interrupted " + Thread.currentThread().isInterrupted());
        });
        t.start();
        t.join();
        assertThat(seen).containsExactly("refreshed", "closed", "interrupted true");
        assertThat(Thread.getAllStackTraces().keySet()).map(Thread::getName)
                .as("the engine's threads ended before close returned")
                .noneMatch(name -> name.startsWith("ltx4j-") && name.contains(db.toString()));
        assertRestoredRows(51);
    }

    @Test
    void cancellingBusyWritersLosesNoAcknowledgedCommitAndLeavesTheBufferWorking() throws Exception {
        LitestreamVfs.Registration vfs = writer("interrupt-storm");
        Path db = dir.resolve("app.db");
        AtomicLong acknowledged = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        try (Connection c = vfs.connect(db)) {
            exec(c, "create table t(x)");
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                for (int round = 0; round < 60; round++) {
                    List<Future<?>> tasks = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        tasks.add(pool.submit(() -> {
                            try (Connection w = vfs.connect(db)) {
                                for (int j = 0; j < 20; j++) {
                                    exec(w, "insert into t values (randomblob(2000))");
                                    acknowledged.incrementAndGet();
                                }
                            } catch (SQLException e) {
                                failures.incrementAndGet();
                            }
                            return null;
                        }));
                    }
                    Thread.sleep(1);
                    tasks.forEach(f -> f.cancel(true)); // interrupts the running ones mid-commit or mid-read
                    if (round % 10 == 0) {
                        text(c, "select litestream_sync()"); // rewrites the buffer under the storm
                    }
                }
            } finally {
                pool.shutdownNow();
                assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(failures.get()).as("failed writer tasks").isZero();
            assertThat(number(c, "select count(*) from t")).isEqualTo(acknowledged.get());
            exec(c, "insert into t values (1)");
            text(c, "select litestream_sync()");
            assertThat(vfs.database(db).health().state()).isEqualTo(Health.State.UP);
        } finally {
            vfs.unregister();
        }
        assertRestoredRows(acknowledged.get() + 1);
    }

    private void assertRestoredRows(long rows) throws Exception {
        Path out = dir.resolve("restored.db");
        Replicas.restore(dir.resolve("replica").toUri().toString(), out);
        try (Connection plain = Sql.plain(out)) {
            assertThat(number(plain, "select count(*) from t")).isEqualTo(rows);
            assertThat(text(plain, "pragma integrity_check")).isEqualTo("ok");
        }
    }
}
