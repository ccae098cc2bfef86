package dev.ltx4j.cli;

import dev.ltx4j.vfs.LitestreamVfs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ltx4j demo}: a tour of the litestream VFS on a local file:// replica. A database is created and written
 * through the VFS in write mode; each sync publishes an LTX file; a read-only follower opened on the replica
 * catches up; the replica is restored into a plain SQLite file that must equal the database.
 */
@Command(name = "demo", description = "A 30-second tour of the litestream VFS on a local file:// replica.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", description = "Work directory (default: a new temp directory).")
    Path dir;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "2000", description = "Rows to insert (default: ${DEFAULT-VALUE}).")
    int rows;

    private PrintWriter out;
    private Path replica;
    private final Set<Path> shown = new HashSet<>();

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("ltx4j-demo-");
        Path database = work.resolve("app.db");
        replica = work.resolve("replica");
        Path restored = work.resolve("restored.db");
        String url = replica.toUri().toString();
        if (Files.exists(replica) || Files.exists(restored) || Files.exists(work.resolve("buffer"))) {
            throw new IOException(work + " already holds a demo; pass an empty --dir");
        }

        step("1. Register the VFS in write mode: replica " + url + ", sync every 200ms, buffer " + work.resolve("buffer"));
        LitestreamVfs.Registration writer = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .syncInterval(Duration.ofMillis(200)).bufferPath(work.resolve("buffer")).register("demo-writer");
        String jdbc = writer.jdbcUrl(database);
        out.println("   " + jdbc);

        try (Connection c = DriverManager.getConnection(jdbc)) {
            step("2. Write through the VFS; litestream_sync() uploads the commits as one LTX file and returns its TXID");
            try (Statement s = c.createStatement()) {
                s.execute(SCHEMA_USERS);
                s.execute(SCHEMA_EVENTS);
                s.execute(SCHEMA_INDEX);
            }
            sync(c, "schema");
            int batch = Math.max(1, rows / 4);
            for (int from = 1; from <= rows; from += batch) {
                int to = Math.min(rows, from + batch - 1);
                insert(c, from, to);
                sync(c, "rows " + from + ".." + to);
            }
            out.println("   status: " + query(c, "SELECT litestream_status()"));

            step("3. A read-only follower on the same replica (read mode, polls every 100ms)");
            LitestreamVfs.Registration follower = LitestreamVfs.builder().replica(url)
                    .pollInterval(Duration.ofMillis(100)).register("demo-follower");
            try (Connection f = DriverManager.getConnection(follower.jdbcUrl(work.resolve("follower.db")))) {
                out.println("   follower sees " + query(f, "SELECT count(*) FROM users") + " users at TXID "
                        + query(f, "SELECT litestream_txid()"));
                try (Statement s = c.createStatement()) {
                    s.execute("UPDATE users SET score = score + 1 WHERE id % 10 = 0");
                }
                String target = sync(c, "update of every 10th user");
                long t0 = System.nanoTime();
                while (!target.equals(query(f, "SELECT litestream_txid()"))) {
                    if (System.nanoTime() - t0 > 10_000_000_000L) throw new IOException("the follower did not catch up in 10s");
                    Thread.sleep(20);
                }
                out.printf("   follower caught up with TXID %s after %d ms; scores match: %s%n", target,
                        (System.nanoTime() - t0) / 1_000_000,
                        query(f, "SELECT sum(score) FROM users").equals(query(c, "SELECT sum(score) FROM users")));
            }
            String integrityVfs = query(c, "PRAGMA integrity_check");
            out.println("   writer PRAGMA integrity_check: " + integrityVfs);

            step("4. Restore the replica into a plain SQLite file: " + restored);
            run("restore", url, "-o", restored.toString());

            step("5. Compare the restored file with the database");
            String before = contentDigest(c);
            String integrity = integrityCheck(restored);
            String after = contentDigest(restored);
            out.println("   PRAGMA integrity_check: " + integrity);
            out.println("   content digest " + before + " (database) / " + after + " (restored)"
                    + (after.equals(before) ? " (identical)" : " (DIFFERENT)"));
            if (!"ok".equals(integrity) || !"ok".equals(integrityVfs) || !after.equals(before)) {
                spec.commandLine().getErr().println("demo failed: the restored database differs from the original");
                return 1;
            }
        }
        out.println();
        out.println("Done. Everything is in " + work + " (replica/ holds the LTX files, buffer the local write buffer).");
        return 0;
    }

    /** Syncs now, prints the TXID and the LTX files that appeared; returns the TXID. */
    private String sync(Connection c, String what) throws Exception {
        String txid = query(c, "SELECT litestream_sync()");
        List<Path> files;
        try (Stream<Path> s = Files.walk(replica)) {
            files = s.filter(Files::isRegularFile).filter(shown::add).sorted().toList();
        }
        out.printf("   %-28s -> TXID %s  %s%n", what, txid, files.stream().map(f -> replica.relativize(f) + " ("
                + size(f) + " bytes)").reduce((a, b) -> a + ", " + b).orElse("(no new file: the scheduler synced it already)"));
        return txid;
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return -1;
        }
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private void step(String text) {
        out.println();
        out.println(text);
    }

    private void run(String... args) {
        int rc = new picocli.CommandLine(new Main()).setOut(out).setErr(spec.commandLine().getErr()).execute(args);
        if (rc != 0) {
            throw new IllegalStateException("ltx4j " + String.join(" ", args) + " failed with exit code " + rc);
        }
    }

    private static final String SCHEMA_USERS =
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, score REAL)";
    private static final String SCHEMA_EVENTS =
            "CREATE TABLE events (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), kind TEXT, at TEXT)";
    private static final String SCHEMA_INDEX = "CREATE INDEX events_by_user ON events(user_id, at)";

    static void createDatabase(Path db, int rows) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute(SCHEMA_USERS);
            s.execute(SCHEMA_EVENTS);
            s.execute(SCHEMA_INDEX);
            insert(c, 1, rows);
        }
    }

    /** Inserts users {@code from..to} and one event each, in one transaction. */
    static void insert(Connection c, int from, int to) throws SQLException {
        c.setAutoCommit(false);
        try (PreparedStatement u = c.prepareStatement("INSERT INTO users (id, name, email, score) VALUES (?, ?, ?, ?)");
                PreparedStatement e = c.prepareStatement("INSERT INTO events (user_id, kind, at) VALUES (?, ?, ?)")) {
            for (int i = from; i <= to; i++) {
                u.setInt(1, i);
                u.setString(2, "user " + i);
                u.setString(3, "user" + i + "@example.com");
                u.setDouble(4, (i * 7919) % 1000 / 10.0);
                u.addBatch();
                e.setInt(1, i);
                e.setString(2, i % 3 == 0 ? "login" : "purchase");
                e.setString(3, String.format("2026-01-%02dT%02d:%02d:00Z", 1 + i % 28, i % 24, i % 60));
                e.addBatch();
            }
            u.executeBatch();
            e.executeBatch();
            c.commit();
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** SHA-256 over every row of every table of a plain database file, in primary-key order. */
    static String contentDigest(Path db) throws SQLException, NoSuchAlgorithmException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + db + "?mode=ro")) {
            return contentDigest(c);
        }
    }

    /** SHA-256 over every row of every table, in primary-key order. */
    static String contentDigest(Connection c) throws SQLException, NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (Statement s = c.createStatement()) {
            for (String table : List.of("users", "events")) {
                try (ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY id")) {
                    int cols = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int i = 1; i <= cols; i++) {
                            md.update(String.valueOf(rs.getString(i)).getBytes(StandardCharsets.UTF_8));
                            md.update((byte) 0);
                        }
                    }
                }
            }
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }

    static String integrityCheck(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + db + "?mode=ro"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
