package dev.ltx4j.vfs;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * PRAGMA litestream_time and litestream_set_time() through sqlite-jdbc: per connection, at transaction boundaries,
 * read-only while set, relative times on the injected clock, and clear errors. The writer syncs with
 * {@code litestream_sync()} at times of the injected clock, so TXID n is committed at {@code T0 + (n-1) minutes}.
 */
class TimeTravelVfsTest {
    static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
    static final int SQLITE_READONLY = 8;

    @TempDir
    Path dir;

    final ManualClock clock = new ManualClock(T0);
    LitestreamVfs.Registration writer;
    Path db;

    static final class ManualClock extends Clock {
        private volatile Instant now;

        ManualClock(Instant now) {
            this.now = now;
        }

        void set(Instant t) {
            now = t;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        writer = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("buffer")).clock(clock)
                .register("tt-w-" + System.nanoTime());
        db = dir.resolve("app.db");
        try (Connection c = DriverManager.getConnection(writer.jdbcUrl(db))) {
            exec(c, "create table t(id integer primary key, v text)");
            text(c, "select litestream_sync()"); // TXID 1 at T0: the empty table
            for (int n = 2; n <= 4; n++) {
                clock.set(T0.plus(Duration.ofMinutes(n - 1)));
                exec(c, "insert into t(v) values ('row " + n + "')");
                assertThat(text(c, "select litestream_sync()")).isEqualTo(String.format("%016x", n));
            }
        }
        clock.set(T0.plus(Duration.ofMinutes(10)));
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(writer.jdbcUrl(db));
    }

