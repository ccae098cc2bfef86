package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writer's read transaction that begins while another connection of the process commits waits for that commit
 * before it pins (litestreamvfs.c, "Pinning after the commit in flight"; docs/group-commit.md), so its write is not
 * refused as a stale snapshot; readers are not held up, and a long transaction elsewhere delays no one for long.
 * The holder's commit is held inside the engine's commit (commit phase two, only the commit itself left) by a
 * forwarding database, so every step is ordered by latches, not by timing.
 */
class PinAfterCommitTest {
    private static final AtomicInteger NAMES = new AtomicInteger();
    /** Set on a thread whose next engine commit waits: it counts down the first latch, then awaits the second. */
    private static final ThreadLocal<CountDownLatch[]> HOLD_COMMIT = new ThreadLocal<>();

    @TempDir
    Path dir;
    private String vfs;
    private Path db;
    private ExecutorService pool;

    @BeforeEach
    void register() throws SQLException {
        vfs = "pin-after-commit-" + NAMES.incrementAndGet();
        EngineDatabaseOpener engine = new EngineDatabaseOpener();
        LitestreamVfs.register(vfs, (name, options) -> new Holding(engine.open(name, options)));
        db = dir.resolve("app.db");
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void unregister() {
        pool.shutdownNow();
        LitestreamVfs.unregister(vfs);
    }

    private Connection open() throws SQLException {
        return DriverManager.getConnection(LitestreamVfs.jdbcUrl(db, vfs, Map.of(
                "replica_url", dir.resolve("replica").toUri().toString(), "write_enabled", "true",
                "buffer_path", dir.resolve("buffer").toString(), "sync_interval", "1h")));
    }

    private static long waitsInLine() {
        long[] c = LitestreamVfs.nativeCounters();
        return c.length > 8 ? c[8] : 0;
    }

    /** Runs an autocommit INSERT on {@code holder} in another thread; returns once its commit is held. */
    private Future<?> commitHeld(Connection holder, CountDownLatch release) throws Exception {
        CountDownLatch inCommit = new CountDownLatch(1);
        Future<?> f = pool.submit(() -> {
            HOLD_COMMIT.set(new CountDownLatch[] {inCommit, release});
            try {
                exec(holder, "insert into t(v) values ('holder')");
            } finally {
                HOLD_COMMIT.remove();
            }
            return null;
        });
        assertThat(inCommit.await(30, TimeUnit.SECONDS)).as("the holder reached its commit").isTrue();
        return f;
    }

    /**
     * The behaviour this round adds: a connection whose last transaction wrote, beginning an explicit read-then-write
     * transaction while another connection commits, sees that commit and commits on top of it. Before, it pinned the
     * state before that commit and its write was refused (SQLITE_BUSY_SNAPSHOT: "database is locked").
     */
    @Test
    void aWriterBeginningWhileAnotherCommitsSeesThatCommitAndIsNotRefused() throws Exception {
        try (Connection holder = open(); Connection writer = open(); Connection reader = open()) {
            exec(holder, "create table t(id integer primary key, v text)");
            exec(writer, "insert into t(v) values ('writer before')"); // the writer's last transaction wrote
            assertThat(number(reader, "select count(*) from t")).isEqualTo(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<?> held = commitHeld(holder, release);
            // A reader (its last transaction did not write) is not held up: the state before the commit in flight.
            assertThat(number(reader, "select count(*) from t")).isEqualTo(1);
            long waits = waitsInLine();
            Future<Long> seen = pool.submit(() -> {
                exec(writer, "begin");
                long n = number(writer, "select count(*) from t");
                exec(writer, "insert into t(v) values ('writer after')", "commit");
                return n;
            });
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!seen.isDone() && waitsInLine() == waits && System.nanoTime() < until) {
                Thread.sleep(1); // until the writer waits in line (the old code did not wait: it pinned at once)
            }
            release.countDown();
            held.get(30, TimeUnit.SECONDS);
            assertThat(seen.get(30, TimeUnit.SECONDS)).as("rows the writer's transaction saw").isEqualTo(2);
            assertThat(number(reader, "select count(*) from t")).isEqualTo(3);
        }
    }

    /** A long explicit transaction elsewhere: a writer's next read transaction waits only briefly, then reads. */
    @Test
    void aLongTransactionElsewhereHoldsUpAWritersNextReadOnlyBriefly() throws Exception {
        try (Connection holder = open(); Connection writer = open()) {
            exec(holder, "create table t(id integer primary key, v text)");
            exec(writer, "insert into t(v) values ('writer before')");
            exec(holder, "begin immediate", "insert into t(v) values ('not yet committed')");
            Future<Long> seen = pool.submit(() -> number(writer, "select count(*) from t"));
            assertThat(seen.get(30, TimeUnit.SECONDS)).isEqualTo(1); // hangs if the wait had no bound
            exec(holder, "commit");
            assertThat(number(writer, "select count(*) from t")).isEqualTo(2);
        }
    }

    /**
     * The connection let through after a commit turns out to be a reader that keeps its read transaction open: it
     * loses its turn, and the writer in line behind it goes on (it would wait for it otherwise).
     */
    @Test
    void aConnectionLetThroughThatOnlyReadsDoesNotHoldUpTheLine() throws Exception {
        try (Connection holder = open(); Connection first = open(); Connection second = open()) {
            exec(holder, "create table t(id integer primary key, v text)");
            exec(first, "insert into t(v) values ('first')");
            exec(second, "insert into t(v) values ('second')");
            CountDownLatch release = new CountDownLatch(1);
            Future<?> held = commitHeld(holder, release);
            long waits = waitsInLine();
            Future<Long> reading = pool.submit(() -> {
                exec(first, "begin");
                return number(first, "select count(*) from t"); // stays inside its read transaction
            });
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!reading.isDone() && waitsInLine() == waits && System.nanoTime() < until) {
                Thread.sleep(1);
            }
            release.countDown();
            held.get(30, TimeUnit.SECONDS);
            assertThat(reading.get(30, TimeUnit.SECONDS)).isEqualTo(3);
            Future<?> writing = pool.submit(() -> {
                exec(second, "insert into t(v) values ('second again')");
                return null;
            });
            writing.get(30, TimeUnit.SECONDS); // hangs if the line waited for the reader
            exec(first, "commit");
            assertThat(number(first, "select count(*) from t")).isEqualTo(4);
        }
    }

