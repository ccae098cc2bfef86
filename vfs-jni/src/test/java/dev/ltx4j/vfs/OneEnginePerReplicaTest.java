package dev.ltx4j.vfs;

import dev.ltx4j.syncer.DatabaseRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One replica in one process is one engine, whatever the spelling of its URL or the local path it is opened under:
 * writers through two spellings share one writer (no conflict between them), a second writer with its own buffer is
 * refused with both paths and the replica named, and followers share one poller (a writer beside them stays a
 * separate engine, and they stay read-only).
 */
class OneEnginePerReplicaTest {
    @TempDir
    Path dir;

    private LitestreamVfs.Registration vfs(String name, String replica, boolean write, Path buffer) throws SQLException {
        LitestreamVfsBuilder b = LitestreamVfs.builder().replica(replica).writeEnabled(write)
                .syncInterval(Duration.ofHours(1)).pollInterval(Duration.ofHours(1));
        if (buffer != null) b.bufferPath(buffer);
        return b.register(name);
    }

    /** The replica directory, its real path, and a symbolic link to it. */
    private Path replicaDir() throws Exception {
        return Files.createDirectories(dir.toRealPath().resolve("replica"));
    }

    @Test
    void writersThroughThreeSpellingsShareOneWriterAndNeverConflict() throws Exception {
        Path replica = replicaDir();
        Path link = Files.createSymbolicLink(dir.toRealPath().resolve("link"), replica);
        LitestreamVfs.Registration a = vfs("oe-w-a", "file://" + replica, true, null);
        LitestreamVfs.Registration b = vfs("oe-w-b", "file://" + link + "/", true, null);
        Path db = dir.resolve("app.db");
        String third = a.jdbcUrl(db, Map.of("replica_url", "file://localhost" + replica.getParent() + "/./replica/"));
        int before = DatabaseRegistry.shared().size();
        try (Connection ca = a.connect(db); Connection cb = b.connect(db); Connection cc = DriverManager.getConnection(third)) {
            assertThat(DatabaseRegistry.shared().size() - before).as("engines for one replica").isEqualTo(1);
            Sql.exec(ca, "create table t(id integer primary key, v text)", "insert into t(v) values ('a')");
            // Not synced yet (1 h interval): only the same engine can show it.
            assertThat(Sql.text(cb, "select group_concat(v) from t")).isEqualTo("a");
            Sql.exec(cb, "insert into t(v) values ('b')");
            Sql.exec(cc, "insert into t(v) values ('c')");
            Sql.text(cb, "select litestream_sync()");
            Sql.exec(ca, "insert into t(v) values ('a2')");
            Sql.text(ca, "select litestream_sync()"); // a second writer would conflict here
            Sql.text(cc, "select litestream_sync()");
            assertThat(Sql.text(ca, "select litestream_status()")).doesNotContain("conflict\":{");
            assertThat(Sql.text(cc, "select group_concat(v) from t")).isEqualTo("a,b,c,a2");
        } finally {
            a.unregister();
            b.unregister();
        }
        Path out = dir.resolve("restored.db");
        Replicas.restore("file://" + replica, out);
        try (Connection c = Sql.plain(out)) {
            assertThat(Sql.text(c, "select group_concat(v) from t")).isEqualTo("a,b,c,a2");
        }
    }

    @Test
    void aSecondWriterUnderAnotherPathIsRefusedNamingBothPathsAndTheReplica() throws Exception {
        Path replica = replicaDir();
        // The query is ignored by the file backend; it stands for a credential an S3/Azure URL might carry.
        LitestreamVfs.Registration a = vfs("oe-r-a", "file://" + replica + "?token=s3cr3t", true, null);
        Path first = dir.toRealPath().resolve("users.db"); // SQLite hands the VFS the full path, links resolved
        Path second = dir.toRealPath().resolve("orders.db");
        try (Connection ca = a.connect(first)) {
            Sql.exec(ca, "create table users(id integer primary key)");
            assertThatThrownBy(() -> {
                try (Connection cb = a.connect(second)) {
                    Sql.exec(cb, "create table orders(id integer primary key)");
                }
            }).isInstanceOf(SQLException.class)
                    .satisfies(e -> System.out.println("refusal: " + e.getMessage()))
                    .hasMessageContaining(first.toString())
                    .hasMessageContaining(second.toString())
                    .hasMessageContaining("file://" + replica)
                    .hasMessageContaining("second writer")
                    .hasMessageNotContaining("s3cr3t");
            Sql.exec(ca, "insert into users values (1)"); // the first writer is untouched
        } finally {
            a.unregister();
        }
    }