    @Test
    void W8_aConnectionInThePastReadsThatStateWhileAnotherAtLatestSeesNewCommits() throws Exception {
        try (Connection past = connect(); Connection latest = connect(); Connection w = connect()) {
            // TXID 3 (two rows) was committed at T0+2m; its successor at T0+3m.
            assertThat(text(past, "pragma litestream_time = '2026-11-27T10:02:30Z'")).isEqualTo("2026-11-27T10:02:00Z");
            assertThat(number(past, "select count(*) from t")).isEqualTo(2);
            assertThat(text(past, "select litestream_txid()")).isEqualTo("0000000000000003");
            assertThat(text(past, "select litestream_time()")).isEqualTo("2026-11-27T10:02:00Z");
            assertThat(text(past, "pragma litestream_time")).isEqualTo("2026-11-27T10:02:00Z");
            assertThat(text(past, "pragma litestream_time_target")).isEqualTo("2026-11-27T10:02:30Z");
            assertThat(text(latest, "select litestream_time()")).isEqualTo("2026-11-27T10:03:00Z");

            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<Long> pastReads = pool.submit(() -> {
                    long reads = 0;
                    while (!stop.get()) {
                        assertThat(number(past, "select count(*) from t")).isEqualTo(2);
                        assertThat(text(past, "select group_concat(v) from t")).isEqualTo("row 2,row 3");
                        reads++;
                    }
                    return reads;
                });
                Future<Long> latestReads = pool.submit(() -> {
                    long last = 3;
                    while (!stop.get()) {
                        long n = number(latest, "select count(*) from t");
                        assertThat(n).isGreaterThanOrEqualTo(last);
                        last = n;
                    }
                    return last;
                });
                for (int i = 0; i < 30; i++) {
                    exec(w, "insert into t(v) values ('more " + i + "')");
                    if (i % 10 == 9) text(w, "select litestream_sync()");
                }
                stop.set(true);
                assertThat(pastReads.get(60, TimeUnit.SECONDS)).isPositive();
                latestReads.get(60, TimeUnit.SECONDS);
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }
            assertThat(number(latest, "select count(*) from t")).isEqualTo(33);
            assertThat(number(past, "select count(*) from t")).isEqualTo(2);
            // The reference's litestream_time() kept the time of the plan it opened with; ours follows the syncs.
            assertThat(text(latest, "select litestream_time()")).isEqualTo("2026-11-27T10:10:00Z");
            assertThat(text(latest, "select litestream_txid()")).isEqualTo("0000000000000007");
            assertThat(text(past, "select litestream_time()")).isEqualTo("2026-11-27T10:02:00Z");
            // Back to now: the same connection reads the latest state and writes again.
            assertThat(text(past, "select litestream_set_time('latest')")).isEqualTo("latest");
            assertThat(number(past, "select count(*) from t")).isEqualTo(33);
            exec(past, "insert into t(v) values ('after')");
            assertThat(number(latest, "select count(*) from t")).isEqualTo(34);
        }
    }

    @Test
    void W8_writesAreRefusedWithSqliteReadonlyNamingTheSetting() throws Exception {
        try (Connection c = connect()) {
            text(c, "select litestream_set_time('2026-11-27T10:01:00Z')");
            SQLException e = catchThrowableOfType(() -> exec(c, "insert into t(v) values ('no')"), SQLException.class);
            assertThat(e.getErrorCode()).isEqualTo(SQLITE_READONLY);
            assertThat(text(c, "pragma litestream_last_error")).contains("litestream_time")
                    .contains("2026-11-27T10:01:00Z").contains("TXID 0000000000000002");
            assertThatThrownBy(() -> exec(c, "create table u(x)")).isInstanceOf(SQLException.class);
            assertThat(number(c, "select count(*) from t")).isEqualTo(1);
        }
        try (Connection c = connect()) {
            assertThat(number(c, "select count(*) from t")).isEqualTo(3); // nothing was written
        }
    }

    @Test
    void relativeTimesCountBackFromTheInjectedClock() throws Exception {
        try (Connection c = connect()) {
            clock.set(T0.plus(Duration.ofMinutes(3)).plusSeconds(30));
            assertThat(text(c, "pragma litestream_time = '90 seconds ago'")).isEqualTo("2026-11-27T10:02:00Z");
            assertThat(number(c, "select count(*) from t")).isEqualTo(2);
            assertThat(text(c, "select litestream_set_time('3m30s ago')")).isEqualTo("2026-11-27T10:00:00Z");
            assertThat(number(c, "select count(*) from t")).isZero();
            assertThat(text(c, "select litestream_set_time('now')")).isEqualTo("2026-11-27T10:03:00Z");
            assertThat(number(c, "select count(*) from t")).isEqualTo(3);
            clock.set(T0.plus(Duration.ofHours(2)));
            assertThat(text(c, "pragma litestream_time = '2 hours ago'")).isEqualTo("2026-11-27T10:00:00Z");
        }
    }

    @Test
    void W8_aTimeSetInsideAReadTransactionTakesEffectAtTheNextOne() throws Exception {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            assertThat(number(c, "select count(*) from t")).isEqualTo(3);
            assertThat(text(c, "pragma litestream_time = '2026-11-27T10:01:00Z'")).isEqualTo("2026-11-27T10:01:00Z");
            assertThat(number(c, "select count(*) from t")).isEqualTo(3); // same read transaction
            assertThat(text(c, "select litestream_txid()")).isEqualTo("0000000000000004");
            c.commit();
            assertThat(number(c, "select count(*) from t")).isEqualTo(1);
            c.commit();
            // Inside a write transaction the setting is refused outright.
            c.setAutoCommit(true);
            text(c, "select litestream_set_time('latest')");
            c.setAutoCommit(false);
            exec(c, "insert into t(v) values ('x')");
            assertThatThrownBy(() -> text(c, "pragma litestream_time = '1 minute ago'"))
                    .hasMessageContaining("inside a write transaction");
            c.rollback();
        }
    }

    @Test
    void badTimesAreClearErrorsAndLeaveTheSettingAsItWas() throws Exception {
        try (Connection c = connect()) {
            text(c, "pragma litestream_time = '2026-11-27T10:01:00Z'");
            assertThatThrownBy(() -> text(c, "pragma litestream_time = 'yesterday-ish'"))
                    .hasMessageContaining("cannot read 'yesterday-ish' as a time").hasMessageContaining("5 minutes ago");
            assertThatThrownBy(() -> text(c, "select litestream_set_time('2026-11-27T11:00:00Z')"))
                    .hasMessageContaining("in the future");
            assertThatThrownBy(() -> text(c, "pragma litestream_time = '2026-11-27T09:59:59Z'"))
                    .hasMessageContaining("before the oldest state")
                    .hasMessageContaining("oldest available time is 2026-11-27T10:00:00Z");
            assertThatThrownBy(() -> text(c, "select litestream_set_time(null)")).hasMessageContaining("a time is required");
            assertThat(number(c, "select count(*) from t")).isEqualTo(1);
        }
    }

    @Test
    void aReadModeConnectionTravelsToo() throws Exception {
        LitestreamVfs.Registration reader = LitestreamVfs.builder()
                .replica(dir.resolve("replica").toUri().toString()).clock(clock).register("tt-r-" + System.nanoTime());
        try (Connection r = DriverManager.getConnection(reader.jdbcUrl(dir.resolve("reader.db")))) {
            assertThat(number(r, "select count(*) from t")).isEqualTo(3);
            assertThat(text(r, "select litestream_time()")).isEqualTo("2026-11-27T10:03:00Z");
            text(r, "pragma litestream_time = '2026-11-27T10:01:59.999Z'");
            assertThat(number(r, "select count(*) from t")).isEqualTo(1);
            assertThat(text(r, "select litestream_time()")).isEqualTo("2026-11-27T10:01:00Z");
            SQLException e = catchThrowableOfType(() -> exec(r, "insert into t(v) values ('no')"), SQLException.class);
            assertThat(e.getErrorCode()).isEqualTo(SQLITE_READONLY);
            // A reload of the replica (a new lineage, as after a replacement) resolves the time again in it.
            text(r, "pragma litestream_refresh");
            assertThat(number(r, "select count(*) from t")).isEqualTo(1);
            assertThat(text(r, "select litestream_txid()")).isEqualTo("0000000000000002");
            text(r, "pragma litestream_time = ''");
            assertThat(number(r, "select count(*) from t")).isEqualTo(3);
        }
    }

    @Test
    void schemaChangesFollowTheTime() throws Exception {
        try (Connection w = connect(); Connection c = connect()) {
            clock.set(T0.plus(Duration.ofMinutes(20)));
            exec(w, "create table later(x)", "insert into later values (1)");
            text(w, "select litestream_sync()");
            clock.set(T0.plus(Duration.ofMinutes(30)));
            assertThat(number(c, "select count(*) from later")).isEqualTo(1);
            text(c, "pragma litestream_time = '15 minutes ago'");
            assertThatThrownBy(() -> number(c, "select count(*) from later")).hasMessageContaining("no such table");
            text(c, "pragma litestream_time = 'latest'");
            assertThat(number(c, "select count(*) from later")).isEqualTo(1);
            List<String> checks = new ArrayList<>();
            checks.add(text(c, "pragma integrity_check"));
            text(c, "pragma litestream_time = '28 minutes ago'");
            checks.add(text(c, "pragma integrity_check"));
            assertThat(checks).containsOnly("ok");
        }
    }
}
