package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12: pooled writers must not fail on sqlite-jdbc's 3 s default busy timeout, the data source takes
 * sqlite-jdbc properties, and a hand-written URL without {@code file:} (which silently opens a plain local file)
 * is refused with the fix.
 */
class DataSourceSettingsTest {
    @TempDir
    Path dir;

    private LitestreamVfs.Registration writer(String name) throws Exception {
        return LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1))
                .bufferPath(Files.createDirectories(dir.resolve(name)).resolve("buffer")).register(name);
    }

    @Test
    void aWriterWaitsLongerThanSqliteJdbcsThreeSecondsForTheWriteLockByDefault() throws Exception {
        LitestreamVfs.Registration vfs = writer("ds-busy");
        LitestreamDataSource ds = vfs.dataSource(dir.resolve("app.db"));
        assertThat(ds.properties().getProperty("busy_timeout")).isEqualTo("10000");
        try (Connection a = ds.getConnection(); Connection b = ds.getConnection()) {
            exec(a, "create table t(x)");
            a.setAutoCommit(false);
            exec(a, "insert into t values ('a')"); // holds the write lock for 3.5 s
            Thread committer = new Thread(() -> {
                try {
                    Thread.sleep(3500);
                    a.commit();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            committer.start();
            exec(b, "insert into t values ('b')");
            committer.join();
            assertThat(text(b, "select group_concat(x, ',') from t")).isEqualTo("a,b");
        }
    }

    /**
     * Field probes round 7: sqlite-jdbc runs a statement with a query timeout under {@code sqlite3_busy_timeout} and
     * sets the busy timeout back the same way afterwards, which replaced the polling busy handler for the rest of the
     * connection's life (a pooled connection, once a framework set a query timeout); {@code PRAGMA busy_timeout} is
     * 0 while the polling handler is installed and the timeout in ms once SQLite's own handler replaced it.
     */
    @Test
    void aStatementWithAQueryTimeoutKeepsThePollingBusyHandler() throws Exception {
        LitestreamVfs.Registration vfs = writer("ds-query-timeout");
        LitestreamDataSource ds = vfs.dataSource(dir.resolve("app.db"));
        try (Connection c = ds.getConnection()) {
            exec(c, "create table t(x)");
            assertThat(text(c, "pragma busy_timeout")).isEqualTo("0");
            try (java.sql.Statement s = c.createStatement()) {
                s.setQueryTimeout(5);
                s.executeUpdate("insert into t values (1)");
                assertThat(text(c, "pragma busy_timeout")).as("after executeUpdate with a timeout").isEqualTo("0");
                try (java.sql.ResultSet r = s.executeQuery("select count(*) from t")) {
                    assertThat(r.next()).isTrue();
                }
                assertThat(text(c, "pragma busy_timeout")).as("after executeQuery with a timeout").isEqualTo("0");
                s.execute("insert into t values (3)");
                assertThat(text(c, "pragma busy_timeout")).as("after execute with a timeout").isEqualTo("0");
            }
            try (java.sql.PreparedStatement p = c.prepareStatement("insert into t values (?)")) {
                p.setQueryTimeout(5);
                p.setInt(1, 2);
                p.executeUpdate();
                assertThat(text(c, "pragma busy_timeout")).as("after a prepared statement with a timeout").isEqualTo("0");
            }
            assertThat(text(c, "pragma busy_timeout")).isEqualTo("0");
        }
    }

    /**
     * A connection closed by another thread (a pool's evict or abort) between a statement's end and the busy
     * handler's restore: the caller gets the statement's own outcome (before: "database connection closed" for a
     * write that stood, or in place of the statement's own error).
     */
    @Test
    void aConnectionClosedBeforeTheBusyHandlerIsRestoredLeavesTheStatementsOutcome() throws Exception {
        Connection real = java.sql.DriverManager.getConnection("jdbc:sqlite::memory:");
        java.sql.Statement closing = statementThatClosesFirst(real, () -> 1);
        java.sql.Statement s = (java.sql.Statement) LitestreamDataSource.wrap(closing, real, java.sql.Statement.class, 10_000);
        assertThat(s.executeUpdate("insert into t values (1)")).isEqualTo(1);
        assertThat(real.isClosed()).isTrue();

        Connection real2 = java.sql.DriverManager.getConnection("jdbc:sqlite::memory:");
        java.sql.Statement failing = statementThatClosesFirst(real2, () -> {
            throw new SQLException("[SQLITE_CONSTRAINT_UNIQUE] A UNIQUE constraint failed (UNIQUE constraint failed: t.x)");
        });
        java.sql.Statement f = (java.sql.Statement) LitestreamDataSource.wrap(failing, real2, java.sql.Statement.class, 10_000);
        assertThatThrownBy(() -> f.executeUpdate("insert into t values (1)")).isInstanceOf(SQLException.class)
                .hasMessageContaining("UNIQUE constraint failed");
    }

    private interface Outcome {
        Object get() throws SQLException;
    }

    /** A statement with a query timeout whose execution ends after {@code real} was closed. */
    private static java.sql.Statement statementThatClosesFirst(Connection real, Outcome outcome) {
        return (java.sql.Statement) java.lang.reflect.Proxy.newProxyInstance(DataSourceSettingsTest.class.getClassLoader(),
                new Class<?>[] {java.sql.Statement.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "executeUpdate" -> {
                        real.close();
                        yield outcome.get();
                    }
                    case "isClosed" -> false;
                    case "getQueryTimeout" -> 5;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    @Test
    void sqliteJdbcPropertiesArePassedThroughAndBusyTimeoutOverridesTheWait() throws Exception {
        LitestreamVfs.Registration vfs = writer("ds-props");
        Properties p = new Properties();
        p.setProperty("busy_timeout", "0");
        p.setProperty("foreign_keys", "true");
        LitestreamDataSource ds = vfs.dataSource(dir.resolve("app.db"), p);
        try (Connection a = ds.getConnection(); Connection b = ds.getConnection()) {
            assertThat(text(a, "pragma foreign_keys")).isEqualTo("1");
            exec(a, "create table t(x)");
            a.setAutoCommit(false);
            exec(a, "insert into t values ('a')");
            assertThatThrownBy(() -> exec(b, "insert into t values ('b')")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("SQLITE_BUSY");
            a.commit();
        }
        p.setProperty("busy_timeout", "soon");
        assertThatThrownBy(() -> vfs.dataSource(dir.resolve("app.db"), p))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("busy_timeout").hasMessageContaining("soon");
    }

    @Test
    void aUrlNamingAVfsWithoutFilePrefixIsRefusedWithTheFix() {
        String trap = "jdbc:sqlite:/srv/x.db?vfs=w";
        assertThatThrownBy(() -> LitestreamVfs.checkJdbcUrl(trap)).isInstanceOf(SQLException.class)
                .hasMessageContaining("'file:' prefix")
                .hasMessageContaining("plain local file named 'x.db?vfs=w'")
                .hasMessageContaining("'jdbc:sqlite:file:/srv/x.db?vfs=w'");
        assertThatThrownBy(() -> new LitestreamDataSource(trap)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:sqlite:file:/srv/x.db?vfs=w");
        assertThatThrownBy(() -> LitestreamVfs.checkJdbcUrl("jdbc:sqlite:x.db?cache=shared&vfs=litestream"))
                .hasMessageContaining("'jdbc:sqlite:file:x.db?vfs=litestream&...'");
    }

    @Test
    void theTrapNeverEchoesOtherParametersWhichMayHoldCredentials() {
        assertThatThrownBy(() -> LitestreamVfs.checkJdbcUrl(
                "jdbc:sqlite:/srv/x.db?vfs=w&replica_url=s3://AKIAEXAMPLE:SECRETKEY@bucket/x"))
                .hasMessageNotContaining("SECRETKEY").hasMessageNotContaining("AKIAEXAMPLE");
    }

    @Test
    void correctAndUnrelatedUrlsPass() throws Exception {
        for (String ok : new String[] {"jdbc:sqlite:file:/srv/x.db?vfs=w", "jdbc:sqlite:/srv/x.db",
                "jdbc:sqlite::memory:", "jdbc:sqlite:/srv/x.db?journal_mode=wal", "jdbc:postgresql://h/db?vfs=w"}) {
            assertThat(LitestreamVfs.checkJdbcUrl(ok)).isEqualTo(ok);
        }
        LitestreamVfs.Registration vfs = writer("ds-urls");
        assertThat(LitestreamVfs.checkJdbcUrl(vfs.jdbcUrl(dir.resolve("a b?.db")))).startsWith("jdbc:sqlite:file:");
    }

    @Test
    void theDataSourceNeverCreatesTheTrapFile() throws Exception {
        writer("ds-trap");
        Path db = dir.resolve("x.db");
        assertThatThrownBy(() -> new LitestreamDataSource("jdbc:sqlite:" + db + "?vfs=ds-trap"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LitestreamVfs.connect("jdbc:sqlite:" + db + "?vfs=ds-trap"))
                .isInstanceOf(SQLException.class).hasMessageContaining("file:");
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("x.db"));
        }
    }
}