    @Test
    void twoPathsWithOneBufferShareOneWriter() throws Exception {
        Path replica = replicaDir();
        Path buffer = Files.createDirectories(dir.resolve("buf")).resolve("buffer");
        LitestreamVfs.Registration a = vfs("oe-s-a", "file://" + replica, true, buffer);
        LitestreamVfs.Registration b = vfs("oe-s-b", "file://" + replica + "/", true, buffer);
        try (Connection ca = a.connect(dir.resolve("x.db")); Connection cb = b.connect(dir.resolve("y.db"))) {
            Sql.exec(ca, "create table t(v)", "insert into t values ('x')");
            Sql.exec(cb, "insert into t values ('y')");
            Sql.text(cb, "select litestream_sync()");
            assertThat(Sql.text(ca, "select group_concat(v) from t")).isEqualTo("x,y");
        } finally {
            a.unregister();
            b.unregister();
        }
    }

    @Test
    void everySpellingFindsOneDefaultBufferAndABufferLeftUnderTheOldSpellingIsStillFound() throws Exception {
        Path replica = replicaDir();
        Path db = dir.toRealPath().resolve("buf.db");
        String plain = "file://" + replica;
        String dotted = "file://" + replica.getParent() + "/./replica/";
        // An earlier version named the default buffer from the URL as spelled: stage one under the dotted spelling.
        Path legacy = dev.ltx4j.pagestore.BufferPaths.defaultPath(dotted, db.toString());
        LitestreamVfs.Registration old = LitestreamVfs.builder()
                .replica(dev.ltx4j.replica.ReplicaClients.open(plain), dotted).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).register("oe-b-old");
        try (Connection c = old.connect(db)) {
            Sql.exec(c, "create table t(v)", "insert into t values (1)");
        } finally {
            old.unregister();
        }
        assertThat(legacy).exists();
        LitestreamVfs.Registration a = vfs("oe-b-a", dotted, true, null);
        try (LitestreamDatabase d = a.database(db)) {
            assertThat(d.status().bufferPath()).isEqualTo(legacy.toString());
        } finally {
            a.unregister();
        }
        Files.delete(legacy);
        LitestreamVfs.Registration b = vfs("oe-b-b", dotted, true, null);
        LitestreamVfs.Registration c = vfs("oe-b-c", plain + "/", true, null);
        try (LitestreamDatabase d = b.database(db); LitestreamDatabase e = c.database(db)) {
            assertThat(d.status().bufferPath()).isEqualTo(e.status().bufferPath())
                    .isEqualTo(dev.ltx4j.pagestore.BufferPaths.defaultPath(plain, db.toString()).toString());
        } finally {
            b.unregister();
            c.unregister();
        }
    }

    @Test
    void followersThroughTwoSpellingsAndTwoPathsShareOnePoller() throws Exception {
        Path replica = replicaDir();
        LitestreamVfs.Registration w = vfs("oe-f-w", "file://" + replica, true, null);
        try (Connection c = w.connect(dir.resolve("w.db"))) {
            Sql.exec(c, "create table t(v)", "insert into t values (1)");
            Sql.text(c, "select litestream_sync()");
        } finally {
            w.unregister();
        }
        Path link = Files.createSymbolicLink(dir.toRealPath().resolve("rlink"), replica);
        LitestreamVfs.Registration r1 = vfs("oe-f-1", "file:///" + replica + "/.", false, null);
        LitestreamVfs.Registration r2 = vfs("oe-f-2", "file://" + link, false, null);
        int before = DatabaseRegistry.shared().size();
        try (Connection c1 = r1.connect(dir.resolve("one.db")); Connection c2 = r2.connect(dir.resolve("two.db"))) {
            assertThat(Sql.number(c1, "select count(*) from t")).isEqualTo(1);
            assertThat(Sql.number(c2, "select count(*) from t")).isEqualTo(1);
            assertThat(DatabaseRegistry.shared().size() - before).as("followers (pollers) of one replica").isEqualTo(1);
            // A writer beside the follower (another path) is a separate engine; under the follower's own path it is
            // refused, as before.
            LitestreamVfs.Registration w2 = vfs("oe-f-w2", "file://" + replica, true, null);
            try {
                try (Connection cw = w2.connect(dir.resolve("three.db"))) {
                    Sql.exec(cw, "insert into t values (2)");
                    Sql.text(cw, "select litestream_sync()");
                }
                assertThatThrownBy(() -> {
                    try (Connection cw = w2.connect(dir.toRealPath().resolve("one.db"))) {
                        Sql.exec(cw, "insert into t values (3)");
                    }
                }).isInstanceOf(SQLException.class).hasMessageContaining("read mode").hasMessageContaining("one.db");
                Sql.text(c2, "select litestream_sync()"); // read mode: one poll, through the other connection
                assertThat(Sql.number(c1, "select count(*) from t")).isEqualTo(2);
                assertThatThrownBy(() -> Sql.exec(c1, "insert into t values (4)")).hasMessageContaining("readonly");
            } finally {
                w2.unregister();
            }
        } finally {
            r1.unregister();
            r2.unregister();
        }
    }
}
