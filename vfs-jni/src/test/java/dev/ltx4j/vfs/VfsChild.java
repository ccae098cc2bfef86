package dev.ltx4j.vfs;

import dev.ltx4j.pagestore.Durability;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;

/**
 * A second process for the engine tests (as a second host would be). Modes:
 * <ul>
 *   <li>{@code follow <url> <db> <rows>}: read mode; prints {@code seen <n> <txid>} whenever the row count of
 *       {@code t} changes, exits 0 once it reaches {@code rows} (1 after 60 s);</li>
 *   <li>{@code write <url> <db> <buffer> <syncInterval>}: autocommit inserts into {@code t} forever, printing each
 *       id once its commit returned (the crash test kills it);</li>
 *   <li>{@code rival <url> <db> <buffer>}: commits a row locally without syncing, prints {@code ready}, waits for a
 *       line on stdin, then syncs and inserts again, printing each error message.</li>
 *   <li>{@code inflight <url> <db> <buffer> <rows>}: durability local; commits {@code rows} rows, prints
 *       {@code committed}, then rewrites every row in one open transaction big enough to spill pages to the
 *       database file (and the journal), prints {@code inflight} and waits to be killed;</li>
 *   <li>{@code plainhot <db> <rows>}: the same on a plain sqlite-jdbc file, leaving a hot journal when killed.</li>
 * </ul>
 */
public final class VfsChild {
    private VfsChild() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "follow": follow(args[1], Path.of(args[2]), Integer.parseInt(args[3])); break;
            case "write": write(args[1], Path.of(args[2]), Path.of(args[3]), args[4]); break;
            case "rival": rival(args[1], Path.of(args[2]), Path.of(args[3])); break;
            case "inflight": inflight(args[1], Path.of(args[2]), Path.of(args[3]), Integer.parseInt(args[4])); break;
            case "plainhot": plainHot(Path.of(args[1]), Integer.parseInt(args[2])); break;
            default: throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void follow(String url, Path db, int rows) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).writeEnabled(false)
                .pollInterval(Duration.ofMillis(50)).register("follower");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long last = -1;
        try (Connection c = vfs.dataSource(db).getConnection()) {
            while (System.nanoTime() < deadline) {
                long n = Sql.number(c, "select count(*) from t");
                if (n != last) {
                    System.out.println("seen " + n + " " + Sql.text(c, "select litestream_txid()")
                            + " " + Sql.text(c, "pragma integrity_check"));
                    System.out.flush();
                    last = n;
                }
                if (n >= rows) return;
                Thread.sleep(10);
            }
        }
        System.exit(1);
    }

    private static void write(String url, Path db, Path buffer, String syncInterval) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .durability(Durability.LOCAL).bufferPath(buffer).register("writer");
        try (Connection c = java.sql.DriverManager.getConnection(vfs.jdbcUrl(db,
                java.util.Map.of("sync_interval", syncInterval)))) {
            Sql.exec(c, "create table if not exists t(id integer primary key, v text)");
            try (PreparedStatement p = c.prepareStatement("insert into t(v) values (?) returning id")) {
                for (int i = 0; ; i++) {
                    p.setString(1, "row " + i + " " + "x".repeat(i % 200));
                    long id;
                    try (var rs = p.executeQuery()) {
                        rs.next();
                        id = rs.getLong(1);
                    }
                    System.out.println(id);
                    System.out.flush();
                }
            }
        }
    }

    private static void rival(String url, Path db, Path buffer) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(buffer).register("rival");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Connection c = vfs.dataSource(db).getConnection()) {
            Sql.exec(c, "insert into t(v) values ('rival 1')");
            System.out.println("ready");
            System.out.flush();
            in.readLine();
            report("sync", c, "select litestream_sync()");
            report("insert", c, "insert into t(v) values ('rival 2')");
            System.out.println("last_error " + Sql.text(c, "pragma litestream_last_error"));
            System.out.println("status " + Sql.text(c, "select litestream_status()"));
        }
    }

    private static void report(String what, Connection c, String sql) {
        try {
            Sql.exec(c, sql);
            System.out.println(what + " ok");
        } catch (SQLException e) {
            System.out.println(what + " error " + e.getMessage().replace('\n', ' '));
        }
    }

    private static void inflight(String url, Path db, Path buffer, int rows) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .durability(Durability.LOCAL).syncInterval(Duration.ofHours(1)).bufferPath(buffer).register("inflight");
        try (Connection c = java.sql.DriverManager.getConnection(vfs.jdbcUrl(db))) {
            killedInsideATransaction(c, rows);
        }
    }

    private static void plainHot(Path db, int rows) throws Exception {
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db)) {
            Sql.exec(c, "pragma journal_mode=delete");
            killedInsideATransaction(c, rows);
        }
    }

    /** Commits {@code rows} rows of ~2 KB, then dies (by SIGKILL from the test) inside a big rewrite of them. */
    private static void killedInsideATransaction(Connection c, int rows) throws Exception {
        Sql.exec(c, "create table t(id integer primary key, v text)",
                "insert into t(v) select 'committed ' || value || ' ' || hex(zeroblob(1000)) from "
                        + Sql.series(rows));
        System.out.println("committed");
        System.out.flush();
        Sql.exec(c, "pragma cache_size=10"); // forces pages out to the database file before the commit
        c.setAutoCommit(false);
        Sql.exec(c, "update t set v = 'uncommitted ' || hex(randomblob(3000))");
        System.out.println("inflight");
        System.out.flush();
        System.in.read(); // the test kills this process here
        System.exit(3);
    }
}
