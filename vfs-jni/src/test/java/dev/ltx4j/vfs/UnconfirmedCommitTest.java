package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.pagestore.Durability;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability {@code remote}: a commit that stands locally but lacks the replica's confirmation gets its own extended
 * result code, apart from a plain I/O error (which means "not committed"): {@code SQLITE_IOERR_NOT_UPLOADED} (61450)
 * when the upload failed, {@code SQLITE_IOERR_OUTCOME_UNKNOWN} (61706) when the replica may or may not hold it; the
 * reason, naming "outcome unknown" or "upload failed", is in {@code litestream_last_error}. Through sqlite-jdbc (a
 * {@link LitestreamDataSource} connection and a plain one) and the sqlite3 CLI.
 */
class UnconfirmedCommitTest {
    @TempDir
    Path dir;

    private LitestreamVfs.Registration register(String fault, String name) throws SQLException {
        Path root = dir.resolve(name + "-replica");
        return LitestreamVfs.builder().replica(new UnconfirmedCommitReplica(root, fault, 2), "unconfirmed:" + root)
                .writeEnabled(true).durability(Durability.REMOTE).syncInterval(Duration.ofHours(1))
                .bufferPath(dir.resolve(name + "-buffer")).register(name);
    }

    private void heal() throws Exception {
        Files.createFile(dir.resolve("heal"));
    }

