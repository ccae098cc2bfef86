package dev.ltx4j.vfs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** sqlite-jdbc (its own SQLite 3.54) through the litestream VFS, backed by local files. */
class JdbcVfsTest {
    private static final String VFS = "jdbctest";
    private static final CountingOpener OPENER = new CountingOpener();

    @TempDir
    Path dir;
    private Path db;

    @BeforeAll
    static void install() throws SQLException {
        LitestreamVfs.register(VFS, OPENER);
    }

    @BeforeEach
    void reset() {
        db = dir.resolve("app.db");
        OPENER.failReads = false;
        OPENER.shortReads = false;
        OPENER.conflictReason = null;
        OPENER.readFailureAs = null;
        OPENER.readOom = null;
    }

    /**
     * The JVM's direct memory limit hit in a read is an I/O error naming it in litestream_last_error, not an Error
     * reaching C (a bare SQLITE_IOERR with an empty last error).
     */
    @Test
    void theDirectMemoryLimitInAReadIsNamedInTheLastError() throws Exception {
        try (Connection c = open()) {
            exec(c, "create table t(x)", "insert into t select value from " + Sql.series(5000));
        }
        try (Connection c = open()) {
            OPENER.readOom = "Cannot reserve 1048576 bytes of direct buffer memory (allocated: 0, limit: 1048576)";
            assertThatThrownBy(() -> number(c, "select count(*) from t"))
                    .isInstanceOfSatisfying(SQLiteException.class, e -> assertThat(e.getResultCode().code).isEqualTo(266));
            OPENER.readOom = null;
            assertThat(text(c, "pragma litestream_last_error")).contains("direct memory limit: Cannot reserve");
            assertThat(number(c, "select count(*) from t")).isEqualTo(5000);
        }
    }

    @Test
    void theDatabaseClassifiesItsOwnFailuresForTheBridge() throws Exception {
        // The bridge knows no engine exception type: a database says what its failures mean (issue 9).
        try (Connection c = open()) {
            exec(c, "create table t(x)", "insert into t select value from " + Sql.series(3000));
        }
        try (Connection c = open()) {
            OPENER.failReads = true;
            OPENER.readFailureAs = VfsDatabase.Failure.CORRUPT;
            assertThatThrownBy(() -> number(c, "select count(*) from t"))
                    .isInstanceOfSatisfying(SQLiteException.class, e -> assertThat(e.getResultCode().code).isEqualTo(11));
            OPENER.failReads = false;
            assertThat(number(c, "select count(*) from t")).isEqualTo(3000);
        }
    }

    @Test
    void theBridgeImportsNoEngineType() throws Exception {
        // NativeFile once tested for syncer exceptions; the engine adapter (vfs.engine) maps them now.
        Path sources = Path.of("src/main/java/dev/ltx4j/vfs");
        List<Path> bridge = new ArrayList<>();
        try (var files = Files.list(sources.resolve("internal"))) {
            files.forEach(bridge::add);
        }
        for (String f : List.of("VfsDatabase.java", "DatabaseOpener.java", "OpenOptions.java",
                "ReplicaConflictException.java", "LocalFileDatabase.java")) {
            bridge.add(sources.resolve(f));
        }
        for (Path f : bridge) {
            assertThat(Files.readString(f)).as(f.toString()).doesNotContain("dev.ltx4j.syncer")
                    .doesNotContain("dev.ltx4j.pagestore").doesNotContain("dev.ltx4j.vfs.engine");
        }
    }

    private Connection open() throws SQLException {
        return Sql.open(db, VFS);
    }

