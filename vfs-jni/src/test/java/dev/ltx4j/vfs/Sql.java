package dev.ltx4j.vfs;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/** Small JDBC helpers for the tests. */
final class Sql {
    private Sql() {
    }

    /** A subquery yielding column {@code value} = 1..n (sqlite-jdbc has no generate_series). */
    static String series(int n) {
        return "(with recursive s(value) as (select 1 union all select value + 1 from s where value < " + n
                + ") select value from s)";
    }

    static Connection open(Path db, String vfs) throws SQLException {
        return open(db, vfs, Map.of());
    }

    static Connection open(Path db, String vfs, Map<String, String> params) throws SQLException {
        return DriverManager.getConnection(LitestreamVfs.jdbcUrl(db, vfs, params));
    }

    /** A plain sqlite-jdbc connection on the unix VFS. */
    static Connection plain(Path db) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + db);
    }

    static void exec(Connection c, String... sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String q : sql) s.execute(q);
        }
    }

    static String text(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }

    static long number(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            if (!r.next()) throw new SQLException("no row for " + sql);
            return r.getLong(1);
        }
    }
}
