package dev.ltx4j.vfs;

import dev.ltx4j.pagestore.Durability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;

import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A later open of a replica joins the engine already running for it, which keeps its first open's settings (one
 * engine per replica). An open must never silently get less than it asked for: a stronger durability than the
 * writer's is refused naming both values and the replica (never a secret), a read-mode open that joins the writer
 * cannot write, and harmless differences (sync interval, cache size, ...) are warned about once.
 */
class JoinedSettingsTest {
    @TempDir
    Path dir;

    private LitestreamVfs.Registration vfs(String name, String replica, boolean write, Durability durability)
            throws SQLException {
        LitestreamVfsBuilder b = LitestreamVfs.builder().replica(replica).writeEnabled(write)
                .syncInterval(Duration.ofHours(1)).pollInterval(Duration.ofHours(1));
        if (durability != null) b.durability(durability);
        return b.register(name);
    }

    private String replica() throws Exception {
        return Files.createDirectories(dir.toRealPath().resolve("replica")).toUri().toString();
    }

    @Test
    void aStrongerDurabilityThanTheRunningWritersIsRefusedNamingBothValuesAndTheReplica() throws Exception {
        String replica = replica();
        // The query is ignored by the file backend; it stands for a credential an S3/Azure URL might carry.
        LitestreamVfs.Registration local = vfs("js-d-local", replica + "?token=s3cr3t", true, Durability.LOCAL);
        LitestreamVfs.Registration remote = vfs("js-d-remote", replica, true, Durability.REMOTE);
        Path db = dir.toRealPath().resolve("app.db");
        try (Connection c = local.connect(db)) {
            Sql.exec(c, "create table t(v)", "insert into t values (1)");
            assertThatThrownBy(() -> remote.connect(db).close())
                    .isInstanceOf(SQLException.class)
                    .satisfies(e -> System.out.println("refusal: " + e.getMessage()))
                    .hasMessageContaining("durability=local")
                    .hasMessageContaining("durability=remote")
                    .hasMessageContaining(replica.replaceAll("/$", ""))
                    .hasMessageContaining(db.toString())
                    .hasMessageNotContaining("s3cr3t");
            // The same durability, or a weaker one (its commits get more than asked), joins the writer.
            try (Connection same = local.connect(db)) {
                assertThat(Sql.number(same, "select count(*) from t")).isEqualTo(1);
            }
            Sql.exec(c, "insert into t values (2)"); // the running writer is untouched
        } finally {
            local.unregister();
            remote.unregister();
        }
    }

    @Test
    void aJoiningOpenDoesNotWorkOutTheDefaultBufferAgain() throws Exception {
        String replica = replica();
        LitestreamVfs.Registration w = vfs("js-default-buffer", replica, true, null); // no buffer_path: the default
        Path db = dir.toRealPath().resolve("pooled.db");
        String tmp = System.getProperty("java.io.tmpdir");
        Path elsewhere = dir.resolve("other-tmp");
        try (Connection first = w.connect(db)) {
            Sql.exec(first, "create table t(v)", "insert into t values (1)");
            // The default buffer lives under java.io.tmpdir; had a joining open worked it out again (file-size probes
            // of three candidate buffers, the owner-only directory check that creates the directory) it would now
            // create a buffer directory under the new temp dir.
            Files.createDirectories(elsewhere);
            System.setProperty("java.io.tmpdir", elsewhere.toString());
            try (Connection second = w.connect(db)) {
                Sql.exec(second, "insert into t values (2)");
                assertThat(Sql.number(second, "select count(*) from t")).isEqualTo(2);
            } finally {
                System.setProperty("java.io.tmpdir", tmp);
            }
            try (var listing = Files.list(elsewhere)) {
                assertThat(listing.toList()).as("nothing worked out under the new temp dir").isEmpty();
            }
        } finally {
            System.setProperty("java.io.tmpdir", tmp);
            w.unregister();
        }
    }

