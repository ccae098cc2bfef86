package dev.ltx4j.vfs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.series;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replicas whose page 1 says WAL (file format bytes 18/19 = 2): every replica the Litestream daemon writes, and
 * {@code ltx4j import} of a checkpointed WAL database. Through sqlite-jdbc they open in read and write mode (SQLite
 * sees a rollback-journal database), follow a daemon-style writer, and what we write back restores to a WAL
 * database that plain SQLite checks clean.
 */
class WalReplicaTest {
    private static final String CREATE = "create table t(id integer primary key, v text)";

    @TempDir
    Path dir;

    private String url(String name) {
        return dir.resolve(name).toUri().toString();
    }

    /** A WAL database of 50 rows, imported as the replica {@code name}; its image. */
    private byte[] importedWalReplica(String name) throws Exception {
        byte[] image = DaemonReplica.walDatabase(dir.resolve(name + "-source.db"), CREATE,
                "insert into t(v) select printf('row %d', value) from " + series(50));
        DaemonReplica.importImage(url(name), image);
        return image;
    }

    @Test
    void readModeOpensAWalReplicaAndFollowsADaemonStyleWriter() throws Exception {
        byte[] image = importedWalReplica("r");
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url("r"))
                .pollInterval(Duration.ofMillis(50)).register("wal-read");
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(dir.resolve("r.db")))) {
            assertThat(number(c, "select count(*) from t")).isEqualTo(50);
            assertThat(text(c, "pragma journal_mode")).isEqualTo("delete");
            // The daemon commits on its WAL database and ships the pages it changed, page 1 saying WAL.
            byte[] next = DaemonReplica.walDatabase(dir.resolve("r-source.db"),
                    "insert into t(v) select printf('more %d', value) from " + series(30), "delete from t where id = 7");
            DaemonReplica.append(url("r"), 2, image, next);
            await(c, "select count(*) from t", "79");
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(text(c, "select litestream_txid()")).isEqualTo("0000000000000002");
        }
    }

    @Test
    void writeModeWritesSyncsRestoresAndKeepsTheReplicaInWalFormat() throws Exception {
        importedWalReplica("w");
        LitestreamVfs.Registration writer = LitestreamVfs.builder().replica(url("w")).writeEnabled(true)
                .syncInterval(Duration.ofMillis(50)).bufferPath(dir.resolve("w-buffer")).register("wal-write");
        LitestreamVfs.Registration follower = LitestreamVfs.builder().replica(url("w"))
                .pollInterval(Duration.ofMillis(50)).register("wal-write-follower");
        try (Connection c = DriverManager.getConnection(writer.jdbcUrl(dir.resolve("w.db")));
                Connection f = DriverManager.getConnection(follower.jdbcUrl(dir.resolve("wf.db")))) {
            assertThat(number(f, "select count(*) from t")).isEqualTo(50);
            assertThat(text(c, "pragma journal_mode")).isEqualTo("delete");
            for (int i = 0; i < 5; i++) {
                exec(c, "insert into t(v) select printf('w%d %d', " + i + ", value) from " + series(40));
            }
            exec(c, "begin", "update t set v = v || '!' where id % 3 = 0", "delete from t where id % 11 = 0", "commit");
            exec(c, "create index tv on t(v)");
            String txid = text(c, "select litestream_sync()");
            String digest = Replicas.digest(c, "t");
            await(f, "select litestream_txid()", txid);
            assertThat(Replicas.digest(f, "t")).isEqualTo(digest);
            assertThat(text(f, "pragma integrity_check")).isEqualTo("ok");

            Path restored = dir.resolve("w-restored.db");
            Replicas.restore(url("w"), restored);
            byte[] image = Files.readAllBytes(restored);
            assertThat(new byte[] {image[18], image[19]}).as("page 1 as SQLite wrote it").containsExactly(1, 1);
            try (Connection plain = Sql.plain(restored)) {
                assertThat(text(plain, "pragma integrity_check")).isEqualTo("ok");
                assertThat(text(plain, "pragma journal_mode")).isEqualTo("delete");
                assertThat(Replicas.digest(plain, "t")).isEqualTo(digest);
            }

            // The daemon (on the restored database, back in WAL mode) commits without advancing the change
            // counter; our writer reads it after a refresh (no stale page cache) and goes on.
            byte[] next = DaemonReplica.walDatabase(restored, "insert into t(v) values ('daemon')");
            long head = Long.parseLong(txid, 16);
            DaemonReplica.append(url("w"), head + 1, image, next);
            await(f, "select count(*) from t where v = 'daemon'", "1");
            text(c, "pragma litestream_refresh");
            assertThat(text(c, "select count(*) from t where v = 'daemon'")).isEqualTo("1");
            exec(c, "insert into t(v) values ('after the daemon')");
            String last = text(c, "select litestream_sync()");
            assertThat(Long.parseLong(last, 16)).isEqualTo(head + 2);
            String finalDigest = Replicas.digest(c, "t");
            await(f, "select litestream_txid()", last);
            assertThat(Replicas.digest(f, "t")).isEqualTo(finalDigest);

            Path again = dir.resolve("w-restored-again.db");
            Replicas.restore(url("w"), again);
            try (Connection plain = Sql.plain(again)) {
                assertThat(text(plain, "pragma integrity_check")).isEqualTo("ok");
                assertThat(Replicas.digest(plain, "t")).isEqualTo(finalDigest);
            }
        }
    }

    /** A rolled-back transaction leaves the stored WAL header as it was; a commit stores SQLite's page 1. */
    @Test
    void aRollbackLeavesTheStoredHeaderAndACommitStoresSqlitesPageOne() throws Exception {
        importedWalReplica("rb");
        LitestreamVfs.Registration writer = LitestreamVfs.builder().replica(url("rb")).writeEnabled(true)
                .syncInterval(Duration.ofMillis(50)).bufferPath(dir.resolve("rb-buffer")).register("wal-rollback");
        try (Connection c = DriverManager.getConnection(writer.jdbcUrl(dir.resolve("rb.db")))) {
            exec(c, "pragma cache_size = 1"); // spill: pages, page 1 included, reach the VFS before the rollback
            exec(c, "begin", "create table u(x)", "insert into u select randomblob(3000) from " + series(50),
                    "rollback");
            assertThat(text(c, "select litestream_sync()")).isEqualTo("0000000000000001");
            assertThat(restoredHeader("rb", "rb-1.db")).containsExactly(2, 2);
            exec(c, "begin", "create table u(x)", "insert into u select randomblob(3000) from " + series(50),
                    "savepoint s", "insert into t(v) values ('gone')", "rollback to s", "commit");
            exec(c, "insert into t(v) values ('kept')");
            assertThat(text(c, "select litestream_sync()")).isNotEqualTo("0000000000000001");
            assertThat(number(c, "select count(*) from u")).isEqualTo(50);
        }
        assertThat(restoredHeader("rb", "rb-2.db")).containsExactly(1, 1);
        try (Connection plain = Sql.plain(dir.resolve("rb-2.db"))) {
            assertThat(text(plain, "pragma integrity_check")).isEqualTo("ok");
            assertThat(number(plain, "select count(*) from t")).isEqualTo(51);
            assertThat(number(plain, "select count(*) from u")).isEqualTo(50);
        }
    }

    private byte[] restoredHeader(String replica, String file) throws Exception {
        Path out = dir.resolve(file);
        Replicas.restore(url(replica), out);
        byte[] image = Files.readAllBytes(out);
        try (Connection plain = Sql.plain(out)) {
            assertThat(text(plain, "pragma integrity_check")).isEqualTo("ok");
        }
        return new byte[] {image[18], image[19]};
    }

    static void await(Connection c, String sql, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String seen = text(c, sql);
        while (!expected.equals(seen) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            seen = text(c, sql);
        }
        assertThat(seen).as(sql).isEqualTo(expected);
    }
}
