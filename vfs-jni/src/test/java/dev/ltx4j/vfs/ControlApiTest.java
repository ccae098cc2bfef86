package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.syncer.DatabaseStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java control API of issue 12: {@link LitestreamDatabase} (typed status, sync, refresh, health, retry helper)
 * and {@link LitestreamConflictException}. Conflicts come from a real rival writer (its own buffer) on the same
 * file replica.
 */
class ControlApiTest {
    @TempDir
    Path dir;

    private LitestreamVfs.Registration writer(String name) throws Exception {
        return writer(name, Clock.systemUTC());
    }

    private LitestreamVfs.Registration writer(String name, Clock clock) throws Exception {
        String replica = dir.resolve("replica").toUri().toString();
        return (name.endsWith("-rival") ? Replicas.rival(replica, name) : LitestreamVfs.builder().replica(replica))
                .writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).clock(clock)
                .bufferPath(Files.createDirectories(dir.resolve(name)).resolve("buffer")).register(name);
    }

    /** Base table synced by {@code loser}, then a row synced by a rival writer: the loser's next sync conflicts. */
    private void rivalSyncsFirst(LitestreamVfs.Registration loser, Connection loserConnection) throws Exception {
        exec(loserConnection, "create table t(id integer primary key, v text)", "insert into t(v) values ('base')");
        text(loserConnection, "select litestream_sync()");
        LitestreamVfs.Registration rival = writer(loser.name() + "-rival");
        try (Connection w = rival.connect(dir.resolve("rival.db"))) {
            exec(w, "insert into t(v) values ('rival')");
            text(w, "select litestream_sync()");
        }
        rival.unregister();
    }

    /** A JDBC application's handle is what a metrics binder polls (it never sees the engine's Database). */
    @Test
    void theHandleGivesTheEnginesMetrics() throws Exception {
        LitestreamVfs.Registration vfs = writer("ctl-metrics");
        dev.ltx4j.syncer.MetricsSource source;
        try (LitestreamDatabase db = vfs.database(dir.resolve("app.db"));
                Connection c = vfs.dataSource(dir.resolve("app.db")).getConnection()) {
            source = db;
            exec(c, "create table t(x)", "insert into t values (1)");
            assertThat(source.metrics().pendingCommits()).isEqualTo(2);
            db.syncNow();
            assertThat(source.metrics().pendingCommits()).isZero();
            assertThat(source.metrics().syncs()).isEqualTo(1);
            assertThat(source.metrics().syncedBytes()).isPositive();
            assertThat(source.name()).isEqualTo(db.name());
            try (LitestreamDatabase again = vfs.database(dir.resolve("app.db"))) {
                // A binder moving its meters to another handle of the open database must not count its history again.
                assertThat(again).isNotSameAs(db);
                assertThat(again.engineIdentity()).isSameAs(db.engineIdentity());
            }
        }
        assertThatThrownBy(source::metrics).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        vfs.unregister();
    }

    @Test
    void statusIsTypedAndSyncNowUploads() throws Exception {
        LitestreamVfs.Registration vfs = writer("ctl-status");
        try (LitestreamDatabase db = vfs.database(dir.resolve("app.db"));
                Connection c = vfs.dataSource(dir.resolve("app.db")).getConnection()) {
            exec(c, "create table t(x)", "insert into t values (1)");
            DatabaseStatus before = db.status();
            assertThat(before.mode()).isEqualTo("write");
            assertThat(before.pendingCommits()).isEqualTo(2);
            assertThat(before.txid()).isZero();

            String txid = db.syncNow();

            DatabaseStatus after = db.status();
            assertThat(after.pendingCommits()).isZero();
            assertThat(after.txid()).isEqualTo(1);
            assertThat(txid).isEqualTo("0000000000000001");
            assertThat(after.conflict()).isNull();
            assertThat(db.health()).isEqualTo(new Health(Health.State.UP, ""));
            // Uploaded: a read-mode follower of the replica sees the row.
            try (Connection r = DriverManager.getConnection(LitestreamVfs.jdbcUrl(dir.resolve("reader.db"), "ctl-status",
                    java.util.Map.of("write_enabled", "false")))) {
                assertThat(text(r, "select count(*) from t")).isEqualTo("1");
            }
        }
    }

    @Test
    void theHandleKeepsTheDatabaseOpenAndAddressesThePoolsDatabase() throws Exception {
        LitestreamVfs.Registration vfs = writer("ctl-shared");
        try (LitestreamDatabase db = vfs.database(dir.resolve("app.db"))) {
            try (Connection c = vfs.connect(dir.resolve("app.db"))) {
                exec(c, "create table t(x)");
            }
            // The only connection is closed, but the handle's reference keeps the unsynced commit in the engine.
            assertThat(db.status().pendingCommits()).isEqualTo(1);
            db.syncNow();
            assertThat(db.status().txid()).isEqualTo(1);
        }
    }

    @Test
    void aConflictSaysHowToRecoverAndRefreshLetsWritesContinue() throws Exception {
        LitestreamVfs.Registration loser = writer("ctl-conflict");
        LitestreamDataSource ds = loser.dataSource(dir.resolve("app.db"));
        try (LitestreamDatabase db = loser.database(dir.resolve("app.db")); Connection c = ds.getConnection()) {
            rivalSyncsFirst(loser, c);
            exec(c, "insert into t(v) values ('lost')");

            assertThatThrownBy(db::syncNow).isInstanceOf(LitestreamConflictException.class)
                    .hasMessageContaining("conflict").hasMessageContaining("LitestreamDatabase.refresh()")
                    .hasMessageContaining("PRAGMA litestream_refresh");
            assertThat(db.status().conflict()).isNotNull();
            Health down = db.health();
            assertThat(down.state()).isEqualTo(Health.State.DOWN);
            assertThat(down.reason()).contains("conflict").contains("refresh()");

            // Every write through the pool now fails fast, saying how to recover.
            SQLException refused = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                    () -> exec(c, "insert into t(v) values ('refused')"));
            assertThat((Throwable) refused).isInstanceOf(LitestreamConflictException.class)
                    .hasMessageContaining("LitestreamDatabase.refresh()");
            assertThat(LitestreamConflictException.isConflict(refused)).isTrue();

            db.refresh();

            assertThat(db.health().isUp()).isTrue();
            assertThat(db.status().conflict()).isNull();
            exec(c, "insert into t(v) values ('after')");
            db.syncNow();
            assertThat(text(c, "select group_concat(v, ',') from t")).isEqualTo("base,rival,after");
        }
    }

    @Test
    void retryOnConflictRefreshesAndRunsTheWorkAgain() throws Exception {
        LitestreamVfs.Registration loser = writer("ctl-retry");
        LitestreamDataSource ds = loser.dataSource(dir.resolve("app.db"));
        try (LitestreamDatabase db = loser.database(dir.resolve("app.db")); Connection c = ds.getConnection()) {
            rivalSyncsFirst(loser, c);
            exec(c, "insert into t(v) values ('lost')");
            assertThatThrownBy(db::syncNow).isInstanceOf(LitestreamConflictException.class);
            AtomicInteger runs = new AtomicInteger();

            String result = db.retryOnConflict(3, Duration.ZERO, () -> {
                runs.incrementAndGet();
                try (Connection p = ds.getConnection()) {
                    exec(p, "insert into t(v) values ('retried')");
                }
                return db.syncNow();
            });

            assertThat(runs).hasValue(2);
            assertThat(result).isEqualTo("0000000000000003");
            assertThat(text(c, "select group_concat(v, ',') from t")).isEqualTo("base,rival,retried");
        }
    }

    @Test
    void retryOnConflictRecognisesRawSqliteJdbcConflictsAndGivesUpAfterTheAttempts() throws Exception {
        LitestreamVfs.Registration loser = writer("ctl-raw");
        try (LitestreamDatabase db = loser.database(dir.resolve("app.db"));
                Connection c = DriverManager.getConnection(loser.jdbcUrl(dir.resolve("app.db")))) {
            rivalSyncsFirst(loser, c);
            exec(c, "insert into t(v) values ('lost')");
            assertThatThrownBy(db::syncNow).isInstanceOf(LitestreamConflictException.class);
            SQLException raw = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                    () -> exec(c, "insert into t(v) values ('refused')"));
            assertThat((Throwable) raw).isNotInstanceOf(LitestreamConflictException.class);
            assertThat(LitestreamConflictException.isConflict(raw)).isTrue();

            // Work that conflicts every time is run `attempts` times, then its conflict is thrown.
            AtomicInteger runs = new AtomicInteger();
            assertThatThrownBy(() -> db.retryOnConflict(2, Duration.ZERO, () -> {
                runs.incrementAndGet();
                throw new LitestreamConflictException("always", null);
            })).isInstanceOf(LitestreamConflictException.class);
            assertThat(runs).hasValue(2);
            // Other errors are not retried.
            runs.set(0);
            assertThatThrownBy(() -> db.retryOnConflict(3, Duration.ZERO, () -> {
                runs.incrementAndGet();
                throw new SQLException("no such table: x");
            })).hasMessage("no such table: x");
            assertThat(runs).hasValue(1);
        }
    }

    @Test
    void healthIsDegradedWhenCommitsWaitLongerThanTheAllowedLag() throws Exception {
        AtomicLong now = new AtomicLong(Instant.parse("2026-01-01T00:00:00Z").toEpochMilli());
        Clock clock = new Clock() {
            @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId z) { return this; }
            @Override public Instant instant() { return Instant.ofEpochMilli(now.get()); }
        };
        LitestreamVfs.Registration vfs = writer("ctl-lag", clock);
        try (LitestreamDatabase db = vfs.database(dir.resolve("app.db"), Duration.ofSeconds(30));
                Connection c = vfs.connect(dir.resolve("app.db"))) {
            exec(c, "create table t(x)");
            db.syncNow();
            exec(c, "insert into t values (1)");
            now.addAndGet(Duration.ofSeconds(30).toMillis());
            assertThat(db.health().isUp()).isTrue();

            now.addAndGet(1);
            Health h = db.health();

            assertThat(h.state()).isEqualTo(Health.State.DEGRADED);
            assertThat(h.reason()).contains("1 committed transaction(s) not uploaded").contains("30001 ms");
            db.syncNow();
            assertThat(db.health().isUp()).isTrue();
        }
    }

    @Test
    void aClosedHandleIsDownAndRefusesControl() throws Exception {
        LitestreamVfs.Registration vfs = writer("ctl-closed");
        LitestreamDatabase db = vfs.database(dir.resolve("app.db"));
        db.close();
        assertThat(db.health().state()).isEqualTo(Health.State.DOWN);
        assertThatThrownBy(db::status).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        db.close(); // idempotent
    }
}
