package dev.ltx4j.vfs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A read-mode connection keeps SQLite's page cache between its transactions while the version is unchanged
 * (docs/concurrent-readers.md); once the follower has polled a newer version, the very same connection must read
 * it, with and without hydration (docs/hydration.md), with and without the memory page cache.
 */
class FollowerSeesNewVersionsTest {
    private static final int ROUNDS = 6;

    @TempDir
    Path dir;

    private String replicaUrl() {
        return dir.resolve("replica").toUri().toString();
    }

    private LitestreamVfs.Registration writer() throws Exception {
        return LitestreamVfs.builder().replica(replicaUrl()).writeEnabled(true).syncInterval(Duration.ofHours(1))
                .bufferPath(dir.resolve("w-buffer")).register("fsnv-writer");
    }

    @Test
    void followerConnectionReadsEveryPolledVersion() throws Exception {
        follow(LitestreamVfs.builder().replica(replicaUrl()).pollInterval(Duration.ofMillis(20)), "fsnv-plain", false);
    }

    @Test
    void followerConnectionWithoutMemoryCacheReadsEveryPolledVersion() throws Exception {
        follow(LitestreamVfs.builder().replica(replicaUrl()).cacheSize(0).pollInterval(Duration.ofMillis(20)),
                "fsnv-nocache", false);
    }

    @Test
    void hydratedFollowerConnectionReadsEveryPolledVersion() throws Exception {
        follow(LitestreamVfs.builder().replica(replicaUrl()).cacheSize(0).pollInterval(Duration.ofMillis(20))
                .hydration(true).hydrationPath(dir.resolve("hydrated").resolve("app.db")), "fsnv-hyd", true);
    }

    private void follow(LitestreamVfsBuilder builder, String name, boolean hydrated) throws Exception {
        LitestreamVfs.Registration w = writer();
        try (Connection wc = DriverManager.getConnection(w.jdbcUrl(dir.resolve("w.db")))) {
            exec(wc, "create table t(id integer primary key, v text)",
                    "insert into t(v) select printf('row %d %s', value, hex(randomblob(100))) from " + Sql.series(2000));
            text(wc, "select litestream_sync()");
            LitestreamVfs.Registration r = builder.register(name);
            try (Connection c = DriverManager.getConnection(r.jdbcUrl(dir.resolve("r.db")))) {
                long rows = 2000;
                for (int round = 0; round < ROUNDS; round++) {
                    String before = await(c, null, hydrated);
                    assertThat(number(c, "select count(*) from t")).isEqualTo(rows); // SQLite caches these pages
                    exec(wc, "insert into t(v) values ('round " + round + "')");
                    String synced = text(wc, "select litestream_sync()");
                    rows++;
                    String now = await(c, synced, hydrated);
                    assertThat(now).isNotEqualTo(before);
                    assertThat(number(c, "select count(*) from t")).as("round %d at TXID %s", round, now)
                            .isEqualTo(rows);
                    assertThat(text(c, "select max(v) from t where v like 'round%'")).isEqualTo("round " + round);
                }
            }
        }
    }

    /** Waits until the follower's next transaction reads {@code txid} (null: any) and, if hydrated, the file is there. */
    private static String await(Connection c, String txid, boolean hydrated) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            String now = text(c, "select litestream_txid()");
            boolean there = txid == null || now.equals(txid);
            if (there && hydrated) {
                there = "ready".equals(text(c, "select json_extract(litestream_status(), '$.hydration.state')"))
                        && now.equals(text(c, "select json_extract(litestream_status(), '$.hydration.txid')"));
            }
            if (there) return now;
            assertThat(System.nanoTime()).as("follower did not reach TXID " + txid + ": "
                    + text(c, "select litestream_status()")).isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