    /**
     * Writers taking turns: the next writer's SQLite reads page 1 (probe and page) and the leaf the last commit changed
     * again; those come from the pages the committing connection wrote (litestreamvfs.c, "Pages of the last commit"),
     * not from Java, and every connection still reads every row of the other. Before, each turn read about three
     * pages from Java.
     */
    @Test
    void writersTakingTurnsReadTheLastCommitsPagesWithoutCrossing() throws Exception {
        try (Connection a = open(); Connection b = open()) {
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

    /** Forwards everything to the engine's connection; an engine commit on a HOLD_COMMIT thread waits first. */
    private static final class Holding implements VfsDatabase {
        private final VfsDatabase d;

        Holding(VfsDatabase d) {
            this.d = d;
        }

        @Override
        public void commit() throws IOException {
            CountDownLatch[] hold = HOLD_COMMIT.get();
            if (hold != null) {
                hold[0].countDown();
                try {
                    if (!hold[1].await(60, TimeUnit.SECONDS)) throw new IOException("test: commit never released");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("test: interrupted", e);
                }
            }
            d.commit();
        }

        // Everything else unchanged.
        @Override public int read(ByteBuffer dst, long offset) throws IOException { return d.read(dst, offset); }
        @Override public byte[] readPage(long offset, int length) throws IOException { return d.readPage(offset, length); }
        @Override public boolean snapshotReads() { return d.snapshotReads(); }
        @Override public Object versionKey() { return d.versionKey(); }
        @Override public void onVersionChange(Runnable changed) { d.onVersionChange(changed); }
        @Override public void onPagesChanging(PageChanges listener) { d.onPagesChanging(listener); }
        @Override public boolean snapshotReusable() { return d.snapshotReusable(); }
        @Override public boolean lastReadRepeatable() { return d.lastReadRepeatable(); }
        @Override public boolean committedHeaderShown() { return d.committedHeaderShown(); }
        @Override public int nativeFaults() { return d.nativeFaults(); }
        @Override public void write(ByteBuffer src, long offset) throws IOException { d.write(src, offset); }
        @Override public void truncate(long size) throws IOException { d.truncate(size); }
        @Override public long size() throws IOException { return d.size(); }
        @Override public void sync(boolean full) throws IOException { d.sync(full); }
        @Override public void beginRead() throws IOException { d.beginRead(); }
        @Override public void endRead() throws IOException { d.endRead(); }
        @Override public void beginWrite() throws IOException { d.beginWrite(); }
        @Override public void beforeCommit() throws IOException { d.beforeCommit(); }
        @Override public void rollback() throws IOException { d.rollback(); }
        @Override public void endWrite() throws IOException { d.endWrite(); }
        @Override public String pragma(String name, String value) throws IOException { return d.pragma(name, value); }
        @Override public String txid() { return d.txid(); }
        @Override public String time() { return d.time(); }
        @Override public long lag() { return d.lag(); }
        @Override public String syncNow() throws IOException { return d.syncNow(); }
        @Override public String statusJson() { return d.statusJson(); }
        @Override public int sectorSize() { return d.sectorSize(); }
        @Override public int deviceCharacteristics() { return d.deviceCharacteristics(); }
        @Override public boolean atomicCommits() { return d.atomicCommits(); }
        @Override public String lockPath() throws IOException { return d.lockPath(); }
        @Override public String currentProblem() { return d.currentProblem(); }
        @Override public void onHostExit() { d.onHostExit(); }
        @Override public Failure classify(Throwable failure) { return d.classify(failure); }
        @Override public void close() throws IOException { d.close(); }
    }
}
