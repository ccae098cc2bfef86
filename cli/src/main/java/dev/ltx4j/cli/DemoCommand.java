package dev.ltx4j.cli;

import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxSummary;
import dev.ltx4j.ltx.Txid;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
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
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ltx4j demo}: a tour on a local file:// replica. Creates a database, publishes it as LTX files, verifies
 * them, restores the replica into a new file and proves the restored database equals the original.
 */
@Command(name = "demo", description = "A 30-second tour on a local file:// replica.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", description = "Work directory (default: a new temp directory).")
    Path dir;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "20000", description = "Rows to insert (default: ${DEFAULT-VALUE}).")
    int rows;

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("ltx4j-demo-");
        Path source = work.resolve("app.db");
        Path replica = work.resolve("replica");
        Path restored = work.resolve("restored.db");
        String url = replica.toUri().toString();
        if (Files.exists(source) || Files.exists(replica) || Files.exists(restored)) {
            throw new IOException(work + " already holds a demo; pass an empty --dir");
        }

        step("1. Create a SQLite database with " + rows + " rows: " + source);
        createDatabase(source, rows);
        String before = contentDigest(source);
        out.println("   content digest " + before);

        step("2. Publish it to the replica " + url + " as an LTX snapshot at TXID 1");
        run("import", source.toString(), url);

        step("3. The replica, as Litestream lays it out (<root>/ltx/<level>/<min>-<max>.ltx)");
        run("ltx", "ls", url);
        List<Path> files;
        try (Stream<Path> s = Files.walk(replica)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(f))) {
                LtxSummary sum = LtxDecoder.verify(in, f.toString());
                out.printf("   %s: %d page frames, %d bytes, file checksum %s verified%n", replica.relativize(f),
                        sum.pageCount(), sum.size(), Txid.format(sum.fileChecksum()));
            }
        }

        step("4. Restore the replica into a new database: " + restored);
        run("restore", url, "-o", restored.toString());

        step("5. Check the restored database");
        String integrity = integrityCheck(restored);
        String after = contentDigest(restored);
        out.println("   PRAGMA integrity_check: " + integrity);
        out.println("   content digest " + after + (after.equals(before) ? " (identical)" : " (DIFFERENT)"));
        if (!"ok".equals(integrity) || !after.equals(before)) {
            spec.commandLine().getErr().println("demo failed: the restored database differs from the original");
            return 1;
        }
        out.println();
        out.println("Done. Everything is in " + work);
        return 0;
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

    static void createDatabase(Path db, int rows) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, score REAL)");
            s.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), kind TEXT, at TEXT)");
            s.execute("CREATE INDEX events_by_user ON events(user_id, at)");
            c.setAutoCommit(false);
            try (PreparedStatement u = c.prepareStatement("INSERT INTO users (name, email, score) VALUES (?, ?, ?)");
                    PreparedStatement e = c.prepareStatement("INSERT INTO events (user_id, kind, at) VALUES (?, ?, ?)")) {
                for (int i = 1; i <= rows; i++) {
                    u.setString(1, "user " + i);
                    u.setString(2, "user" + i + "@example.com");
                    u.setDouble(3, (i * 7919) % 1000 / 10.0);
                    u.addBatch();
                    e.setInt(1, i);
                    e.setString(2, i % 3 == 0 ? "login" : "purchase");
                    e.setString(3, String.format("2026-01-%02dT%02d:%02d:00Z", 1 + i % 28, i % 24, i % 60));
                    e.addBatch();
                }
                u.executeBatch();
                e.executeBatch();
            }
            c.commit();
        }
    }

    /** SHA-256 over every row of every table, in primary-key order. */
    static String contentDigest(Path db) throws SQLException, NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + db + "?mode=ro"); Statement s = c.createStatement()) {
            for (String table : List.of("users", "events")) {
                try (ResultSet rs = s.executeQuery("SELECT * FROM " + table + " ORDER BY id")) {
                    int cols = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int i = 1; i <= cols; i++) {
                            md.update(String.valueOf(rs.getString(i)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
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
