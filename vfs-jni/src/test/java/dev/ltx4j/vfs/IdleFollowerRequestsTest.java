package dev.ltx4j.vfs;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 15: an idle read-mode follower makes at most one request per poll interval per database per process,
 * however many JDBC connections (and pooled connections) it has open. The requests are counted by a decorator
 * around the replica client all connections share. The bound used is an upper one only: a slow machine polls less
 * often, never more, so no timing can make this test fail except a follower that makes too many requests.
 */
class IdleFollowerRequestsTest {
    private static final Duration POLL = Duration.ofMillis(50);

    @TempDir
    Path dir;

    @Test
    void theAdaptivePollIsConfiguredByBuilderOrUriParameterAndReportedInStatus() throws Exception {
        String url = writeReplica();
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(url).pollInterval(POLL).pollBackoff(4)
                .register("backoff-follower");
        try (Connection c = r.connect(dir.resolve("b.db"))) {
            assertThat(number(c, "select json_extract(litestream_status(), '$.poll_backoff_max')")).isEqualTo(4);
            assertThat(number(c, "select json_extract(litestream_status(), '$.effective_poll_interval_ms')"))
                    .isBetween(POLL.toMillis(), 4 * POLL.toMillis());
            assertThat(number(c, "select count(*) from t")).isEqualTo(505);
        }
        try (Connection c = r.connect(dir.resolve("c.db"), java.util.Map.of("poll_backoff", "off"))) {
            assertThat(number(c, "select json_extract(litestream_status(), '$.poll_backoff_max')")).isEqualTo(1);
        }
        assertThatThrownBy(() -> r.connect(dir.resolve("d.db"), java.util.Map.of("poll_backoff", "fast")).close())
                .hasMessageContaining("poll_backoff");
        r.unregister();
    }

    private String writeReplica() throws Exception {
        String url = dir.resolve("replica").toUri().toString();
        LitestreamVfs.Registration w = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("w-buffer"))
                .compaction(CompactionSettings.off()).register("idle-writer");
        try (Connection wc = w.connect(dir.resolve("w.db"))) {
            exec(wc, "create table t(id integer primary key, v text)",
                    "insert into t(v) select printf('row %d', value) from " + Sql.series(500));
            text(wc, "select litestream_sync()");
            for (int i = 0; i < 5; i++) {
                exec(wc, "insert into t(v) values ('more " + i + "')");
                text(wc, "select litestream_sync()");
            }
        } finally {
            w.unregister();
        }
        return url;
    }

    @Test
    void idleFollowerWithManyConnectionsMakesAtMostOneRequestPerPollInterval() throws Exception {
        String url = writeReplica();
        CountingReplicaClient counting = new CountingReplicaClient(ReplicaClients.open(url));
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(counting, url + "#idle-counted")
                .pollInterval(POLL).register("idle-follower");
        List<Connection> open = new ArrayList<>();
        try {
            Path db = dir.resolve("r.db");
            for (int i = 0; i < 4; i++) {
                open.add(r.connect(db));
            }
            LitestreamDataSource pool = r.dataSource(db);
            for (int i = 0; i < 2; i++) {
                open.add(pool.getConnection());
            }
            for (Connection c : open) {
                assertThat(number(c, "select count(*) from t")).isEqualTo(505);
            }
            // Let the follower settle (its first polls after the open may look at every level once).
            Thread.sleep(20 * POLL.toMillis());

            counting.reset();
            long start = System.nanoTime();
            Thread.sleep(40 * POLL.toMillis());
            CountingReplicaClient.Counts counts = counting.snapshot();
            long elapsed = System.nanoTime() - start;
            long maxPolls = elapsed / POLL.toNanos() + 1; // polls run with a fixed delay of one interval
            String status = text(open.get(0), "select litestream_status()");
            assertThat(counts.requests())
                    .as("%d connections idle for %d ms at a %d ms poll: %s; status %s", open.size(),
                            elapsed / 1_000_000, POLL.toMillis(), counts, status)
                    .isLessThanOrEqualTo(maxPolls + 1);
            for (Connection c : open) {
                assertThat(number(c, "select count(*) from t")).isEqualTo(505);
            }
        } finally {
            for (Connection c : open) {
                c.close();
            }
            r.unregister();
            counting.close();
        }
    }
}
