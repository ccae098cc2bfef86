package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.vfs.internal.NativeBridge;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write-lock counters `bench vfs` prints for four writers (litestreamvfs.c n_counters 8-15): grants of RESERVED in
 * the lock table, grants to the connection that held it last, time held, stale-snapshot refusals. Commits run one
 * after another here, so each count is exact.
 */
class WriteLockCountersTest {
    private static final int GRANTS = 8;
    private static final int REGRANTS = 9;
    private static final int HELD_NS = 10;
    private static final int REFUSALS = 14;

    @TempDir
    Path dir;

    @Test
    void grantsRegrantsAndStaleRefusalsAreCountedPerCommit() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString())
                .writeEnabled(true).syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("buffer")).register("lockcounters");
        Path db = dir.resolve("app.db");
        try (Connection a = DriverManager.getConnection(vfs.jdbcUrl(db));
             Connection b = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            exec(a, "create table t(id integer primary key, v text)");
            exec(b, "pragma busy_timeout = 0");
            long[] c0 = NativeBridge.counters();
            assertThat(c0.length).isGreaterThanOrEqualTo(16);
            for (int i = 0; i < 10; i++) {
                exec(a, "insert into t(v) values ('a')"); // the same connection again: a regrant each time
            }
            long[] c1 = NativeBridge.counters();
            assertThat(c1[GRANTS] - c0[GRANTS]).isEqualTo(10);
            assertThat(c1[REGRANTS] - c0[REGRANTS]).isEqualTo(10); // a created the table: it held the lock last
            assertThat(c1[HELD_NS]).isGreaterThan(c0[HELD_NS]);
            for (int i = 0; i < 5; i++) {
                exec(b, "insert into t(v) values ('b')"); // taking turns: never the last holder
                exec(a, "insert into t(v) values ('a')");
            }
            long[] c2 = NativeBridge.counters();
            assertThat(c2[GRANTS] - c1[GRANTS]).isEqualTo(10);
            assertThat(c2[REGRANTS] - c1[REGRANTS]).isZero();
            // A transaction that read, overtaken by another connection's commit: refused at its write (one refusal).
            exec(b, "begin");
            assertThat(number(b, "select count(*) from t")).isEqualTo(20);
            exec(a, "insert into t(v) values ('a')");
            assertThatThrownBy(() -> exec(b, "insert into t(v) values ('stale')")).isInstanceOf(SQLException.class);
            exec(b, "rollback");
            long[] c3 = NativeBridge.counters();
            assertThat(c3[REFUSALS] - c2[REFUSALS]).isEqualTo(1);
            assertThat(number(b, "select count(*) from t")).isEqualTo(21);
        }
    }
}
