package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers beside a writer (docs/concurrent-readers.md): read transactions of a write-mode database take no SHARED
 * lock on the lock file, so a writer commits while readers are inside their transactions, and readers never get
 * SQLITE_BUSY; each read transaction sees one committed state (a transfer between two rows never shows half done),
 * the same state for its whole length, and a connection never sees an older state than it saw before. A read
 * transaction that then writes after another connection committed is refused with SQLITE_BUSY_SNAPSHOT, as in WAL
 * mode. Nothing about timing is asserted.
 */
class ConcurrentReadersTest {
    private static final int ACCOUNTS = 20;
    private static final int READERS = 4;

    @TempDir
    Path dir;

    private LitestreamVfs.Registration vfs(String name) throws Exception {
        return LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofMillis(50))
                .bufferPath(Files.createDirectories(dir.resolve("buf")).resolve("buffer")).register(name);
    }

    @Test
    void writerCommitsWhileHikariReadersAreInsideTheirTransactions() throws Exception {
        LitestreamVfs.Registration vfs = vfs("conc-readers");
        Path db = dir.resolve("app.db");
        HikariConfig config = new HikariConfig();
        config.setDataSource(vfs.dataSource(db));
        config.setMaximumPoolSize(READERS + 1);
        config.setPoolName("ltx4j-readers");
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        AtomicLong committed = new AtomicLong(); // the newest version the writer has acknowledged
        AtomicLong overtaken = new AtomicLong(); // read transactions during which the writer committed
        AtomicLong reads = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        try (HikariDataSource pool = new HikariDataSource(config)) {
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("create table accounts(id integer primary key, balance integer not null)");
                s.execute("create table meta(k integer primary key, version integer not null)");
                s.execute("insert into accounts(id, balance) with recursive n(i) as (select 1 union all select i + 1 from n"
                        + " where i < " + ACCOUNTS + ") select i, 1000 from n");
                s.execute("insert into meta values (1, 0)");
            }
            Thread writer = new Thread(() -> transfer(pool, stop, committed, errors), "writer");
            List<Thread> threads = new ArrayList<>(List.of(writer));
            for (int r = 0; r < READERS; r++) {
                threads.add(new Thread(() -> read(pool, stop, committed, overtaken, reads, errors), "reader-" + r));
            }
            threads.forEach(Thread::start);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            // Run until the writer has committed inside readers' transactions a few times (or give up after 30 s).
            while (System.nanoTime() < deadline && (overtaken.get() < 20 || committed.get() < 200) && errors.isEmpty()) {
                Thread.sleep(20);
            }
            stop.set(true);
            for (Thread t : threads) t.join();
        }
        assertThat(errors).isEmpty();
        assertThat(reads.get()).isPositive();
        assertThat(overtaken.get()).as("commits while a reader was inside its transaction").isGreaterThanOrEqualTo(20);
    }

    /** Moves an amount between two accounts and bumps the version, in one transaction. */
    private static void transfer(HikariDataSource pool, AtomicBoolean stop, AtomicLong committed, List<Throwable> errors) {
        SplittableRandom random = new SplittableRandom(7);
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            while (!stop.get()) {
                int from = 1 + random.nextInt(ACCOUNTS);
                int to = 1 + random.nextInt(ACCOUNTS);
                int amount = 1 + random.nextInt(50);
                long version;
                try (Statement s = c.createStatement()) {
                    s.executeUpdate("update meta set version = version + 1 where k = 1");
                    s.executeUpdate("update accounts set balance = balance - " + amount + " where id = " + from);
                    s.executeUpdate("update accounts set balance = balance + " + amount + " where id = " + to);
                    try (ResultSet r = s.executeQuery("select version from meta")) {
                        r.next();
                        version = r.getLong(1);
                    }
                }
                c.commit();
                committed.set(version);
            }
        } catch (Throwable e) {
            errors.add(new AssertionError("writer: " + e, e));
        }
    }

    private static void read(HikariDataSource pool, AtomicBoolean stop, AtomicLong committed, AtomicLong overtaken,
            AtomicLong reads, List<Throwable> errors) {
        long lastSeen = -1;
        while (!stop.get()) {
            try (Connection c = pool.getConnection()) {
                c.setAutoCommit(false);
                long acknowledgedBefore = committed.get();
                long version = version(c);
                long total = total(c);
                // Stay in the transaction until the writer has committed again (or a short while).
                long until = System.nanoTime() + 5_000_000;
                while (committed.get() <= version && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                boolean writerCommitted = committed.get() > version;
                long again = version(c);
                long totalAgain = total(c);
                c.commit();
                reads.incrementAndGet();
                if (total != 1000L * ACCOUNTS || totalAgain != total) {
                    throw new AssertionError("a read transaction saw total " + total + " then " + totalAgain
                            + " (version " + version + "): not one committed state");
                }
                if (again != version) {
                    throw new AssertionError("version moved from " + version + " to " + again + " inside one read"
                            + " transaction");
                }
                if (version < lastSeen || version < acknowledgedBefore) {
                    throw new AssertionError("read version " + version + " after seeing " + lastSeen
                            + " (acknowledged before the transaction: " + acknowledgedBefore + ")");
                }
                lastSeen = version;
                if (writerCommitted) overtaken.incrementAndGet();
            } catch (Throwable e) {
                errors.add(new AssertionError(Thread.currentThread().getName() + ": " + e, e));
                return;
            }
        }
    }

    private static long version(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select version from meta")) {
            r.next();
            return r.getLong(1);
        }
    }

    private static long total(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("select sum(balance) from accounts")) {
            r.next();
            return r.getLong(1);
        }
    }

    /**
     * A connection in {@code locking_mode=EXCLUSIVE} keeps its locks and trusts its cache for good, expecting others
     * kept out: its read lock goes to the lock file as in plain SQLite, so another connection cannot commit.
     */
    @Test
    void exclusiveLockingModeKeepsWritersOutAsInPlainSqlite() throws Exception {
        LitestreamVfs.Registration vfs = vfs("conc-exclusive");
        Path db = dir.resolve("exclusive.db");
        try (Connection a = vfs.connect(db); Connection b = vfs.connect(db)) {
            Sql.exec(a, "create table t(k integer primary key, v integer)", "insert into t values (1, 10)");
            Sql.exec(a, "pragma locking_mode = exclusive");
            assertThat(Sql.number(a, "select v from t where k = 1")).isEqualTo(10); // SHARED taken and kept
            Sql.exec(b, "pragma busy_timeout = 50");
            assertThatThrownBy(() -> Sql.exec(b, "update t set v = 11 where k = 1"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("SQLITE_BUSY");
            assertThat(Sql.number(a, "select v from t where k = 1")).isEqualTo(10);
        }
    }

    @Test
    void aReadTransactionOvertakenByACommitCannotWriteOnItsStaleSnapshot() throws Exception {
        LitestreamVfs.Registration vfs = vfs("conc-stale");
        Path db = dir.resolve("stale.db");
        try (Connection a = vfs.connect(db); Connection b = vfs.connect(db)) {
            Sql.exec(a, "create table t(k integer primary key, v integer)", "insert into t values (1, 10)");
            a.setAutoCommit(false);
            assertThat(Sql.number(a, "select v from t where k = 1")).isEqualTo(10); // a's snapshot
            // b commits while a is inside its read transaction: no lock of a's stops it.
            Sql.exec(b, "update t set v = 11 where k = 1");
            assertThat(Sql.number(a, "select v from t where k = 1")).isEqualTo(10); // still a's snapshot
            // a may not write on what it read: b's commit would be lost (read 10, write 10 + 5 over 11).
            assertThatThrownBy(() -> Sql.exec(a, "update t set v = v + 5 where k = 1"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("SQLITE_BUSY_SNAPSHOT");
            a.rollback();
            Sql.exec(a, "update t set v = v + 5 where k = 1"); // a fresh transaction sees 11
            a.commit();
            a.setAutoCommit(true);
            assertThat(Sql.number(b, "select v from t where k = 1")).isEqualTo(16);
            // Autocommit writes and BEGIN IMMEDIATE start on the latest version: never refused.
            Sql.exec(b, "update t set v = v + 1 where k = 1");
            Sql.exec(a, "update t set v = v + 1 where k = 1");
            assertThat(Sql.number(b, "select v from t where k = 1")).isEqualTo(18);
        }
        try (Connection r = Sql.open(dir.resolve("follower.db"), "conc-stale", Map.of("write_enabled", "false"))) {
            // (the follower sees what was synced; the writer's close synced everything)
            assertThat(Sql.number(r, "select v from t where k = 1")).isEqualTo(18);
        }
    }
}
