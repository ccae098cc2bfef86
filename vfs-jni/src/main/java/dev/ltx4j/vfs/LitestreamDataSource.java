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
 */
public final class LitestreamDataSource implements DataSource {
    private static final int SQLITE_READONLY = 8;
    private static final int SQLITE_IOERR = 10;
    private static final int SQLITE_BUSY = 5;

    private final String url;
    private PrintWriter logWriter;
    private int loginTimeout;

    /** @param jdbcUrl a {@code jdbc:sqlite:file:...?vfs=...} URL, see {@link LitestreamVfs#jdbcUrl} */
    public LitestreamDataSource(String jdbcUrl) {
        this.url = jdbcUrl;
    }

    /** The JDBC URL this data source connects to. */
    public String url() {
        return url;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection c = LitestreamVfs.connect(url);
        return (Connection) wrap(c, c, Connection.class);
    }

    /** SQLite has no users; the credentials are ignored. */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return getConnection();
    }

    private static Object wrap(Object target, Connection connection, Class<?> type) {
        return Proxy.newProxyInstance(LitestreamDataSource.class.getClassLoader(), new Class<?>[] {type},
                new Explaining(target, connection));
    }

    /** Forwards every call; adds the VFS's last error to SQLite errors that hide it. */
    private static final class Explaining implements InvocationHandler {
        private final Object target;
        private final Connection connection;

        Explaining(Object target, Connection connection) {
            this.target = target;
            this.connection = connection;
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
                if (t instanceof SQLException) throw explain((SQLException) t);
                throw t;
            }
            if (result instanceof CallableStatement) return wrap(result, connection, CallableStatement.class);
            if (result instanceof PreparedStatement) return wrap(result, connection, PreparedStatement.class);
            if (result instanceof Statement && !(result instanceof ResultSet)) return wrap(result, connection, Statement.class);
            return result;
        }

        private SQLException explain(SQLException e) {
            int code = e.getErrorCode();
            String m = String.valueOf(e.getMessage());
            boolean hidden = code == SQLITE_IOERR || code == SQLITE_READONLY
                    || (code == SQLITE_BUSY && m.contains("SNAPSHOT"));
            if (!hidden) return e;
            String reason = lastError(connection);
            if (reason == null || reason.isEmpty()) return e;
            SQLException x = new SQLException(m + " [litestream: " + reason + "]", e.getSQLState(), code, e);
            return x;
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
