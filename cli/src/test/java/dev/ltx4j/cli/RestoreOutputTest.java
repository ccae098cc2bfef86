package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where {@code ltx4j restore} writes, as a user meets it (field probes round 7): an old database's {@code -wal} beside
 * the output, a database open in another process, a restore stopped by SIGTERM or killed and run again, the mode of a
 * replaced file, a symbolic link. A partial output must never be taken for a database, and a restored database must
 * read as the replica's.
 */
class RestoreOutputTest {
    @TempDir
    Path tmp;

    private String url;
    private String expected;

    @BeforeEach
    void replica() throws Exception {
        Path replica = tmp.resolve("replica");
        url = replica.toUri().toString();
        CompactRetainCommandTest.writeWithEngine(url, Files.createDirectories(tmp.resolve("writer")), 12);
        Path clean = tmp.resolve("clean.db");
        assertThat(CliRun.of("restore", url, "-o", clean.toString()).exitCode()).isZero();
        expected = content(clean);
    }

    /** The schema and row count as SQLite reads them (an old WAL beside the file changes both). */
    private static String content(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT (SELECT group_concat(name) FROM sqlite_master),"
                        + " (SELECT count(*) FROM t)")) {
            rs.next();
            return rs.getString(1) + " / " + rs.getLong(2);
        }
    }

    /** An old application database at {@code db} whose last transactions are still in its {@code -wal}. */
    private void oldDatabaseWithWal(Path db) throws Exception {
        Path live = Files.createDirectories(tmp.resolve("old-app")).resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + live); Statement s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA wal_autocheckpoint=0");
            s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            s.execute("CREATE TABLE old_only(x)");
            s.execute("INSERT INTO t(v) VALUES ('old row')");
            // Copied while open: the committed transactions are in the -wal, as after a crash or a kill.
            Files.copy(live, db);
            Files.copy(live.resolveSibling("app.db-wal"), db.resolveSibling(db.getFileName() + "-wal"));
        }
    }

    @Test
    void aForcedRestoreOverADatabaseWithAnOldWalReadsAsTheReplica() throws Exception {
        Path out = tmp.resolve("app.db");
        oldDatabaseWithWal(out);
        CliRun run = CliRun.of("restore", "--force", url, "-o", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        // Before: SQLite applied the old WAL to the restored file: "t,old_only / 1" instead of the replica's tables.
        assertThat(content(out)).isEqualTo(expected);
        assertThat(tmp.resolve("app.db-wal")).doesNotExist();
    }

    @Test
    void anOldWalBesideAMissingOutputIsRefusedWithoutForce() throws Exception {
        Path out = tmp.resolve("app.db");
        oldDatabaseWithWal(out);
        Files.delete(out); // the user removed the broken database but not its log
        CliRun run = CliRun.of("restore", url, "-o", out.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("app.db-wal", "--force").contains("does not exist");
        assertThat(out).doesNotExist();
        assertThat(CliRun.of("restore", "--force", url, "-o", out.toString()).exitCode()).isZero();
        assertThat(content(out)).isEqualTo(expected);
    }

    @Test
    void aDatabaseOpenInAnotherProcessIsNotReplaced() throws Exception {
        assumeThat(Path.of("/usr/bin/python3")).exists();
        Path out = tmp.resolve("app.db");
        Path ready = tmp.resolve("ready");
        Process holder = new ProcessBuilder("/usr/bin/python3", "-c", String.join("\n",
                "import sqlite3, sys, time",
                "c = sqlite3.connect(sys.argv[1])",
                "c.execute('PRAGMA journal_mode=WAL')",
                "c.execute('CREATE TABLE live(x)'); c.commit()",
                "open(sys.argv[2], 'w').close()",
                "time.sleep(60)"), out.toString(), ready.toString()).redirectErrorStream(true).start();
        try {
            for (int i = 0; i < 600 && !Files.exists(ready); i++) {
                Thread.sleep(50);
            }
            assertThat(ready).exists();
            CliRun run = CliRun.of("restore", "--force", url, "-o", out.toString());
            assertThat(run.exitCode()).as("restore over a live database").isEqualTo(1);
            assertThat(run.err()).contains("open in another process", "app.db-shm");
            assertThat(tmp.resolve("app.db-wal")).exists();
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }

    @Test
    void aRollbackModeDatabaseInATransactionElsewhereIsNotReplaced() throws Exception {
        assumeThat(Path.of("/usr/bin/python3")).exists();
        Path out = tmp.resolve("app.db");
        Path ready = tmp.resolve("ready");
        Process holder = new ProcessBuilder("/usr/bin/python3", "-c", String.join("\n",
                "import sqlite3, sys, time",
                "c = sqlite3.connect(sys.argv[1], isolation_level=None)",
                "c.execute('CREATE TABLE live(x)')",
                "c.execute('BEGIN'); c.execute('SELECT * FROM live').fetchall()", // holds SHARED
                "open(sys.argv[2], 'w').close()",
                "time.sleep(60)"), out.toString(), ready.toString()).redirectErrorStream(true).start();
        try {
            for (int i = 0; i < 600 && !Files.exists(ready); i++) {
                Thread.sleep(50);
            }
            assertThat(ready).exists();
            // Before: no -shm, so nothing was checked and --force replaced the database under the reader.
            CliRun run = CliRun.of("restore", "--force", url, "-o", out.toString());
            assertThat(run.exitCode()).as("restore over a database being read").isEqualTo(1);
            assertThat(run.err()).contains("being read or written by another process", "app.db");
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }

    private static List<Path> temps(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("out\\.db\\.ltx4j-restore-[0-9]+\\.tmp")).toList();
        }
    }

    /** A child JVM restoring from {@code stalled://}: the snapshot is written, the next file never arrives. */
    private Process stalledRestore(Path out) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.ltx4j.cli.Main", "restore",
                "stalled://" + tmp.resolve("replica"), "-o", out.toString()));
        File err = tmp.resolve("child-err.txt").toFile();
        Process p = new ProcessBuilder(cmd).redirectOutput(tmp.resolve("child-out.txt").toFile()).redirectError(err)
                .start();
        for (int i = 0; i < 1200 && temps(tmp).isEmpty(); i++) {
            Thread.sleep(50);
        }
        assertThat(temps(tmp)).as("the restore's partial file").hasSize(1);
        return p;
    }

    @Test
    void aRestoreStoppedBySigtermLeavesNoPartialFile() throws Exception {
        Path out = tmp.resolve("out.db");
        Process p = stalledRestore(out);
        p.destroy(); // SIGTERM
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(temps(tmp)).as("partial files after SIGTERM").isEmpty();
        assertThat(out).doesNotExist();
        assertThat(Files.readString(tmp.resolve("child-err.txt"), StandardCharsets.UTF_8))
                .contains("restore stopped: removed the partial database");
    }

    @Test
    void aKilledRestoresPartialFileIsRemovedByTheNextRun() throws Exception {
        Path out = tmp.resolve("out.db");
        Process p = stalledRestore(out);
        List<Path> left = temps(tmp);
        p.destroyForcibly(); // SIGKILL: no hook runs
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).doesNotExist();
        assertThat(temps(tmp)).isEqualTo(left);
        CliRun run = CliRun.of("restore", url, "-o", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("removed " + left.get(0));
        assertThat(temps(tmp)).isEmpty();
        assertThat(content(out)).isEqualTo(expected);
    }

    @Test
    void aUsersOwnTmpFileBesideTheOutputIsKept() throws Exception {
        // Before: any unlocked <out>.<1-20 digits>.tmp was taken for a killed restore's file and deleted.
        Path out = tmp.resolve("app.db");
        Path mine = Files.writeString(tmp.resolve("app.db.20241206.tmp"), "my backup");
        CliRun run = CliRun.of("restore", url, "-o", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).doesNotContain("removed");
        assertThat(mine).hasContent("my backup");
        assertThat(content(out)).isEqualTo(expected);
    }

    @Test
    void aReplacedDatabaseKeepsItsModeAndANewOneGetsTheDefault() throws Exception {
        Path probe = Files.createFile(tmp.resolve("probe"));
        String byDefault = PosixFilePermissions.toString(Files.getPosixFilePermissions(probe));
        Path fresh = tmp.resolve("fresh.db");
        assertThat(CliRun.of("restore", url, "-o", fresh.toString()).exitCode()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh))).isEqualTo(byDefault);
        Path existing = tmp.resolve("existing.db");
        Files.write(existing, new byte[] {1});
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rw-rw-r--"));
        assertThat(CliRun.of("restore", "--force", url, "-o", existing.toString()).exitCode()).isZero();
        // Before: rw------- (the temporary file's), so the application's group could no longer read its database.
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(existing))).isEqualTo("rw-rw-r--");
    }

    @Test
    void aSymbolicLinkIsFollowedNotReplaced() throws Exception {
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Path real = volume.resolve("app.db");
        Files.write(real, new byte[] {1});
        Path link = Files.createSymbolicLink(tmp.resolve("app.db"), real);
        CliRun run = CliRun.of("restore", "--force", url, "-o", link.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        // Before: the link was replaced by a regular file and the database on the volume left as it was.
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(content(real)).isEqualTo(expected);
        assertThat(run.out()).contains(real.toString());
    }

    @Test
    void aChainOfTwoLinksIsFollowedToTheDatabase() throws Exception {
        Path real = Files.createDirectories(tmp.resolve("volume")).resolve("b.db");
        Files.write(real, new byte[] {1});
        Path middle = Files.createSymbolicLink(Files.createDirectories(tmp.resolve("links")).resolve("a.db"), real);
        Path link = Files.createSymbolicLink(tmp.resolve("out.db"), tmp.relativize(middle));
        // Before: one hop only: the intermediate link a.db was replaced by a regular file, b.db left as it was.
        CliRun run = CliRun.of("restore", "--force", url, "-o", link.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.isSymbolicLink(middle)).isTrue();
        assertThat(content(real)).isEqualTo(expected);
        // A dangling chain leads to the file to create; the restore creates it there.
        Path target = tmp.resolve("volume/new.db");
        Path mid2 = Files.createSymbolicLink(tmp.resolve("links/new-a.db"), target);
        Path link2 = Files.createSymbolicLink(tmp.resolve("new.db"), mid2);
        run = CliRun.of("restore", url, "-o", link2.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(Files.isSymbolicLink(mid2)).isTrue();
        assertThat(content(target)).isEqualTo(expected);
    }

    @Test
    void aWalIndexWhoseLockCannotBeTestedRefusesEvenWithForce() throws Exception {
        // As another user's -shm (root reads through permissions, so a read-only bind mount of the file stands in).
        Path out = tmp.resolve("app.db");
        Files.write(out, new byte[] {1});
        Path shm = Files.write(tmp.resolve("app.db-shm"), new byte[32768]);
        Assumptions.assumeTrue(sh("mount", "--bind", shm.toString(), shm.toString()), "bind mount (root) not available");
        try {
            Assumptions.assumeTrue(sh("mount", "-o", "remount,bind,ro", shm.toString()), "read-only remount");
            // Before: the check failed open (IOException -> "not open") and --force replaced the database.
            CliRun run = CliRun.of("restore", "--force", url, "-o", out.toString());
            assertThat(run.exitCode()).as(run.err()).isNotZero();
            assertThat(run.err()).contains("cannot tell whether another process has it open").contains(shm.toString());
            assertThat(Files.readAllBytes(out)).containsExactly(1);
        } finally {
            sh("umount", shm.toString());
        }
    }

    private static boolean sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    @Test
    void aDirectoryOrAMissingDirectoryIsRefusedBeforeTheDownload() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("restored"));
        CliRun run = CliRun.of("restore", "--force", url, "-o", dir.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        // Before: after the whole download, "Is a directory: <dir>.<digits>.tmp -> <dir>".
        assertThat(run.err()).contains("output " + dir + " is a directory; give the database file to write");
        Path missing = tmp.resolve("missing/out.db");
        run = CliRun.of("restore", url, "-o", missing.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("no such file or directory: " + tmp.resolve("missing") + " (create the");
    }

    @Test
    void aTimestampRestoreSaysWhichStateItRestored() throws Exception {
        Path out = tmp.resolve("at.db");
        CliRun run = CliRun.of("restore", url, "-o", out.toString(), "--timestamp", "2999-01-01T00:00:00Z");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("the newest state created before 2999-01-01T00:00:00Z: TXID ", "created at ",
                "L0/");
    }
}