    /**
     * Creates table t and inserts a row: the insert's commit stands locally but is reported unconfirmed with
     * {@code code}, a message holding {@code message}.
     */
    private static void insertUnconfirmed(Connection c, int code, boolean outcomeUnknown, String... message)
            throws SQLException {
        exec(c, "create table t(x)");
        assertThatThrownBy(() -> exec(c, "insert into t values (1)"))
                .isInstanceOfSatisfying(LitestreamUnconfirmedCommitException.class, e -> {
                    assertThat(e.getErrorCode()).isEqualTo(code);
                    assertThat(e.outcomeUnknown()).isEqualTo(outcomeUnknown);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    /**
     * A plain sqlite-jdbc connection sees the row committed locally, and its next insert fails with {@code code} in
     * sqlite-jdbc's message (0: a failure that did not commit).
     */
    private static void assertPlainConnectionSees(LitestreamVfs.Registration vfs, Path db, int code)
            throws SQLException {
        try (Connection plain = vfs.connect(db)) {
            assertThat(number(plain, "select count(*) from t")).as("committed locally").isEqualTo(1);
            assertThatThrownBy(() -> exec(plain, "insert into t values (2)")).satisfies(e -> assertThat(
                    LitestreamUnconfirmedCommitException.codeOf(e)).isEqualTo(code));
        }
    }

    /**
     * Runs {@code statements} in the sqlite3 CLI (the extension loaded from a host distribution) on database
     * {@code name}.db, durability remote, whose replica fails from its second upload on with {@code fault}.
     */
    private HostFixture.Result sqlite3(String name, String fault, String statements) throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        HostFixture dist = HostFixture.create(dir.resolve("host"), true);
        String script = ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                + ".open " + uri(name, fault) + "\n" + statements;
        return run(cmd(SQLITE3, "-batch"), hostEnvironment(), script, dir);
    }

    /**
     * Runs Debian python3 with the extension loaded and {@code url} (that of {@link #sqlite3}) in {@code sys.argv[2]}:
     * {@code code} runs after the loading.
     */
    private HostFixture.Result python3(String name, String fault, String code) throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        HostFixture dist = HostFixture.create(dir.resolve("host"), true);
        Path script = Files.writeString(dir.resolve(name + ".py"), "import sqlite3, sys\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "loader.close()\n" + code);
        return run(cmd(PYTHON3, script, dist.so, uri(name, fault)), hostEnvironment(), "", dir);
    }

    /** Database {@code name}.db, durability remote, whose replica fails from its second upload on with {@code fault}. */
    private String uri(String name, String fault) {
        return "file:" + dir.resolve(name + ".db") + "?vfs=litestream&write_enabled=true&durability=remote"
                + "&sync_interval=1h&buffer_path=" + dir.resolve(name + "-buffer")
                + "&replica_url=unconfirmed://" + dir.resolve(name + "-replica") + "%3Ffault%3D" + fault + "%26from%3D2";
    }

    /** The host's class path: the engine, this test's replica (scheme {@code unconfirmed://}) and its provider. */
    private Map<String, String> hostEnvironment() throws Exception {
        Path providerDir = Files.createDirectories(dir.resolve("provider/META-INF/services"));
        Files.writeString(providerDir.resolve("dev.ltx4j.replica.ReplicaClientProvider"),
                UnconfirmedCommitReplica.Provider.class.getName() + "\n");
        Path testClasses = Path.of(UnconfirmedCommitReplica.class.getProtectionDomain().getCodeSource().getLocation()
                .toURI());
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath() + File.pathSeparator + testClasses
                + File.pathSeparator + dir.resolve("provider"));
        return env;
    }

    @Test
    void anUnknownOutcomeHasItsOwnCodeAndTheTransactionStands() throws Exception {
        LitestreamVfs.Registration vfs = register("unknown", "unconfirmed-unknown");
        Path db = dir.resolve("unknown.db");
        assertThat(LitestreamUnconfirmedCommitException.SQLITE_IOERR_OUTCOME_UNKNOWN).isEqualTo(61706);
        try (Connection c = vfs.dataSource(db).getConnection()) {
            insertUnconfirmed(c, 61706, true, "outcome unknown", "Do not run the transaction again");
            assertPlainConnectionSees(vfs, db, 61706); // the code is in sqlite-jdbc's message: codeOf finds it
            heal();
            exec(c, "select litestream_sync()");
            assertThat(number(c, "select count(*) from t")).isEqualTo(2);
        }
        assertThat(Files.list(dir.resolve("unconfirmed-unknown-replica/ltx/0")).filter(p -> p.toString().endsWith(".ltx")))
                .as("each transaction uploaded exactly once").hasSize(3);
    }

    @Test
    void aFailedUploadHasAnotherCodeAndAPlainLocalFailureKeepsIOERR() throws Exception {
        LitestreamVfs.Registration vfs = register("failed", "unconfirmed-failed");
        Path db = dir.resolve("failed.db");
        try (Connection c = vfs.dataSource(db).getConnection()) {
            insertUnconfirmed(c, 61450, false, "upload failed", "committed locally");
            heal();
            exec(c, "select litestream_sync()");
            assertThat(number(c, "select count(*) from t")).isEqualTo(1);
        }
        SQLException plainIo = new SQLException("[SQLITE_IOERR] disk I/O error", null, 10);
        assertThat(LitestreamUnconfirmedCommitException.codeOf(plainIo)).as("not committed: may run again").isZero();
    }

    @Test
    void theSqlite3CliSeesTheExtendedCodeAndTheReason() throws Exception {
        HostFixture.Result r = sqlite3("cli", "unknown", "create table t(x);\n"
                + "insert into t values (1);\n"
                + "pragma litestream_last_error;\n"
                + ".shell touch " + dir.resolve("heal") + "\n"
                + "select litestream_sync();\n"
                + "select 'rows: ' || count(*) from t;\n");
        String all = r.out() + "\n" + r.err();
        assertThat(all).as(all).contains("rows: 1");
        assertThat(r.err()).as(all).contains("disk I/O error", "SQLITE_IOERR_OUTCOME_UNKNOWN, extended result code 61706",
                "outcome unknown", "Do not run the transaction again");
        // The CLI prints the primary code (the extension leaves the host's result-code mode alone, field probes
        // round 9); the VFS's stderr line above names the extended one.
        assertThat(r.err()).as(all).contains("disk I/O error (10)");
        assertThat(r.out()).as(all).contains("commit failed: outcome unknown").doesNotContain("Exception:"); // round 9: no class name first
    }

    /**
     * Python 3.11 raises {@code OperationalError} (the class of a plain file's I/O error) with the extended code in
     * {@code sqlite_errorcode}, so an application can tell "committed locally, do not run it again" from a failure
     * that may be retried. While the extension forced extended result codes it was a bare {@code DatabaseError}.
     */
    @Test
    void python3RaisesOperationalErrorWithTheExtendedCode() throws Exception {
        HostFixture.Result r = python3("py", "unknown", "c = sqlite3.connect(sys.argv[2], uri=True, isolation_level=None)\n"
                + "c.execute('create table t(x)')\n"
                + "try:\n"
                + "    c.execute('insert into t values (1)')\n"
                + "    print('no error')\n"
                + "except sqlite3.Error as e:\n"
                + "    print(type(e).__name__, e.sqlite_errorcode)\n"
                + "print(c.execute('pragma litestream_last_error').fetchone()[0])\n"
                + "print('rows:', c.execute('select count(*) from t').fetchone()[0])\n");
        String all = r.out() + "\n" + r.err();
        assertThat(r.out().lines().findFirst()).as(all).hasValue("OperationalError 61706");
        assertThat(r.out()).as(all).contains("commit failed: outcome unknown", "rows: 1");
        assertThat(r.err()).as(all).contains("SQLITE_IOERR_OUTCOME_UNKNOWN, extended result code 61706");
    }

    /**
     * The commit's own sync finds another writer's file at the base + 1 after the transaction committed locally: it
     * stands (visible, saved under conflicts/) but is not uploaded. It was reported as SQLITE_BUSY_SNAPSHOT, the code
     * of a transaction that did not commit, so applications ran it again.
     */
    @Test
    void aConflictFoundAfterTheLocalCommitIsNotUploadedNotBusySnapshot() throws Exception {
        LitestreamVfs.Registration vfs = register("rival", "unconfirmed-rival");
        Path db = dir.resolve("rival.db");
        try (Connection c = vfs.dataSource(db).getConnection()) {
            insertUnconfirmed(c, 61450, false, "conflict after commit", "is committed locally",
                    "will not be uploaded", "saved to", "of database \"");
            // The conflict is sticky: the next transaction is refused before it commits (not committed).
            assertPlainConnectionSees(vfs, db, 0);
        }
    }

    @Test
    void theSqlite3CliSeesAConflictAfterTheLocalCommitAsNotUploaded() throws Exception {
        HostFixture.Result r = sqlite3("cli-rival", "rival", "create table t(x);\n"
                + "insert into t values (1);\n"
                + "select 'rows: ' || count(*) from t;\n");
        String all = r.out() + "\n" + r.err();
        assertThat(all).as(all).contains("rows: 1");
        assertThat(r.err()).as(all).contains("disk I/O error (10)",
                "SQLITE_IOERR_NOT_UPLOADED, extended result code 61450", "conflict after commit",
                "is committed locally").doesNotContain("database is locked");
    }
}
