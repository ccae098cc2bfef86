package dev.ltx4j.vfs;

import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What a user sees when something is wrong (issue 8 item 6, issue 16 item 3): refused opens say why in the
 * {@link SQLException}, a conflict is in {@code PRAGMA litestream_last_error} before any commit fails, bad
 * intervals and buffer paths are named, and a read-mode follower never blocks a writer through a lock file.
 */
class VfsDiagnosticsTest {
    @TempDir
    Path dir;

    private String replicaUrl() {
        return dir.resolve("replica").toUri().toString();
    }

    /** Each cause of a refused open, with the reason the exception must carry. */
    private Map<Map<String, String>, String> causes() {
        Map<Map<String, String>, String> c = new LinkedHashMap<>();
        c.put(Map.of("replica_url", "gs://bucket/app.db"), "unsupported replica URL scheme: \"gs\"");
        c.put(Map.of("replica_url", "s4://bucket/app.db"), "unsupported replica URL scheme: \"s4\"");
        c.put(Map.of("replica_url", replicaUrl(), "write_enabled", "true",
                "buffer_path", dir.resolve("no-such-dir").resolve("buffer").toString()), "does not exist");
        c.put(Map.of("replica_url", replicaUrl()), "holds no LTX files");
        c.put(Map.of("replica_url", replicaUrl(), "write_enabled", "true", "sync_interval", "0"),
                "sync_interval \"0\": must be positive");
        c.put(Map.of("replica_url", replicaUrl(), "write_enabled", "true", "sync_interval", "-1s"),
                "sync_interval \"-1s\": must be positive");
        c.put(Map.of("replica_url", replicaUrl(), "write_enabled", "true", "buffer_path", dir.toString()),
                "URI parameter buffer_path " + dir + " is a directory");
        if (System.getenv("AWS_ACCESS_KEY_ID") == null && System.getenv("LITESTREAM_ACCESS_KEY_ID") == null) {
            c.put(Map.of("replica_url", "s3://bucket/app.db?endpoint=http://127.0.0.1:9"), "no credentials");
        }
        return c;
    }