    @Test
    void theDefaultDurabilityIsNotSilentlyWeakenedByAWriterOpenedWithNone() throws Exception {
        String replica = replica();
        LitestreamVfs.Registration none = vfs("js-n-none", replica, true, Durability.NONE);
        LitestreamVfs.Registration dflt = vfs("js-n-default", replica, true, null); // local, the contract's default
        LitestreamVfs.Registration remote = vfs("js-n-remote", replica, true, Durability.REMOTE);
        Path db = dir.toRealPath().resolve("none.db");
        try (Connection c = remote.connect(db)) {
            Sql.exec(c, "create table t(v)");
            try (Connection weaker = none.connect(db); Connection local = dflt.connect(db)) {
                Sql.exec(weaker, "insert into t values (1)");
                Sql.exec(local, "insert into t values (2)");
            }
        } finally {
            remote.unregister();
        }
        try (Connection c = none.connect(db)) {
            assertThatThrownBy(() -> dflt.connect(db).close()).isInstanceOf(SQLException.class)
                    .hasMessageContaining("durability=none").hasMessageContaining("durability=local");
            assertThat(Sql.number(c, "select count(*) from t")).isEqualTo(2);
        } finally {
            none.unregister();
            dflt.unregister();
        }
    }

    @Test
    void aReadModeOpenThatJoinsTheWriterReadsItsCommitsButCannotWrite() throws Exception {
        String replica = replica();
        LitestreamVfs.Registration writer = vfs("js-r-writer", replica, true, null);
        LitestreamVfs.Registration reader = vfs("js-r-reader", replica, false, null);
        Path db = dir.toRealPath().resolve("ro.db");
        try (Connection w = writer.connect(db)) {
            Sql.exec(w, "create table t(v)", "insert into t values ('unsynced')");
            try (Connection r = reader.connect(db)) {
                assertThat(Sql.text(r, "select group_concat(v) from t")).isEqualTo("unsynced");
                assertThatThrownBy(() -> Sql.exec(r, "insert into t values ('from the reader')"))
                        .isInstanceOfSatisfying(SQLiteException.class,
                                e -> assertThat(e.getResultCode().code).as(e.getMessage()).isEqualTo(8));
                assertThat(Sql.text(r, "pragma litestream_last_error")).contains("read mode")
                        .contains("write_enabled");
                assertThat(Sql.text(r, "select group_concat(v) from t")).isEqualTo("unsynced");
            }
            Sql.exec(w, "insert into t values ('w2')");
            assertThat(Sql.text(w, "select group_concat(v) from t")).isEqualTo("unsynced,w2");
        } finally {
            writer.unregister();
            reader.unregister();
        }
    }

    @Test
    void aHarmlessDifferenceJoinsAndIsWarnedAboutOnceOnTheHostLog(@TempDir Path root) throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        HostFixture dist = HostFixture.create(root, true);
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("LITESTREAM_LOG_LEVEL", "warn");
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.put("LITESTREAM_REPLICA_URL", root.resolve("replica").toUri().toString());
        env.put("LITESTREAM_BUFFER_PATH", root.resolve("buffer").toString());
        String db = root.resolve("app.db").toString();
        String script = ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                + ".open file:" + db + "?vfs=litestream&sync_interval=1h\n"
                + "create table t(v);\n"
                + "attach 'file:" + db + "?vfs=litestream&sync_interval=100ms&cache_size=1mb' as b;\n"
                + "attach 'file:" + db + "?vfs=litestream&sync_interval=100ms&cache_size=1mb' as c;\n"
                + "insert into b.t values (1);\n"
                + "select count(*) from t;\n";
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, script, root);
        assertThat(r.out().strip()).isEqualTo("1"); // one engine: the attached copies are the same database
        assertThat(r.err()).containsOnlyOnce("sync_interval=100ms (URI parameter sync_interval; the engine uses 1h)")
                .contains("cache_size=1048576").contains("not used").doesNotContain("durability");
    }
}
