package dev.ltx4j.vfs;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} of sqlite-jdbc connections to one database through a litestream VFS, for connection pools.
 * All its connections (in all threads) share the process's single engine state of the database.
 *
 * <p>SQLite can only report a replica conflict as {@code SQLITE_BUSY_SNAPSHOT} ("database is locked"); connections
 * from this data source add the VFS's reason to such errors (and to I/O and read-only errors), so the
 * {@link SQLException} message says {@code conflict} and names the TXIDs. The original exception is the cause.
 * Likewise a refused open says why ({@link LitestreamVfs#lastOpenError()}), not only "unable to open database file".
 * A conflict is thrown as {@link LitestreamConflictException}, whose message says how to recover; a {@code
 * durability=remote} commit that stands but lacks the replica's confirmation as {@link
 * LitestreamUnconfirmedCommitException} (never run it again).
 *
 * <p>Connections wait up to {@value #DEFAULT_BUSY_TIMEOUT_MS} ms for a lock (sqlite-jdbc's own default is 3000):
 * a pool's writers take turns on the one write lock, and a commit holds it while the write buffer is fsynced
 * ({@code durability=local}) or, with {@code durability=remote}, while the transaction is uploaded, store retries
 * included. Set {@code busy_timeout} (milliseconds) in the properties to change it; any other sqlite-jdbc
 * connection property ({@code foreign_keys}, {@code journal_mode}, {@code synchronous}, ...) is passed through.
 * The wait retries every millisecond (SQLite's own busy handler backs off to 100 ms, and a backed-off waiter can
 * lose every hand-over of the write lock between writers that commit faster than that): its connections therefore
 * report {@code PRAGMA busy_timeout} as 0, and setting that pragma on a connection puts SQLite's handler back.
 */
public final class LitestreamDataSource implements DataSource {
    private static final int SQLITE_READONLY = 8;
    private static final int SQLITE_IOERR = 10;
    private static final int SQLITE_BUSY = 5;

    /** The lock wait of this data source's connections unless {@code busy_timeout} is set, in milliseconds. */
    public static final int DEFAULT_BUSY_TIMEOUT_MS = 10_000;
    /** The sqlite-jdbc connection property of the lock wait, in milliseconds. */
    public static final String BUSY_TIMEOUT = "busy_timeout";

    private final String url;
    private final Properties properties;
    private final int busyTimeoutMillis;
    private PrintWriter logWriter;
    private int loginTimeout;

    /**
     * @param jdbcUrl a {@code jdbc:sqlite:file:...?vfs=...} URL, see {@link LitestreamVfs#jdbcUrl}
     * @throws IllegalArgumentException for a URL that names a VFS without {@code file:} (see
     *                                  {@link LitestreamVfs#checkJdbcUrl})
     */
    public LitestreamDataSource(String jdbcUrl) {
        this(jdbcUrl, new Properties());
    }

    /**
     * @param jdbcUrl    as {@link #LitestreamDataSource(String)}
     * @param properties sqlite-jdbc connection properties (copied); {@code busy_timeout} defaults to
     *                   {@value #DEFAULT_BUSY_TIMEOUT_MS}
     */
    public LitestreamDataSource(String jdbcUrl, Properties properties) {
        try {
            this.url = LitestreamVfs.checkJdbcUrl(jdbcUrl);
        } catch (SQLException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        this.properties = new Properties();
        for (String k : properties.stringPropertyNames()) this.properties.setProperty(k, properties.getProperty(k));
        if (this.properties.getProperty(BUSY_TIMEOUT) == null) {
            this.properties.setProperty(BUSY_TIMEOUT, Integer.toString(DEFAULT_BUSY_TIMEOUT_MS));
        }
        String busy = this.properties.getProperty(BUSY_TIMEOUT);
        try {
            busyTimeoutMillis = Integer.parseInt(busy.trim());
            if (busyTimeoutMillis < 0) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("busy_timeout must be a number of milliseconds >= 0, not '" + busy + "'");
        }
    }

    /** The sqlite-jdbc properties of new connections (a copy), {@code busy_timeout} included. */
    public Properties properties() {
        Properties p = new Properties();
        p.putAll(properties);
        return p;
    }

    /** The JDBC URL this data source connects to. */
    public String url() {
        return url;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection c = LitestreamVfs.connect(url, properties);
        try {
            PollingBusyHandler.install(c, busyTimeoutMillis);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        return (Connection) wrap(c, c, Connection.class, busyTimeoutMillis);
    }

    /** SQLite has no users; the credentials are ignored. */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return getConnection();
    }

    /** {@code target} behind {@link Explaining}; {@code connection} is the real one (package-private for tests). */
    static Object wrap(Object target, Connection connection, Class<?> type, int busyTimeoutMillis) {
        return Proxy.newProxyInstance(LitestreamDataSource.class.getClassLoader(), new Class<?>[] {type},
                new Explaining(target, connection, busyTimeoutMillis));
    }

    /** Forwards every call; adds the VFS's last error to SQLite errors that hide it. */
    private static final class Explaining implements InvocationHandler {
        private final Object target;
        private final Connection connection;
        private final int busyTimeoutMillis;

        Explaining(Object target, Connection connection, int busyTimeoutMillis) {
            this.target = target;
            this.connection = connection;
            this.busyTimeoutMillis = busyTimeoutMillis;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getName().equals("unwrap") && args.length == 1 && ((Class<?>) args[0]).isInstance(target)) {
                return target;
            }
            Object result;
            try {
                result = method.invoke(target, args);
            } catch (InvocationTargetException e) {
                Throwable t = e.getCause();
                Throwable thrown = t instanceof SQLException ? explain((SQLException) t) : t;
                restoreBusyHandler(method, thrown);
                throw thrown;
            }
            restoreBusyHandler(method, null);
            if (result instanceof CallableStatement) return wrap(result, connection, CallableStatement.class, busyTimeoutMillis);
            if (result instanceof PreparedStatement) return wrap(result, connection, PreparedStatement.class, busyTimeoutMillis);
            if (result instanceof Statement && !(result instanceof ResultSet)) return wrap(result, connection, Statement.class, busyTimeoutMillis);
            return result;
        }

        /**
         * sqlite-jdbc runs a statement with a query timeout under {@code sqlite3_busy_timeout(timeout)} and then sets
         * the connection's busy timeout back the same way, which replaces the polling handler for good (issue 12's
         * starvation came back on every pooled connection that once ran such a statement). Put it back.
         */
        private void restoreBusyHandler(Method method, Throwable inFlight) throws SQLException {
            if (!(target instanceof Statement s) || target instanceof ResultSet || !method.getName().startsWith("execute")) {
                return;
            }
            try {
                if (!s.isClosed() && s.getQueryTimeout() > 0) PollingBusyHandler.install(connection, busyTimeoutMillis);
            } catch (SQLException e) {
                // The statement's outcome stands: a connection closed meanwhile (a pool's evict or abort from
                // another thread) has no handler to restore; a failure of the statement is what the caller gets.
                if (connection.isClosed()) return;
                if (inFlight != null) {
                    inFlight.addSuppressed(e);
                    return;
                }
                throw e;
            }
        }

        private SQLException explain(SQLException e) {
            int code = e.getErrorCode();
            String m = String.valueOf(e.getMessage());
            int unconfirmed = LitestreamUnconfirmedCommitException.codeOf(e);
            if (unconfirmed != 0 && !(e instanceof LitestreamUnconfirmedCommitException)) {
                String reason = lastError(connection);
                return new LitestreamUnconfirmedCommitException(m + (reason == null || reason.isEmpty() ? ""
                        : " [litestream: " + reason + "]"), unconfirmed, e);
            }
            boolean conflict = code == SQLITE_BUSY && m.contains("SNAPSHOT");
            boolean hidden = code == SQLITE_IOERR || code == SQLITE_READONLY || conflict;
            if (!hidden) return e;
            String reason = lastError(connection);
            if (conflict) return new LitestreamConflictException(m + (reason == null || reason.isEmpty() ? ""
                    : " [litestream: " + reason + "]"), e, staleRead(reason) ? LitestreamConflictException.RETRY
                    : LitestreamConflictException.RECOVERY);
            if (reason == null || reason.isEmpty()) return e;
            SQLException x = new SQLException(m + " [litestream: " + reason + "]", e.getSQLState(), code, e);
            return x;
        }

        /** The engine's refusal of a read-then-write overtaken by another connection (StaleSnapshotException). */
        private static boolean staleRead(String reason) {
            return reason != null && reason.contains("another connection committed after this transaction began reading");
        }

        private static String lastError(Connection c) {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA litestream_last_error")) {
                return r.next() ? r.getString(1) : null;
            } catch (SQLException ignored) {
                return null;
            }
        }
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public void setLoginTimeout(int seconds) {
        this.loginTimeout = seconds;
    }

    @Override
    public int getLoginTimeout() {
        return loginTimeout;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException("LitestreamDataSource does not log through java.util.logging");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) return iface.cast(this);
        throw new SQLException("LitestreamDataSource is not a wrapper for " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }
}
