package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.vfs.internal.NativeBridge;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The claim a writer refused for a stale snapshot keeps on the write lock for its immediate retry (litestreamvfs.c,
 * CLAIM_NS; docs/group-commit.md, "A claim for the retry after a stale refusal"): it lapses when the refused
 * connection does not retry, so it never refuses another writer, and four writers that keep overtaking each other
 * commit every row.
 */
class StaleRefusalClaimTest {
    private static final int REFUSALS = 14;
    private static final int CLAIMS = 16;

    @TempDir
    Path dir;

    private LitestreamVfs.Registration register(String name) throws SQLException {
        return LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("buffer")).register(name);
    }

    @Test
    void aClaimLeftByATransactionThatDoesNotRetryLapsesAndDoesNotRefuseAnotherWriter() throws Exception {
        LitestreamVfs.Registration vfs = register("claimlapse");
        Path db = dir.resolve("app.db");
        try (Connection a = DriverManager.getConnection(vfs.jdbcUrl(db));
             Connection b = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            exec(a, "create table t(id integer primary key, v text)");
            exec(a, "pragma busy_timeout = 0"); // a refusal would reach the test at once
            long[] c0 = NativeBridge.counters();
            assertThat(c0.length).isGreaterThan(CLAIMS);
            exec(b, "begin");
            assertThat(number(b, "select count(*) from t")).isZero();
            exec(a, "insert into t(v) values ('a')");
            // b's write is refused as stale and, inside a transaction that read, SQLite gives the error to the
            // application instead of retrying: the claim b left must not keep a out beyond its lapse.
            assertThatThrownBy(() -> exec(b, "insert into t(v) values ('stale')")).isInstanceOf(SQLException.class);
            long[] c1 = NativeBridge.counters();
            assertThat(c1[REFUSALS] - c0[REFUSALS]).isEqualTo(1);
            assertThat(c1[CLAIMS] - c0[CLAIMS]).isEqualTo(1);
            for (int i = 0; i < 20; i++) {
                exec(a, "insert into t(v) values ('a')");
            }
            exec(b, "rollback");
            assertThat(number(b, "select count(*) from t")).isEqualTo(21);
            exec(b, "pragma busy_timeout = 0");
            exec(b, "insert into t(v) values ('b')"); // b's own later writes are not hindered either
            assertThat(number(a, "select count(*) from t")).isEqualTo(22);
        }
    }

    @Test
    void fourWritersThatOvertakeEachOtherCommitEveryRow() throws Exception {
        LitestreamVfs.Registration vfs = register("claimfour");
        Path db = dir.resolve("app.db");
        int threads = 4;
        int each = 250;
        List<Connection> cs = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int i = 0; i < threads; i++) {
                cs.add(DriverManager.getConnection(vfs.jdbcUrl(db)));
            }
            exec(cs.get(0), "create table t(id integer primary key, thread integer, n integer)");
            long[] c0 = NativeBridge.counters();
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Connection c = cs.get(i);
                int thread = i;
                fs.add(pool.submit(() -> {
                    try (PreparedStatement p = c.prepareStatement("insert into t(thread, n) values (?, ?)")) {
                        for (int n = 0; n < each; n++) {
                            p.setInt(1, thread);
                            p.setInt(2, n);
                            p.executeUpdate();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(); // no SQLITE_BUSY within sqlite-jdbc's default busy timeout
            }
            long[] c1 = NativeBridge.counters();
            assertThat(number(cs.get(0), "select count(*) from t")).isEqualTo(threads * each);
            assertThat(number(cs.get(0), "select count(distinct thread * 1000 + n) from t")).isEqualTo(threads * each);
            // Every stale refusal of an autocommit insert left a claim for its retry.
            assertThat(c1[CLAIMS] - c0[CLAIMS]).isEqualTo(c1[REFUSALS] - c0[REFUSALS]);
        } finally {
            pool.shutdownNow();
            for (Connection c : cs) {
                c.close();
            }
        }
    }
}
