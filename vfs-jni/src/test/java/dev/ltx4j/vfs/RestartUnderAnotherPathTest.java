package dev.ltx4j.vfs;

import dev.ltx4j.pagestore.BufferPaths;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The default write buffer is the replica's, not the local path's: a sqlite3 process killed with unsynced commits
 * under one path, restarted under another (a moved deployment, another working directory), replays them (field
 * probe; before, the default buffer was named from the replica and the path, so the new open started empty and the
 * old buffer's commits sat unseen until they came back as a conflict).
 */
class RestartUnderAnotherPathTest {
    @TempDir
    static Path root;
    static HostFixture dist;

    @BeforeAll
    static void layout() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        dist = HostFixture.create(root, true);
    }

    /** Runs sqlite3 on {@code db} with the default buffer, commits {@code rows} rows unsynced, then kills it. */
    private static void killedWithUnsyncedCommits(String replica, Path db, int rows) throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.put("LITESTREAM_REPLICA_URL", replica);
        env.put("LITESTREAM_SYNC_INTERVAL", "1h");
        ProcessBuilder pb = new ProcessBuilder(SQLITE3.toString(), "-batch").directory(root.toFile())
                .redirectError(root.resolve("killed.err").toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            OutputStream in = p.getOutputStream();
            in.write((".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                    + ".open file:" + db + "?vfs=litestream\n"
                    + "create table t(id integer primary key, v text);\n"
                    + "insert into t(v) select 'row' || value from generate_series(1, " + rows + ");\n"
                    + "select 'ready ' || count(*) from t;\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).as(() -> readQuietly(root.resolve("killed.err"))).isEqualTo("ready " + rows);
        } finally {
            p.destroyForcibly(); // SIGKILL: no final sync
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static String readQuietly(Path f) {
        try {
            return Files.readString(f);
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    void unsyncedCommitsOfAKilledProcessAreReplayedByARestartUnderAnotherPath() throws Exception {
        Path replicaDir = Files.createDirectories(root.toRealPath().resolve("replica"));
        String replica = replicaDir.toUri().toString();
        Path before = Files.createDirectories(root.toRealPath().resolve("release-1")).resolve("app.db");
        Path after = Files.createDirectories(root.toRealPath().resolve("release-2")).resolve("app.db");
        killedWithUnsyncedCommits(replica, before, 25);
        assertThat(Files.list(replicaDir).count()).as("nothing was synced").isZero();

        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).register("restart-elsewhere");
        try (Connection c = vfs.connect(after)) {
            assertThat(Sql.number(c, "select count(*) from t")).isEqualTo(25);
            Sql.exec(c, "insert into t(v) values ('after the restart')");
            Sql.text(c, "select litestream_sync()");
        } finally {
            vfs.unregister();
        }
        Path out = root.resolve("restored.db");
        Replicas.restore(replica, out);
        try (Connection plain = Sql.plain(out)) {
            assertThat(Sql.number(plain, "select count(*) from t")).isEqualTo(26);
        }
    }

    @Test
    void aBufferAnEarlierVersionLeftUnderThePathIsStillReplayed() throws Exception {
        Path replicaDir = Files.createDirectories(root.toRealPath().resolve("replica-legacy"));
        String replica = replicaDir.toUri().toString();
        Path db = root.toRealPath().resolve("legacy.db");
        killedWithUnsyncedCommits(replica, db, 7);
        // Stage the layout of an earlier version: the same buffer, named from the URL as spelled (here with a
        // trailing slash the canonical identity drops) and the local path.
        Path shared = BufferPaths.replicaDefaultPath("file://" + replicaDir);
        assertThat(shared).exists();
        Path legacy = BufferPaths.defaultPath(replica, db.toString());
        assertThat(replica).endsWith("/");
        Files.move(shared, legacy);
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).register("restart-legacy");
        try (LitestreamDatabase d = vfs.database(db); Connection c = vfs.connect(db)) {
            assertThat(d.status().bufferPath()).isEqualTo(legacy.toString());
            assertThat(Sql.number(c, "select count(*) from t")).isEqualTo(7);
        } finally {
            vfs.unregister();
        }
        // Synced and closed: the legacy buffer is empty, so the next open uses the replica's own default buffer.
        LitestreamVfs.Registration again = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).register("restart-legacy-2");
        try (LitestreamDatabase d = again.database(db)) {
            assertThat(d.status().bufferPath()).isEqualTo(shared.toString());
        } finally {
            again.unregister();
        }
    }

    @Test
    void aReadOnlyOpenBesideAWritingProcessReadsAsAFollowerInsteadOfTakingTheBuffer() throws Exception {
        // Field probe: with LITESTREAM_WRITE_ENABLED=true in the environment, `sqlite3 -readonly` (or mode=ro) opened a
        // writer, which took (or was refused) the write buffer the writing process owns.
        Path replicaDir = Files.createDirectories(root.toRealPath().resolve("replica-ro"));
        String replica = replicaDir.toUri().toString();
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).register("readonly-beside-writer");
        try (Connection c = vfs.connect(root.toRealPath().resolve("writer.db"))) {
            Sql.exec(c, "create table t(v)", "insert into t values (1), (2)");
            Sql.text(c, "select litestream_sync()");
            Sql.exec(c, "insert into t values (3)"); // unsynced: only the writer sees it
            Map<String, String> env = HostFixture.baseEnvironment();
            env.put("JAVA_HOME", System.getProperty("java.home"));
            env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
            env.put("LITESTREAM_WRITE_ENABLED", "true");
            env.put("LITESTREAM_REPLICA_URL", replica);
            String load = ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n";
            for (String open : new String[] {".open --readonly file:" + root.resolve("writer.db") + "?vfs=litestream",
                    ".open file:" + root.resolve("inspect.db") + "?vfs=litestream&mode=ro"}) {
                HostFixture.Result r = HostFixture.run(HostFixture.cmd(SQLITE3, "-batch"), env, load + open + "\n"
                        + "select count(*) || ' ' || json_extract(litestream_status(), '$.mode') from t;\n", root);
                assertThat(r.out().strip()).as(r.err()).isEqualTo("2 read");
            }
            Sql.exec(c, "insert into t values (4)"); // the writer was never disturbed
            assertThat(Sql.number(c, "select count(*) from t")).isEqualTo(4);
        } finally {
            vfs.unregister();
        }
    }

    @Test
    void aSecondWritingProcessIsRefusedNamingTheReplicaAndHowToReadIt() throws Exception {
        // The default buffer is the replica's, so a second process writing it meets the buffer lock; the refusal says
        // that the replica has another writer (field probe: it named only the buffer's lock file).
        Path replicaDir = Files.createDirectories(root.toRealPath().resolve("replica-two"));
        String replica = replicaDir.toUri().toString();
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replica).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).register("two-writing-processes");
        try (Connection c = vfs.connect(root.toRealPath().resolve("first.db"))) {
            Sql.exec(c, "create table t(v)", "insert into t values (1)");
            Sql.text(c, "select litestream_sync()");
            Map<String, String> env = HostFixture.baseEnvironment();
            env.put("JAVA_HOME", System.getProperty("java.home"));
            env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
            env.put("LITESTREAM_WRITE_ENABLED", "true");
            env.put("LITESTREAM_REPLICA_URL", replica);
            HostFixture.Result r = HostFixture.run(HostFixture.cmd(SQLITE3, "-batch"), env, ".load "
                    + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n.open file:"
                    + root.resolve("second.db") + "?vfs=litestream\nselect count(*) from t;\n", root);
            assertThat(r.err()).contains("replica file://" + replicaDir + " is being written by another writer")
                    .contains("read-only");
            Sql.exec(c, "insert into t values (2)");
        } finally {
            vfs.unregister();
        }
    }
}
