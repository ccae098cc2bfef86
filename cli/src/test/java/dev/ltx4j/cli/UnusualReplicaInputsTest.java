package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.vfs.LitestreamVfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe round 7 (docs/field-probes.md, "Round 7: hostile and unusual inputs"): valid but unusual inputs a user
 * may bring, each through the writer, a read-mode follower, {@code ltx4j restore} and {@code ltx4j ltx verify}: page
 * sizes 512 and 65536, a database of one page, a level-0 chain with a gap that a later snapshot heals, and level
 * directories holding what other tools leave there (Litestream's {@code .tmp} files, upper-case names, lock files,
 * sub-directories).
 */
class UnusualReplicaInputsTest {
    @TempDir
    Path dir;

    private static final String FINGERPRINT = "select count(*) || ':' || total(length(v)) || ':' || "
            + "coalesce(group_concat(substr(hex(v), 1, 12), ','), '') from t";

    private LitestreamVfs.Registration writer(Path replica, String tag) throws SQLException {
        return LitestreamVfs.builder().replica(replica.toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).compaction(CompactionSettings.off())
                .bufferPath(dir.resolve(tag + ".buf")).register("unusual-w-" + tag);
    }

    /** The follower's, the restore's and (when given) the writer's answers to {@code sql}, all required equal. */
    private String readEverywhere(Path replica, String sql, String expected, String tag) throws Exception {
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(replica.toUri().toString())
                .register("unusual-r-" + tag);
        try (Connection c = r.connect(dir.resolve(tag + "-r.db")); Statement s = c.createStatement()) {
            assertThat(query(s, sql)).as(tag + ": follower").isEqualTo(expected);
            assertThat(query(s, "pragma quick_check")).as(tag + ": follower quick_check").isEqualTo("ok");
        } finally {
            r.unregister();
        }
        Path out = dir.resolve(tag + "-restored.db");
        CliRun restore = CliRun.of("restore", replica.toUri().toString(), "-o", out.toString());
        assertThat(restore.exitCode()).as(tag + ": restore: " + restore.err()).isZero();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out); Statement s = c.createStatement()) {
            assertThat(query(s, sql)).as(tag + ": restored").isEqualTo(expected);
            assertThat(query(s, "pragma integrity_check")).isEqualTo("ok");
        }
        CliRun verify = CliRun.of("ltx", "verify", replica.toUri().toString());
        assertThat(verify.exitCode()).as(tag + ": verify: " + verify.out() + verify.err()).isZero();
        return expected;
    }

    @Test
    void pageSizes512And65536ReadRestoreAndVerify() throws Exception {
        for (int ps : new int[] {512, 65536}) {
            Path replica = dir.resolve("replica-" + ps);
            LitestreamVfs.Registration w = writer(replica, "ps" + ps);
            String expected;
            try (Connection c = w.connect(dir.resolve("ps" + ps + ".db")); Statement s = c.createStatement()) {
                s.execute("pragma page_size=" + ps);
                s.execute("create table t(v)");
                for (int i = 0; i < 5; i++) {
                    s.execute("insert into t values (randomblob(" + (ps / 3 + 1000 * i) + "))");
                    s.executeQuery("select litestream_sync()").close();
                }
                assertThat(query(s, "pragma page_size")).isEqualTo(Integer.toString(ps));
                expected = ps + "|" + query(s, FINGERPRINT);
            } finally {
                w.unregister();
            }
            readEverywhere(replica, "select (select page_size from pragma_page_size) || '|' || (" + FINGERPRINT + ")",
                    expected, "ps" + ps);
        }
    }

    @Test
    void aDatabaseOfOnePage() throws Exception {
        Path replica = dir.resolve("replica-one");
        LitestreamVfs.Registration w = writer(replica, "one");
        try (Connection c = w.connect(dir.resolve("one.db")); Statement s = c.createStatement()) {
            s.execute("pragma user_version=7");
            s.executeQuery("select litestream_sync()").close();
            assertThat(query(s, "pragma page_count")).isEqualTo("1");
        } finally {
            w.unregister();
        }
        readEverywhere(replica, "select (select user_version from pragma_user_version) || ':' || "
                + "(select page_count from pragma_page_count)", "7:1", "one");
        assertThat(Files.size(dir.resolve("one-restored.db"))).isEqualTo(4096);
    }

    @Test
    void aLevel0GapHealedByALaterSnapshot() throws Exception {
        Path replica = dir.resolve("replica-gap");
        String url = replica.toUri().toString();
        String[] states = new String[7];
        LitestreamVfs.Registration w = writer(replica, "gap");
        try (Connection c = w.connect(dir.resolve("gap.db")); Statement s = c.createStatement()) {
            s.execute("create table t(v)");
            s.executeQuery("select litestream_sync()").close();
            states[1] = query(s, FINGERPRINT);
            for (int n = 2; n <= 4; n++) {
                s.execute("insert into t values (randomblob(" + (700 * n) + "))");
                s.executeQuery("select litestream_sync()").close();
                states[n] = query(s, FINGERPRINT);
            }
            CliRun compact = CliRun.of("compact", url);
            assertThat(compact.exitCode()).as(compact.err()).isZero();
            for (int n = 5; n <= 6; n++) {
                s.execute("insert into t values (randomblob(" + (700 * n) + "))");
                s.executeQuery("select litestream_sync()").close();
                states[n] = query(s, FINGERPRINT);
            }
        } finally {
            w.unregister();
        }
        assertThat(replica.resolve("ltx/9/0000000000000001-0000000000000004.ltx")).isRegularFile();
        // The gap: level 0 lost TXID 3, and every level between lost what covered it; the snapshot at 4 heals it.
        Files.delete(replica.resolve("ltx/0/0000000000000003-0000000000000003.ltx"));
        try (Stream<Path> l1 = Files.list(replica.resolve("ltx/1"))) {
            for (Path p : l1.toList()) {
                Files.delete(p);
            }
        }
        readEverywhere(replica, FINGERPRINT, states[6], "gap");
        Path two = dir.resolve("gap-2.db");
        CliRun atTwo = CliRun.of("restore", url, "-o", two.toString(), "--txid", "0000000000000002");
        assertThat(atTwo.exitCode()).as(atTwo.err()).isZero();
        assertThat(fingerprint(two)).isEqualTo(states[2]);
        Path three = dir.resolve("gap-3.db");
        CliRun atThree = CliRun.of("restore", url, "-o", three.toString(), "--txid", "0000000000000003");
        System.out.println("restore --txid 3 over the gap: " + atThree.err());
        assertThat(atThree.exitCode()).isEqualTo(1);
        assertThat(atThree.err()).contains("0000000000000003");
        assertThat(three).doesNotExist();
        // The writer continues the healed replica.
        LitestreamVfs.Registration again = writer(replica, "gap2");
        try (Connection c = again.connect(dir.resolve("gap2.db")); Statement s = c.createStatement()) {
            assertThat(query(s, FINGERPRINT)).isEqualTo(states[6]);
            s.execute("insert into t values (1)");
            assertThat(query(s, "select litestream_sync()")).isEqualTo("0000000000000007");
        } finally {
            again.unregister();
        }
    }

    @Test
    void whatOtherToolsLeaveInLevelDirectoriesIsIgnored() throws Exception {
        Path replica = dir.resolve("replica-junk");
        String expected;
        LitestreamVfs.Registration w = writer(replica, "junk");
        try (Connection c = w.connect(dir.resolve("junk.db")); Statement s = c.createStatement()) {
            s.execute("create table t(v)");
            s.executeQuery("select litestream_sync()").close();
            for (int n = 2; n <= 3; n++) {
                s.execute("insert into t values (randomblob(3000))");
                s.executeQuery("select litestream_sync()").close();
            }
            expected = query(s, FINGERPRINT);
        } finally {
            w.unregister();
        }
        Path l0 = replica.resolve("ltx/0");
        byte[] third = Files.readAllBytes(l0.resolve("0000000000000003-0000000000000003.ltx"));
        // Litestream's file client writes <name>.tmp and renames it: a crash leaves the .tmp (here half written).
        Files.write(l0.resolve("0000000000000004-0000000000000004.ltx.tmp"), java.util.Arrays.copyOf(third, 100));
        Files.write(l0.resolve(".0000000000000004-0000000000000004.ltx.1700000000000-1.tmp"), third);
        Files.write(l0.resolve("000000000000000A-000000000000000A.ltx"), third); // upper case: not an LTX name
        Files.write(l0.resolve("lock.json"), "{}".getBytes());
        Files.write(l0.resolve(".DS_Store"), new byte[] {0, 0, 0, 1});
        Files.createDirectories(l0.resolve("0000000000000005-0000000000000005.ltx")); // a directory with an LTX name
        Files.createDirectories(replica.resolve("ltx/notalevel"));
        Files.createDirectories(replica.resolve("generations/abc")); // Litestream v0.3's layout beside v0.5's
        readEverywhere(replica, FINGERPRINT, expected, "junk");
        LitestreamVfs.Registration again = writer(replica, "junk2");
        try (Connection c = again.connect(dir.resolve("junk2.db")); Statement s = c.createStatement()) {
            s.execute("insert into t values (1)");
            assertThat(query(s, "select litestream_sync()")).isEqualTo("0000000000000004");
        } finally {
            again.unregister();
        }
        CliRun compact = CliRun.of("compact", replica.toUri().toString());
        assertThat(compact.exitCode()).as(compact.err()).isZero();
        assertThat(l0.resolve("lock.json")).exists();
    }

    @Test
    void aZeroByteFileWithAnLtxNameIsRefusedNamingIt() throws Exception {
        Path replica = dir.resolve("replica-empty");
        LitestreamVfs.Registration w = writer(replica, "empty");
        try (Connection c = w.connect(dir.resolve("empty.db")); Statement s = c.createStatement()) {
            s.execute("create table t(v)");
            s.executeQuery("select litestream_sync()").close();
        } finally {
            w.unregister();
        }
        String name = "L0/0000000000000002-0000000000000002.ltx";
        Files.write(replica.resolve("ltx/0/0000000000000002-0000000000000002.ltx"), new byte[0]);
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(replica.toUri().toString()).register("empty-r");
        String seen;
        try (Connection c = r.connect(dir.resolve("empty-r.db")); Statement s = c.createStatement()) {
            seen = "read " + query(s, "select count(*) from t");
        } catch (SQLException e) {
            seen = "refused: " + e.getMessage();
        } finally {
            r.unregister();
        }
        System.out.println("zero-byte L0 file, follower: " + seen);
        assertThat(seen).contains("refused", name);
        CliRun restore = CliRun.of("restore", replica.toUri().toString(), "-o", dir.resolve("e.db").toString());
        System.out.println("zero-byte L0 file, restore: " + restore.err());
        assertThat(restore.exitCode()).isEqualTo(1);
        assertThat(restore.err()).contains(name);
    }

    private static String fingerprint(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            return query(s, FINGERPRINT);
        }
    }

    private static String query(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
