package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two restores into one output, and a SQLite connection that comes while a restore runs (restore review findings 2
 * and 5): the first restore (a child JVM held part way by {@link ReleasedReplicaProvider}) has checked its output and
 * is writing its temporary file when the second comes. One wins; the other is refused naming the path, leaving no
 * partial file and no temporary file. Before: both reported success and the later rename replaced the earlier one
 * (without {@code --force}, too); a connection could start reading the database being replaced.
 */
class ConcurrentRestoreTest {
    @TempDir
    Path tmp;

    private Path replica;
    private String url;
    private String expected;

    @BeforeEach
    void replica() throws Exception {
        replica = tmp.resolve("replica");
        url = replica.toUri().toString();
        CompactRetainCommandTest.writeWithEngine(url, Files.createDirectories(tmp.resolve("writer")), 12);
        Path clean = tmp.resolve("clean.db");
        assertThat(CliRun.of("restore", url, "-o", clean.toString()).exitCode()).isZero();
        expected = content(clean);
        Files.delete(clean);
    }

    private static String content(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT (SELECT group_concat(name) FROM sqlite_master),"
                        + " (SELECT count(*) FROM t)")) {
            rs.next();
            return rs.getString(1) + " / " + rs.getLong(2);
        }
    }

    private List<Path> temps() throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.filter(p -> p.getFileName().toString().contains(".ltx4j-restore-")).toList();
        }
    }

    /** A child JVM restoring {@code args} from {@code released://}, waiting once its temporary file exists. */
    private Process heldRestore(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), "dev.ltx4j.cli.Main", "restore",
                "released://" + replica));
        cmd.addAll(List.of(args));
        File err = tmp.resolve("child-err.txt").toFile();
        Process p = new ProcessBuilder(cmd).redirectOutput(tmp.resolve("child-out.txt").toFile()).redirectError(err)
                .start();
        for (int i = 0; i < 1200 && temps().isEmpty() && p.isAlive(); i++) {
            Thread.sleep(50);
        }
        assertThat(temps()).as("the first restore's temporary file (%s)", Files.readString(err.toPath())).hasSize(1);
        return p;
    }

    /** Lets the held restore finish; its exit code. */
    private int release(Process p) throws Exception {
        Files.createFile(ReleasedReplicaProvider.gate(replica));
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    private String childErr() throws Exception {
        return Files.readString(tmp.resolve("child-err.txt"), StandardCharsets.UTF_8);
    }

    @Test
    void aSecondForcedRestoreOverAnExistingOutputIsRefusedNamingIt() throws Exception {
        Path out = tmp.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE old(x)");
        }
        Process first = heldRestore("--force", "-o", out.toString());
        try {
            CliRun second = CliRun.of("restore", "--force", url, "-o", out.toString());
            assertThat(second.exitCode()).as(second.err()).isEqualTo(1);
            assertThat(second.err()).contains("output " + out + " is being written by another ltx4j restore");
            assertThat(temps()).as("only the first restore's file").hasSize(1);
        } finally {
            assertThat(release(first)).as(childErr()).isZero();
        }
        assertThat(content(out)).isEqualTo(expected);
        assertThat(temps()).isEmpty();
    }

    @Test
    void aSecondRestoreToTheSameNewOutputIsRefusedNamingIt() throws Exception {
        Path out = tmp.resolve("new.db");
        Process first = heldRestore("-o", out.toString());
        try {
            for (String[] args : List.of(new String[] {"restore", url, "-o", out.toString()},
                    new String[] {"restore", "--force", url, "-o", out.toString()})) {
                CliRun second = CliRun.of(args);
                assertThat(second.exitCode()).as(second.err()).isEqualTo(1);
                assertThat(second.err()).contains("output " + out + " is being written by another ltx4j restore");
                assertThat(out).doesNotExist();
            }
        } finally {
            assertThat(release(first)).as(childErr()).isZero();
        }
        assertThat(content(out)).isEqualTo(expected);
        assertThat(temps()).isEmpty();
    }

    /** An output that did not exist at the check and was created meanwhile is not replaced, even with --force. */
    @Test
    void anOutputCreatedDuringTheRestoreIsNotReplaced() throws Exception {
        Path out = tmp.resolve("new.db");
        Process first = heldRestore("--force", "-o", out.toString());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE app(x)");
        } finally {
            assertThat(release(first)).as("the held restore").isEqualTo(1);
        }
        assertThat(childErr()).contains("output " + out + " was created by another process during the restore");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT group_concat(name) FROM sqlite_master")) {
            assertThat(rs.getString(1)).isEqualTo("app");
        }
        assertThat(temps()).isEmpty();
    }

    /**
     * The check's locks are held until the rename: a SQLite connection (Python, another process) that starts reading
     * the output meanwhile gets "database is locked" instead of reading a database about to be replaced.
     */
    @Test
    void aConnectionCannotStartReadingTheOutputWhileItIsRestored() throws Exception {
        assumeThat(Path.of("/usr/bin/python3")).exists();
        Path out = tmp.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out); Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("CREATE TABLE old(x)");
        }
        Process first = heldRestore("--force", "-o", out.toString());
        try {
            Process reader = new ProcessBuilder("/usr/bin/python3", "-c", String.join("\n",
                    "import sqlite3, sys",
                    "try:",
                    "    print(sqlite3.connect(sys.argv[1], timeout=0).execute('SELECT count(*) FROM old').fetchone())",
                    "except sqlite3.OperationalError as e:",
                    "    print('refused:', e)"), out.toString()).redirectErrorStream(true).start();
            assertThat(reader.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String said = new String(reader.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(said).as("a reader during the restore").contains("refused: database is locked");
        } finally {
            assertThat(release(first)).as(childErr()).isZero();
        }
        assertThat(content(out)).isEqualTo(expected);
        assertThat(tmp.resolve("app.db-wal")).doesNotExist();
        assertThat(temps()).isEmpty();
    }
}
