package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, through sqlite-jdbc: a follower connection open while its replica is deleted and replaced by another
 * database never shows a mix of the two, switches to the new database at a transaction boundary (its SQLite page
 * and schema caches included) and says so in {@code litestream_status()}.
 */
class ReplacedReplicaFollowerTest {
    private static int names;

    @TempDir
    Path dir;

    private String replicaUrl() {
        return dir.resolve("replica").toUri().toString();
    }

    private LitestreamVfs.Registration writer(String name) throws SQLException {
        return LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true).syncInterval(Duration.ofHours(1))
                .bufferPath(dir.resolve(name + "-buffer")).register("replaced-w" + (names++));
    }

    private LitestreamVfs.Registration follower() throws SQLException {
        return LitestreamVfs.builder().replica(replicaUrl()).pollInterval(Duration.ofHours(1))
                .register("replaced-r" + (names++));
    }

    /** One database: {@code table} with 2,000 rows of {@code value}, then one synced transaction per extra TXID. */
    private void publish(String name, String table, String value, int txids) throws Exception {
        LitestreamVfs.Registration w = writer(name);
        try (Connection c = DriverManager.getConnection(w.jdbcUrl(dir.resolve(name + ".db")))) {
            exec(c, "create table " + table + "(id integer primary key, v text)", "create table m(x)",
                    "insert into " + table + "(v) select '" + value + "' from " + Sql.series(2000));
            text(c, "select litestream_sync()");
            for (int i = 2; i <= txids; i++) {
                exec(c, "insert into m values (" + i + ")");
                text(c, "select litestream_sync()");
            }
            assertThat(text(c, "select litestream_txid()")).isEqualTo(String.format("%016x", txids));
        }
    }

    private void deleteReplica() throws Exception {
        try (Stream<Path> s = Files.walk(dir.resolve("replica"))) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void issueProbeAReplacedReplicaIsNeverMergedIntoAnOpenFollower() throws Exception {
        publish("a", "t", "A", 4);
        LitestreamVfs.Registration f = follower();
        try (Connection r = DriverManager.getConnection(f.jdbcUrl(dir.resolve("follower.db")))) {
            assertThat(number(r, "select count(*) from t where v = 'A'")).isEqualTo(2000);
            assertThat(text(r, "select litestream_txid()")).isEqualTo("0000000000000004");

            deleteReplica();
            publish("b", "t", "B", 0xd); // another database at the same URL, then a new writer's TXIDs 2..0xd

            text(r, "select litestream_sync()"); // one poll
            assertThat(number(r, "select count(*) from t where v = 'A'")).isZero();
            assertThat(number(r, "select count(*) from t where v = 'B'")).isEqualTo(2000);
            assertThat(text(r, "select litestream_txid()")).isEqualTo("000000000000000d");
            assertThat(text(r, "pragma quick_check")).isEqualTo("ok");
            String status = text(r, "select litestream_status()");
            assertThat(status).contains("\"replica_diverged\":{\"held_txid\":\"0000000000000004\"")
                    .contains("\"reloaded_txid\":\"000000000000000d\"").contains("\"reloads\":1")
                    .contains("\"last_error\":\"replica_diverged");
        }
    }

    @Test
    void aSameShapeReplacementReachesSqlitesPageAndSchemaCaches() throws Exception {
        // Same number of transactions, pages and schema changes: change counter, size and schema cookie agree.
        publish("a", "a_rows", "A", 3);
        LitestreamVfs.Registration f = follower();
        try (Connection r = DriverManager.getConnection(f.jdbcUrl(dir.resolve("follower.db")))) {
            assertThat(number(r, "select count(*) from a_rows where v = 'A'")).isEqualTo(2000);
            deleteReplica();
            publish("b", "b_rows", "B", 3);
            text(r, "select litestream_sync()");
            assertThat(number(r, "select count(*) from b_rows where v = 'B'")).isEqualTo(2000);
            assertThatThrownBy(() -> number(r, "select count(*) from a_rows")).hasMessageContaining("no such table");
            assertThat(text(r, "pragma quick_check")).isEqualTo("ok");
        }
    }

    @Test
    void aReplicaReplacedWithALowerTxidIsFollowedAndReported() throws Exception {
        publish("a", "t", "A", 0x17);
        LitestreamVfs.Registration f = follower();
        try (Connection r = DriverManager.getConnection(f.jdbcUrl(dir.resolve("follower.db")))) {
            assertThat(number(r, "select count(*) from t")).isEqualTo(2000);
            deleteReplica();
            publish("b", "other", "B", 1);
            text(r, "select litestream_sync()");
            assertThat(number(r, "select count(*) from other")).isEqualTo(2000);
            assertThat(text(r, "select litestream_txid()")).isEqualTo("0000000000000001");
            assertThat(text(r, "select litestream_status()")).contains("\"held_txid\":\"0000000000000017\"");
        }
    }
}