    @Test
    void crudIntegrityAndThePlainVfsReadsTheSameFile() throws Exception {
        try (Connection c = open()) {
            exec(c, "create table t(id integer primary key, name text)");
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("insert into t(name) values (?)")) {
                for (int i = 0; i < 1000; i++) {
                    p.setString(1, "name-" + i);
                    p.executeUpdate();
                }
            }
            c.commit();
            c.setAutoCommit(true);
            exec(c, "update t set name = 'x' where id <= 10", "delete from t where id > 900");
            assertThat(number(c, "select count(*) from t")).isEqualTo(900);
            assertThat(number(c, "select count(*) from t where name = 'x'")).isEqualTo(10);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(text(c, "pragma journal_mode")).isEqualTo("delete");
        }
        assertThat(Files.exists(dir.resolve("app.db-lock"))).isTrue();
        try (Connection plain = Sql.plain(db)) {
            assertThat(number(plain, "select count(*) from t")).isEqualTo(900);
            assertThat(text(plain, "pragma integrity_check")).isEqualTo("ok");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"delete", "truncate", "persist", "memory", "off"})
    void everyRollbackJournalModeCommitsAndRollsBack(String mode) throws Exception {
        try (Connection c = open()) {
            assertThat(text(c, "pragma journal_mode=" + mode)).isEqualTo(mode);
            exec(c, "pragma cache_size=5", "create table t(id integer primary key, v blob)");
            for (int tx = 0; tx < 20; tx++) {
                exec(c, "begin", "insert into t(v) select zeroblob(200) from " + Sql.series(50) + "", "commit");
            }
            if (!mode.equals("off")) {
                int rollbacksBefore = OPENER.rollbacks.get();
                // A transaction bigger than the 5-page cache spills pages to the file before it is undone.
                exec(c, "begin", "update t set v = randomblob(300)", "delete from t where id % 2 = 0", "rollback");
                assertThat(OPENER.rollbacks.get()).isEqualTo(rollbacksBefore + 1);
            }
            assertThat(number(c, "select count(*) from t")).isEqualTo(1000);
            assertThat(number(c, "select count(*) from t where v = zeroblob(200)")).isEqualTo(1000);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(text(c, "pragma journal_mode")).isEqualTo(mode);
        }
    }

    @Test
    void walIsRefusedWithAClearError() throws Exception {
        try (Connection c = open()) {
            exec(c, "create table t(x)");
            assertThatThrownBy(() -> exec(c, "pragma journal_mode=WAL"))
                    .hasMessageContaining("journal_mode=WAL is not supported");
            assertThat(text(c, "pragma journal_mode")).isEqualTo("delete");
        }
        assertThatThrownBy(() -> Sql.open(db, VFS, Map.of("journal_mode", "wal")).close())
                .hasMessageContaining("journal_mode=WAL is not supported");
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 65536})
    void extremePageSizes(int pageSize) throws Exception {
        try (Connection c = open()) {
            exec(c, "pragma page_size=" + pageSize, "create table t(id integer primary key, v blob)",
                    "insert into t(v) select randomblob(700) from " + Sql.series(300) + "");
            assertThat(number(c, "pragma page_size")).isEqualTo(pageSize);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
        }
        try (Connection plain = Sql.plain(db)) {
            assertThat(number(plain, "pragma page_size")).isEqualTo(pageSize);
            assertThat(number(plain, "select count(*) from t")).isEqualTo(300);
        }
    }

    @Test
    void tempFilesNeverReachJava() throws Exception {
        int opensBefore = OPENER.opens.get();
        try (Connection c = open()) {
            exec(c, "pragma temp_store=file", "pragma cache_size=5",
                    "create table t(id integer primary key, v text)",
                    "insert into t(v) select hex(randomblob(100)) from " + Sql.series(2000) + "",
                    "create temp table tt as select * from t order by v",
                    "create index ti on t(v)");
            assertThat(number(c, "select count(*) from tt")).isEqualTo(2000);
            assertThat(text(c, "select v from (select v from t order by random()) limit 1")).hasSize(200);
        }
        assertThat(OPENER.opens.get()).isEqualTo(opensBefore + 1);
    }

    @Test
    void commitBoundariesAreCountedExactly() throws Exception {
        try (Connection c = open()) {
            exec(c, "create table t(x)");
            int commits = OPENER.commits.get();
            for (int i = 0; i < 25; i++) exec(c, "insert into t values (" + i + ")");
            assertThat(OPENER.commits.get()).isEqualTo(commits + 25);

            commits = OPENER.commits.get();
            exec(c, "begin", "insert into t select value from " + Sql.series(100) + "", "update t set x = x + 1", "commit");
            assertThat(OPENER.commits.get()).isEqualTo(commits + 1);

            commits = OPENER.commits.get();
            int begins = OPENER.beginWrites.get();
            exec(c, "begin immediate", "commit");
            assertThat(OPENER.commits.get()).as("a commit that wrote nothing").isEqualTo(commits);
            assertThat(OPENER.beginWrites.get()).isEqualTo(begins + 1);
            assertThat(OPENER.beforeCommits.get()).isGreaterThanOrEqualTo(OPENER.commits.get());
        }
    }

    @Test
    void commitBoundariesUnderExclusiveLockingMode() throws Exception {
        try (Connection c = open()) {
            exec(c, "pragma locking_mode=exclusive", "create table t(x)");
            int commits = OPENER.commits.get();
            int begins = OPENER.beginWrites.get();
            int ends = OPENER.endWrites.get();
            for (int i = 0; i < 10; i++) exec(c, "insert into t values (" + i + ")");
            assertThat(OPENER.commits.get()).isEqualTo(commits + 10);
            assertThat(OPENER.beginWrites.get()).as("the write lock is kept").isEqualTo(begins);
            assertThat(OPENER.endWrites.get()).isEqualTo(ends);
        }
    }

    @Test
    void severalThreadsWithTheirOwnConnections() throws Exception {
        try (Connection c = open()) {
            exec(c, "create table t(thread int, i int)");
        }
        int commits = OPENER.commits.get();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    try (Connection c = open()) {
                        exec(c, "pragma busy_timeout=20000");
                        for (int i = 0; i < 50; i++) exec(c, "insert into t values (" + thread + ", " + i + ")");
                        assertThat(number(c, "select count(*) from t where thread = " + thread)).isEqualTo(50);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        } finally {
            pool.shutdown();
        }
        assertThat(OPENER.commits.get()).isEqualTo(commits + 200);
        try (Connection c = open()) {
            assertThat(number(c, "select count(*) from t")).isEqualTo(200);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
        }
    }

    @Test
    void aWriterLocksOutAnotherConnection() throws Exception {
        try (Connection a = open(); Connection b = open()) {
            exec(a, "create table t(x)");
            exec(a, "begin immediate", "insert into t values (1)");
            exec(b, "pragma busy_timeout=0");
            assertThatThrownBy(() -> exec(b, "insert into t values (2)"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode() & 0xFF).isEqualTo(5));
            exec(a, "commit");
            exec(b, "insert into t values (2)");
            assertThat(number(b, "select sum(x) from t")).isEqualTo(3);
        }
    }

    /** W11: a failed read is SQLITE_IOERR_READ (266), not the reference's SQLITE_BUSY or a generic SQLITE_ERROR. */
    @Test
    void aJavaExceptionInReadIsSqliteIoerrRead() throws Exception {
        try (Connection c = open()) {
            exec(c, "create table t(x)", "insert into t select value from " + Sql.series(5000) + "");
        }
        try (Connection c = open()) {
            OPENER.failReads = true;
            assertThatThrownBy(() -> number(c, "select count(*) from t"))
                    .isInstanceOfSatisfying(SQLiteException.class, e -> assertThat(e.getResultCode().code).isEqualTo(266));
            OPENER.failReads = false;
            assertThat(text(c, "pragma litestream_last_error")).contains("injected read failure");
            assertThat(number(c, "select count(*) from t")).isEqualTo(5000);
        }
    }

    /**
     * W11: the reference's cgo layer panicked (taking the host process down) when a read returned fewer bytes
     * with no error. Here the bridge zero-fills the tail and reports SQLITE_IOERR_SHORT_READ; SQLite then sees
     * damaged pages at worst, says so with an error, and the process and later connections carry on.
     */
    @Test
    void W11_aShortReadWithoutAnErrorNeverCrashesTheProcess() throws Exception {
        try (Connection c = open()) {
            exec(c, "create table t(x)", "insert into t select value from " + Sql.series(5000));
        }
        try (Connection c = open()) {
            OPENER.shortReads = true;
            try {
                long n = number(c, "select count(*) from t");
                assertThat(n).isLessThan(5000); // zeroed tails cannot hold every row
            } catch (SQLiteException e) {
                assertThat(e.getResultCode().code & 0xFF).isIn(10, 11); // IOERR or CORRUPT, never BUSY or ERROR
            }
        } finally {
            OPENER.shortReads = false;
        }
        try (Connection c = open()) {
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(number(c, "select count(*) from t")).isEqualTo(5000);
        }
    }

    @Test
    void aReplicaConflictIsBusySnapshotAndRollsTheTransactionBack() throws Exception {
        try (Connection c = open()) {
            exec(c, "create table t(x)", "insert into t values (1)");
            OPENER.conflictReason = "replica moved to TXID 0000000000000007 by another writer";
            int rollbacks = OPENER.rollbacks.get();
            assertThatThrownBy(() -> exec(c, "insert into t values (2)"))
                    .isInstanceOfSatisfying(SQLiteException.class, e -> {
                        assertThat(e.getResultCode()).isEqualTo(SQLiteErrorCode.SQLITE_BUSY_SNAPSHOT);
                        assertThat(e.getErrorCode()).isEqualTo(5);
                    });
            OPENER.conflictReason = null;
            assertThat(text(c, "pragma litestream_last_error")).contains("replica moved to TXID 0000000000000007");
            assertThat(OPENER.rollbacks.get()).isEqualTo(rollbacks + 1);
            assertThat(number(c, "select count(*) from t")).isEqualTo(1);
            exec(c, "insert into t values (3)");
            assertThat(number(c, "select sum(x) from t")).isEqualTo(4);
        }
    }

    /**
     * W11: PRAGMA errors keep their message (the reference lost it), and the SQL functions answer for an ATTACHed
     * litestream database, not only for main.
     */
    @Test
    void sqlFunctionsAndPragmasAnswerFromJava() throws Exception {
        try (Connection c = open()) {
            exec(c, "create table t(x)", "insert into t values (1)");
            assertThat(text(c, "select litestream_txid()")).isEqualTo("0000000000000000");
            assertThat(text(c, "select litestream_time()")).isEqualTo("latest");
            assertThat(number(c, "select litestream_lag()")).isEqualTo(-1);
            assertThat(text(c, "select litestream_sync()")).isEqualTo("0000000000000000");
            assertThat(text(c, "select json_extract(litestream_status(), '$.mode')")).isEqualTo("local-test");
            assertThat(number(c, "select json_extract(litestream_status(), '$.commits')")).isEqualTo(2);
            assertThat(text(c, "pragma litestream_txid")).isEqualTo("0000000000000000");
            assertThat(text(c, "pragma litestream_echo = 'hi'")).isEqualTo("hi");
            assertThatThrownBy(() -> exec(c, "pragma litestream_txid = 5")).hasMessageContaining("read-only");
            assertThatThrownBy(() -> exec(c, "pragma litestream_nope")).hasMessageContaining("unknown pragma litestream_nope");
        }
        try (Connection plain = Sql.plain(dir.resolve("plain.db"))) {
            assertThatThrownBy(() -> text(plain, "select litestream_txid()"))
                    .hasMessageContaining("database 'main' is not opened with the litestream VFS");
            exec(plain, "attach '" + LitestreamVfs.jdbcUrl(db, VFS, Map.of()).substring("jdbc:sqlite:".length()) + "' as aux");
            assertThat(text(plain, "select litestream_txid('aux')")).isEqualTo("0000000000000000");
            assertThat(number(plain, "select count(*) from aux.t")).isEqualTo(1);
        }
    }

    @Test
    void configurationErrorsFailTheOpenWithAReason() {
        assertThatThrownBy(() -> Sql.open(db, VFS, Map.of("sync_interval", "soon")).close())
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode() & 0xFF).isEqualTo(14));
        assertThat(LitestreamVfs.lastOpenError()).hasValueSatisfying(m ->
                assertThat(m).contains("URI parameter sync_interval").contains("\"soon\""));
    }

    @Test
    void theDefaultNameWithoutAReplicaUrlOrWithAnUninstalledSchemeFailsClearly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("LITESTREAM_REPLICA_URL") == null
                && System.getenv("LITESTREAM_VFS_TEST_BACKEND") == null, "environment configures litestream");
        LitestreamVfs.load();
        assertThatThrownBy(() -> Sql.open(db, LitestreamVfs.NAME).close()).isInstanceOf(SQLException.class);
        assertThat(LitestreamVfs.lastOpenError()).hasValue(
                "LITESTREAM_REPLICA_URL is not set (nor the replica_url URI parameter)");
        // Every shipped backend is on this module's class path (dist/lib carries them), so use a scheme none serves.
        assertThatThrownBy(() -> Sql.open(db, LitestreamVfs.NAME, Map.of("replica_url", "gs://bucket/app.db")).close())
                .isInstanceOf(SQLException.class);
        // The engine (this module's DatabaseOpener service) names the scheme and the installed ones.
        assertThat(LitestreamVfs.lastOpenError()).hasValueSatisfying(m -> assertThat(m)
                .contains("unsupported replica URL scheme: \"gs\"").contains("available schemes: [abs, file, s3]"));
    }
}
