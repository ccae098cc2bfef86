package dev.ltx4j.vfs;

import dev.ltx4j.pagestore.Durability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * sqlite-jdbc through the engine-backed VFS on file:// replicas, with second processes (child JVMs) as followers,
 * crashing writers and rivals. Row counts scale with {@code -Dltx4j.vfs.engineRows=N}.
 */
class EngineVfsTest {
    private static final int ROWS = Integer.getInteger("ltx4j.vfs.engineRows", 300);

    @TempDir
    Path dir;

    private String replicaUrl() {
        return dir.resolve("replica").toUri().toString();
    }

    private LitestreamVfs.Registration writer(String name, String syncInterval) throws SQLException {
        return LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true)
                .syncInterval(Duration.parse("PT" + syncInterval)).bufferPath(dir.resolve(name + "-buffer"))
                .register(name);
    }

    /** Restores the replica to a plain file; asserts integrity and that it equals {@code expectedDigest}. */
    private void assertRestoreEquals(String expectedDigest, String table) throws Exception {
        Path out = dir.resolve("restored-" + System.nanoTime() + ".db");
        Replicas.restore(replicaUrl(), out);
        try (Connection plain = Sql.plain(out)) {
            assertThat(text(plain, "pragma integrity_check")).isEqualTo("ok");
            assertThat(Replicas.digest(plain, table)).isEqualTo(expectedDigest);
        }
    }

    @Test
    void writesSyncAcrossManyIntervalsAndAFollowerInAnotherJvmSeesThem() throws Exception {
        LitestreamVfs.Registration vfs = writer("w1", "0.05S");
        Path db = dir.resolve("app.db");
        Process follower = null;
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            exec(c, "create table t(id integer primary key, v text)", "insert into t(v) values ('first')");
            String txid = text(c, "select litestream_sync()");
            assertThat(txid).matches("[0-9a-f]{16}").isNotEqualTo("0000000000000000");
            assertThat(text(c, "select litestream_txid()")).isEqualTo(txid);
            assertThat(text(c, "select litestream_status()")).contains("\"mode\":\"write\"");

            follower = Replicas.child(dir.resolve("follower.err"), "follow", replicaUrl(),
                    dir.resolve("follower.db").toString(), Integer.toString(ROWS + 1));
            try (PreparedStatement p = c.prepareStatement("insert into t(v) values (?)")) {
                for (int i = 0; i < ROWS; i++) {
                    p.setString(1, "row " + i);
                    p.executeUpdate();
                    if (i % 20 == 0) Thread.sleep(15); // let several sync intervals pass during the stream
                }
            }
            assertThat(number(c, "select count(*) from t")).isEqualTo(ROWS + 1);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            String finalTxid = text(c, "select litestream_sync()");
            assertThat(Long.parseUnsignedLong(finalTxid, 16)).isGreaterThan(Long.parseUnsignedLong(txid, 16) + 2);

            List<String> seen = new ArrayList<>();
            BufferedReader out = Replicas.lines(follower);
            for (String line; (line = out.readLine()) != null; ) seen.add(line);
            assertThat(follower.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(follower.exitValue()).as(Files.readString(dir.resolve("follower.err"))).isZero();
            assertThat(seen).last().asString().startsWith("seen " + (ROWS + 1) + " ").endsWith(" ok");
            assertThat(seen).allSatisfy(l -> assertThat(l).endsWith(" ok"));
            assertRestoreEquals(Replicas.digest(c, "t"), "t");
        } finally {
            if (follower != null) follower.destroyForcibly();
        }
    }

    @Test
    void pooledConnectionsInManyThreadsShareOneDatabaseAcrossSyncs() throws Exception {
        LitestreamVfs.Registration vfs = writer("pool", "0.03S");
        LitestreamDataSource ds = vfs.dataSource(dir.resolve("pool.db"));
        try (Connection c = ds.getConnection()) {
            exec(c, "create table t(id integer primary key, who int, v text)");
        }
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < threads; w++) {
                int who = w;
                done.add(pool.submit(() -> {
                    try (Connection c = ds.getConnection()) {
                        exec(c, "pragma busy_timeout = 10000");
                        for (int i = 0; i < ROWS / threads; i++) {
                            exec(c, "insert into t(who, v) values (" + who + ", '" + "y".repeat(i % 300) + "')");
                            // Readers in the same process see every committed row at once (W2, docs/reference-flaws.md).
                            assertThat(number(c, "select count(*) from t where who = " + who)).isEqualTo(i + 1);
                            if (i % 10 == 0) Thread.sleep(5);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        try (Connection c = ds.getConnection()) {
            assertThat(number(c, "select count(*) from t")).isEqualTo((long) threads * (ROWS / threads));
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            text(c, "select litestream_sync()");
            assertRestoreEquals(Replicas.digest(c, "t"), "t");
        }
    }

    @Test
    void aReadTransactionSeesOneVersionWhileAnotherConnectionCommits() throws Exception {
        LitestreamVfs.Registration vfs = writer("pin", "1S");
        Path db = dir.resolve("pin.db");
        try (Connection a = DriverManager.getConnection(vfs.jdbcUrl(db));
             Connection b = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            exec(a, "create table t(id integer primary key, v text)", "insert into t(v) values ('one')");
            text(a, "select litestream_sync()");
            // A follower in this process, read mode, on the same replica: its read transaction is pinned.
            LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(replicaUrl())
                    .pollInterval(Duration.ofMillis(20)).register("pinreader");
            try (Connection r = DriverManager.getConnection(reader.jdbcUrl(dir.resolve("pin-follower.db")))) {
                r.setAutoCommit(false);
                assertThat(number(r, "select count(*) from t")).isEqualTo(1);
                exec(b, "insert into t(v) select 'more' from " + Sql.series(500));
                text(b, "select litestream_sync()");
                text(r, "select litestream_sync()"); // polls now, but the open read transaction stays pinned
                assertThat(number(r, "select count(*) from t")).isEqualTo(1);
                r.commit();
                assertThat(number(r, "select count(*) from t")).isEqualTo(501);
                assertThat(text(r, "pragma integrity_check")).isEqualTo("ok");
                assertThatThrownBy(() -> exec(r, "insert into t(v) values ('x')"))
                        .hasMessageContaining("readonly");
            }
        }
    }

    @Test
    void writerKilledMidStreamLosesNoCommitThatReturned() throws Exception {
        Path db = dir.resolve("crash.db");
        Path buffer = dir.resolve("crash-buffer");
        Process p = Replicas.child(dir.resolve("writer.err"), "write", replicaUrl(), db.toString(), buffer.toString(),
                "100ms");
        long lastAcked = 0;
        try {
            BufferedReader out = Replicas.lines(p);
            for (String line; lastAcked < ROWS && (line = out.readLine()) != null; ) lastAcked = Long.parseLong(line);
        } finally {
            p.destroyForcibly(); // SIGKILL mid-stream
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(lastAcked).as(Files.readString(dir.resolve("writer.err"))).isEqualTo(ROWS);
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true)
                .syncInterval(Duration.ofSeconds(1)).bufferPath(buffer).durability(Durability.LOCAL).register("reopen");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            long count = number(c, "select count(*) from t where id <= " + lastAcked);
            assertThat(count).isEqualTo(lastAcked);
            assertThat(number(c, "select max(id) from t")).isGreaterThanOrEqualTo(lastAcked);
            text(c, "select litestream_sync()");
            assertThat(text(c, "select litestream_status()")).contains("\"pending_commits\":0");
            assertRestoreEquals(Replicas.digest(c, "t"), "t");
        }
    }

    /** Runs a {@link VfsChild} mode until it prints {@code inflight}, checks {@code whileOpen}, then kills it. */
    private void killInsideATransaction(String errName, Runnable whileOpen, String... args) throws Exception {
        Process p = Replicas.child(dir.resolve(errName), args);
        try {
            BufferedReader out = Replicas.lines(p);
            List<String> lines = new ArrayList<>();
            for (String line; (line = out.readLine()) != null && !line.equals("inflight"); ) lines.add(line);
            assertThat(lines).as(() -> read(dir.resolve(errName))).containsExactly("committed");
            whileOpen.run();
        } finally {
            p.destroyForcibly(); // SIGKILL with pages of the open transaction in the journal and the engine
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void writerKilledBetweenJournalWritesAndCommitReopensAtTheLastCommit() throws Exception {
        Path db = dir.resolve("inflight.db");
        Path journal = dir.resolve("inflight.db-journal");
        Path buffer = dir.resolve("inflight-buffer");
        killInsideATransaction("inflight.err",
                // The journal is in use but unlinked: no name a later open could take for a hot journal.
                () -> assertThat(journal).doesNotExist(),
                "inflight", replicaUrl(), db.toString(), buffer.toString(), Integer.toString(ROWS));
        assertThat(journal).doesNotExist();
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true)
                .durability(Durability.LOCAL).bufferPath(buffer).register("inflight-reopen");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(number(c, "select count(*) from t")).isEqualTo(ROWS);
            assertThat(number(c, "select count(*) from t where v like 'committed %'")).isEqualTo(ROWS);
            exec(c, "insert into t(v) values ('after the crash')");
            assertThat(number(c, "select count(*) from t")).isEqualTo(ROWS + 1);
        }
    }

    @Test
    void aLeftoverHotJournalIsNeverPlayedBackIntoAnEngineDatabase() throws Exception {
        // A real hot journal, from a plain SQLite writer killed inside a transaction.
        Path plain = dir.resolve("plain.db");
        Path hot = dir.resolve("plain.db-journal");
        killInsideATransaction("plainhot.err", () -> { }, "plainhot", plain.toString(), Integer.toString(ROWS));
        assertThat(hot).isNotEmptyFile();

        LitestreamVfs.Registration vfs = writer("stale", "1H");
        Path db = dir.resolve("stale.db");
        Path journal = dir.resolve("stale.db-journal");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            exec(c, "create table t(id integer primary key, v text)",
                    "insert into t(v) select 'engine ' || value from " + Sql.series(ROWS));
        }
        // Its pages belong to another database: played back, they would overwrite the engine's pages.
        Files.copy(hot, journal);
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            exec(c, "pragma locking_mode=exclusive"); // keeps any played-back page dirty into the next commit
            assertThat(number(c, "select count(*) from t where v like 'engine %'")).isEqualTo(ROWS);
            exec(c, "insert into t(v) values ('engine after')");
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(number(c, "select count(*) from t where v like 'engine %'")).isEqualTo(ROWS + 1);
        }
        assertThat(journal).as("the stale journal is unlinked by the next write transaction").doesNotExist();
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(number(c, "select count(*) from t")).isEqualTo(ROWS + 1);
        }
        try (Connection c = Sql.plain(plain)) { // the plain file does roll its hot journal back
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(number(c, "select count(*) from t where v like 'committed %'")).isEqualTo(ROWS);
        }
    }

    /** Targets of this process's open file descriptors whose name contains {@code name} (Linux /proc). */
    private static List<String> openFilesNamed(String name) throws Exception {
        Path fds = Path.of("/proc/self/fd");
        List<String> found = new ArrayList<>();
        if (!Files.isDirectory(fds)) return found;
        try (Stream<Path> s = Files.list(fds)) {
            for (Path fd : (Iterable<Path>) s::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.contains(name)) found.add(target);
                } catch (java.io.IOException gone) {
                    // closed while listing
                }
            }
        }
        return found;
    }

    @ParameterizedTest
    @ValueSource(strings = {"delete", "truncate", "persist"})
    void theInMemoryJournalRollsBackSavepointsAndSpilledTransactionsInEveryMode(String mode) throws Exception {
        LitestreamVfs.Registration vfs = writer("mem-" + mode, "1H");
        Path db = dir.resolve("mem-" + mode + ".db");
        Path journal = dir.resolve("mem-" + mode + ".db-journal");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            assertThat(text(c, "pragma journal_mode=" + mode)).isEqualTo(mode);
            // A 5-page cache makes every bigger transaction spill pages to the database file before commit.
            exec(c, "pragma cache_size=5", "create table t(id integer primary key, v blob)",
                    "insert into t(v) select zeroblob(300) from " + Sql.series(ROWS));
            // Bigger than the cache many times over: the journal grows to hundreds of pages in memory.
            exec(c, "begin", "update t set v = randomblob(1000)", "delete from t where id % 3 = 0");
            assertThat(journal).as("the journal is never a file").doesNotExist();
            assertThat(openFilesNamed(journal.getFileName().toString())).as("not even an unlinked one").isEmpty();
            exec(c, "rollback");
            assertThat(number(c, "select count(*) from t where v = zeroblob(300)")).isEqualTo(ROWS);

            exec(c, "begin", "insert into t(v) values ('kept')", "savepoint s1",
                    "update t set v = randomblob(900) where id <= " + ROWS, "rollback to s1", "release s1", "commit");
            assertThat(number(c, "select count(*) from t where v = zeroblob(300)")).isEqualTo(ROWS);

            exec(c, "begin", "update t set v = randomblob(700) where id % 2 = 0", "commit"); // a spilled commit
            assertThat(number(c, "select count(*) from t where length(v) = 700")).isEqualTo((ROWS + 1) / 2);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(journal).doesNotExist();
        }
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
            assertThat(number(c, "select count(*) from t")).isEqualTo(ROWS + 1);
            assertThat(number(c, "select count(*) from t where length(v) = 700")).isEqualTo((ROWS + 1) / 2);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
        }
    }

    @Test
    void twoWritersOnOneReplicaTheLoserGetsAConflictAndLosesNothing() throws Exception {
        LitestreamVfs.Registration vfs = writer("winner", "1S");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(dir.resolve("winner.db")))) {
            exec(c, "create table t(id integer primary key, v text)", "insert into t(v) values ('base')");
            text(c, "select litestream_sync()");
            Path rivalBuffer = Files.createDirectories(dir.resolve("rival")).resolve("buffer");
            Process rival = Replicas.child(dir.resolve("rival.err"), "rival", replicaUrl(),
                    dir.resolve("rival.db").toString(), rivalBuffer.toString());
            try (BufferedReader out = Replicas.lines(rival); OutputStream in = rival.getOutputStream()) {
                assertThat(out.readLine()).as(() -> read(dir.resolve("rival.err"))).isEqualTo("ready");
                exec(c, "insert into t(v) values ('winner 1')");
                text(c, "select litestream_sync()"); // wins the next TXID
                in.write('\n');
                in.flush();
                List<String> lines = new ArrayList<>();
                for (String line; (line = out.readLine()) != null; ) lines.add(line);
                assertThat(rival.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(lines).as(read(dir.resolve("rival.err"))).hasSize(4);
                assertThat(lines.get(0)).startsWith("sync error").contains("conflict");
                assertThat(lines.get(1)).startsWith("insert error").contains("conflict");
                assertThat(lines.get(2)).startsWith("last_error").contains("conflict");
                assertThat(lines.get(3)).contains("\"conflict\":{");
            }
            try (Stream<Path> saved = Files.list(dir.resolve("rival").resolve("conflicts"))) {
                assertThat(saved.toList()).hasSize(1);
            }
            exec(c, "insert into t(v) values ('winner 2')");
            text(c, "select litestream_sync()");
            assertThat(text(c, "select group_concat(v, ',') from t")).isEqualTo("base,winner 1,winner 2");
            assertRestoreEquals(Replicas.digest(c, "t"), "t");
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /**
     * W13: the reference's extension could not set the poll interval or the cache size, and took a sync interval
     * of 0 to mean one second. Through sqlite-jdbc the poll interval is a URI parameter (a bad value is named) and
     * the cache size a builder setting (sqlite-jdbc itself claims a {@code cache_size} URL parameter as its PRAGMA;
     * the extension's URI form is in {@code CliHostTest}); a sync interval of 0 is refused.
     */
    @Test
    void W13_pollIntervalAndCacheSizeAreSettableAndAZeroSyncIntervalIsRefused() throws Exception {
        LitestreamVfs.Registration w = writer("w13writer", "1H");
        try (Connection c = DriverManager.getConnection(w.jdbcUrl(dir.resolve("w13.db")))) {
            exec(c, "create table t(x)", "insert into t select value from " + Sql.series(500));
            text(c, "select litestream_sync()");
        }
        LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(replicaUrl()).cacheSize(64 * 1024)
                .register("w13reader");
        Path db = dir.resolve("w13-reader.db");
        try (Connection c = DriverManager.getConnection(reader.jdbcUrl(db, Map.of("poll_interval", "250ms")))) {
            assertThat(number(c, "select count(*) from t")).isEqualTo(500);
            assertThat(text(c, "select json_extract(litestream_status(), '$.mode')")).isEqualTo("read");
        }
        assertOpenFails(reader.jdbcUrl(db, Map.of("poll_interval", "soon")), "URI parameter poll_interval");
        assertThatThrownBy(() -> LitestreamVfs.builder().cacheSize(-1)).hasMessageContaining("cacheSize");
        LitestreamVfs.Registration plain = LitestreamVfs.builder().register("w13plain");
        assertOpenFails(plain.jdbcUrl(dir.resolve("w13-zero.db"), Map.of("replica_url", replicaUrl(),
                "write_enabled", "true", "buffer_path", dir.resolve("zero-buffer").toString(), "sync_interval", "0")),
                "must be positive");
    }

    /**
     * W13: the reference's cold-enable buffer paths were not unique. Two databases with the same file name on two
     * replicas, neither given a buffer path, each get their own default buffer and keep their own rows.
     */
    @Test
    void W13_defaultBufferPathsAreUniquePerDatabase() throws Exception {
        List<Path> buffers = new ArrayList<>();
        try {
            for (String side : new String[] {"left", "right"}) {
                String url = dir.resolve("replica-" + side).toUri().toString();
                LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).writeEnabled(true)
                        .syncInterval(Duration.ofHours(1)).register("w13" + side);
                Path db = Files.createDirectories(dir.resolve(side)).resolve("app.db");
                try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db))) {
                    exec(c, "create table t(v text)", "insert into t values ('" + side + "')");
                    buffers.add(Path.of(text(c, "select json_extract(litestream_status(), '$.buffer_path')")));
                    text(c, "select litestream_sync()");
                }
            }
            assertThat(buffers.get(0)).isNotEqualTo(buffers.get(1));
            for (String side : new String[] {"left", "right"}) {
                Path out = dir.resolve("restored-" + side + ".db");
                Replicas.restore(dir.resolve("replica-" + side).toUri().toString(), out);
                try (Connection c = Sql.plain(out)) {
                    assertThat(text(c, "select group_concat(v) from t")).isEqualTo(side);
                }
            }
        } finally {
            for (Path b : buffers) { // the default lives in the shared temp dir: remove the buffer and its lock files
                try (Stream<Path> siblings = Files.list(b.getParent())) {
                    for (Path f : siblings.filter(f -> f.getFileName().toString()
                            .startsWith(b.getFileName().toString())).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
    }

    /**
     * W13 also: a read-only open of an empty replica fails at once ("holds no LTX files") where the reference
     * blocked forever.
     */
    @Test
    void badSettingsFailTheOpenWithAMessageNamingThem() throws Exception {
        LitestreamVfs.Registration plain = LitestreamVfs.builder().register("unset");
        Path db = dir.resolve("bad.db");
        assertOpenFails(plain.jdbcUrl(db), "LITESTREAM_REPLICA_URL is not set");
        assertOpenFails(plain.jdbcUrl(db, Map.of("replica_url", "nope://x/y")), "unsupported replica URL scheme");
        assertOpenFails(plain.jdbcUrl(db, Map.of("replica_url", replicaUrl(), "write_enabled", "true",
                "buffer_path", "/proc/no-such-dir/buffer")), "buffer_path");
        assertOpenFails(plain.jdbcUrl(db, Map.of("replica_url", replicaUrl(), "sync_interval", "soon")),
                "sync_interval");
        // Read mode on an empty replica: nothing to read.
        assertOpenFails(plain.jdbcUrl(db, Map.of("replica_url", replicaUrl())), "holds no LTX files");
    }

    private static void assertOpenFails(String url, String reason) {
        assertThatThrownBy(() -> {
            try (Connection c = DriverManager.getConnection(url)) {
                text(c, "select count(*) from sqlite_schema");
            }
        }).isInstanceOf(SQLException.class);
        assertThat(LitestreamVfs.lastOpenError()).get().asString().contains(reason);
    }
}