    @Test
    void aRefusedOpenSaysWhyThroughTheDataSourceAndConnect() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().register("diag-open");
        Path db = dir.resolve("app.db");
        for (Map.Entry<Map<String, String>, String> e : causes().entrySet()) {
            LitestreamDataSource ds = new LitestreamDataSource(vfs.jdbcUrl(db, e.getKey()));
            assertThatThrownBy(ds::getConnection).as(e.getKey().toString()).isInstanceOf(SQLException.class)
                    .hasMessageContaining("[litestream: ").hasMessageContaining(e.getValue())
                    .hasCauseInstanceOf(SQLException.class);
            assertThatThrownBy(() -> vfs.connect(db, e.getKey()).close()).as(e.getKey().toString())
                    .hasMessageContaining(e.getValue());
        }
    }

    @Test
    void secretsInTheReplicaUrlStayOutOfTheReason() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().register("diag-secret");
        Path db = dir.resolve("app.db");
        assertThatThrownBy(() -> vfs.connect(db, Map.of("replica_url", "s4://AKID:hunter2secret@bucket/app.db")))
                .hasMessageContaining("unsupported replica URL scheme").hasMessageNotContaining("hunter2secret");
    }

    @Test
    void concurrentOpensEachGetTheirOwnReason() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().register("diag-threads");
        Path db = dir.resolve("app.db");
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            Future<?>[] done = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                String scheme = "zz" + t;
                Callable<Void> open = () -> {
                    start.await();
                    for (int i = 0; i < 20; i++) {
                        assertThatThrownBy(() -> vfs.connect(db, Map.of("replica_url", scheme + "://b/app.db")))
                                .hasMessageContaining("\"" + scheme + "\"");
                    }
                    return null;
                };
                done[t] = pool.submit(open);
            }
            for (Future<?> f : done) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    /** W13: a zero sync interval is refused by name (the reference silently took 0 to mean one second). */
    @Test
    void theBuilderRefusesIntervalsThatWouldSwitchSyncingOff() {
        assertThatThrownBy(() -> LitestreamVfs.builder().syncInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("syncInterval");
        assertThatThrownBy(() -> LitestreamVfs.builder().pollInterval(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pollInterval");
    }

    @Test
    void aReadModeFollowerInTheSameDirectoryNeverBlocksTheWriter() throws Exception {
        Path db = dir.resolve("app.db");
        LitestreamVfs.Registration writer = LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("writer-buffer")).register("lock-writer");
        try (ReplicaClient client = ReplicaClients.open(replicaUrl());
             Connection w = writer.connect(db)) {
            exec(w, "create table t(id integer primary key, v text)", "insert into t(v) values ('first')");
            text(w, "select litestream_sync()");
            // The follower is another database of the process (another replica identity), on the same path.
            LitestreamVfs.Registration follower = LitestreamVfs.builder().replica(client, "follower-view")
                    .pollInterval(Duration.ofHours(1)).register("lock-follower");
            try (Connection f = follower.connect(db)) {
                exec(f, "begin");
                assertThat(number(f, "select count(*) from t")).isEqualTo(1); // holds its read transaction
                // Without the fix both share <dir>/app.db-lock and this commit waits for the follower's SHARED lock.
                exec(w, "pragma busy_timeout = 200");
                exec(w, "insert into t(v) values ('second')", "insert into t(v) values ('third')");
                assertThat(number(w, "select count(*) from t")).isEqualTo(3);
                assertThat(number(f, "select count(*) from t")).isEqualTo(1); // still its pinned version
                exec(f, "commit");
                text(w, "select litestream_sync()");
                text(f, "select litestream_sync()"); // read mode: polls once
                assertThat(number(f, "select count(*) from t")).isEqualTo(3);
            }
        }
        assertThat(dir.resolve("app.db-lock")).doesNotExist();
        // The writer's connections lock through a file next to its buffer, owner-only.
        Path lock = dir.resolve("writer-buffer.sqlite-lock");
        assertThat(lock).exists();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(lock)))
                .isEqualTo("rw-------");
    }

    @Test
    void aConflictIsInLastErrorAsSoonAsASyncDetectsIt() throws Exception {
        Path db = dir.resolve("app.db");
        LitestreamVfs.Registration winner = LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("winner-buffer")).register("cf-winner");
        try (ReplicaClient client = ReplicaClients.open(replicaUrl());
             Connection w = winner.connect(db)) {
            exec(w, "create table t(id integer primary key, v text)", "insert into t(v) values ('base')");
            text(w, "select litestream_sync()");
            LitestreamVfs.Registration rival = LitestreamVfs.builder().replica(client, "rival-view").writeEnabled(true)
                    .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("rival-buffer")).register("cf-rival");
            try (Connection r = rival.connect(db); Connection syncer = rival.connect(db)) {
                exec(r, "insert into t(v) values ('rival')");
                exec(w, "insert into t(v) values ('winner')");
                text(w, "select litestream_sync()");
                assertThat(text(r, "pragma litestream_last_error")).isEmpty();
                // Another connection's sync (in real use the background sync) finds the conflict ...
                assertThatThrownBy(() -> text(syncer, "select litestream_sync()")).hasMessageContaining("conflict");
                // ... and this connection, which has not failed anything yet, already reports it.
                assertThat(text(r, "pragma litestream_last_error")).contains("conflict").contains("0000000000000002");
                assertThat(text(r, "select litestream_status()")).contains("\"conflict\":{");
            }
        }
    }

    @Test
    void aFullDiskIsTheLastErrorAndNamesTheBuffer() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Path small = Files.createDirectories(dir.resolve("small"));
        assumeTrue(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", small.toString())
                .inheritIO().start().waitFor() == 0, "cannot mount a tmpfs here");
        try {
            Path buffer = small.resolve("buffer");
            LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true)
                    .syncInterval(Duration.ofHours(1)).bufferPath(buffer).register("full-disk");
            try (Connection c = vfs.connect(dir.resolve("full.db")); Connection other = vfs.connect(dir.resolve("full.db"))) {
                exec(c, "create table t(v blob)");
                text(c, "select litestream_sync()"); // nothing left to sync at close
                assertThatThrownBy(() -> {
                    for (int i = 0; i < 100; i++) exec(c, "insert into t values (randomblob(100000))");
                }).isInstanceOfSatisfying(org.sqlite.SQLiteException.class, e -> assertThat(e.getResultCode().code)
                        .as("SQLITE_FULL as SQLite's own VFS reports ENOSPC, not an I/O error: %s", e.getMessage())
                        .isEqualTo(13));
                String status = text(other, "select json_extract(litestream_status(), '$.last_error')");
                // The disk itself, or the reserve for the rewrite after a sync (docs/write-buffer-full-disk.md)
                String[] full = {"No space left on device", "to keep space for the rewrite after the next sync"};
                assertThat(status).contains(buffer.toString()).containsAnyOf(full);
                assertThat(text(other, "pragma litestream_last_error")).containsAnyOf(full);
            }
        } finally {
            new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
        }
    }
}
