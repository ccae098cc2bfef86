package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.compaction.RetentionPlan;
import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.vfs.engine.EngineConnector;
import dev.ltx4j.vfs.engine.EngineVfsDatabase;
import dev.ltx4j.vfs.testing.ReferenceExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction end to end (issue 10): a writer through JDBC with short compaction settings compacts its file replica
 * into L1/L2/L9 and retention deletes old L0 files after the grace period; a read-mode connection opened afterwards
 * reads the latest data from the plan's few files; a restore at every TXID the replica still holds equals what was
 * committed at it; and the reference extension reads the compacted replica. Compaction steps run at chosen times
 * ({@link Database#compactOnce}) on the writer's own wall clock, which runs like a real one and steps 3 s forward after
 * each of them; the background lane runs beside them. The snapshot interval, the grace and an idle writer's wake-ups
 * are elapsed time (docs/compaction.md, "Clock steps"): the test waits for the idle writer's retention once.
 */
class CompactedReplicaVfsTest {
    private static final String SUMMARY = "select count(*) || '|' || coalesce(sum(length(v)), 0) || '|' || coalesce(max(id), 0)"
            + " from t";
    static final CompactionSettings SHORT = new CompactionSettings(true,
            List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), Duration.ofSeconds(3), Duration.ofSeconds(5),
            Duration.ofSeconds(2));

    @TempDir
    Path dir;

    @Test
    void aJdbcWriterCompactsAndEveryReaderReadsTheCompactedReplica() throws Exception {
        Path root = dir.resolve("replica");
        String url = root.toUri().toString();
        SteppedClock clock = new SteppedClock(Instant.now().plusSeconds(10));
        Instant t;
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).writeEnabled(true).clock(clock)
                .syncInterval(Duration.ofHours(1)).compaction(SHORT)
                .bufferPath(Files.createDirectories(dir.resolve("w")).resolve("buffer")).register("compactw");
        Map<Long, String> committed = new HashMap<>();
        long latest;
        try (Connection c = open(vfs, dir.resolve("app.db")); EngineVfsDatabase engine = EngineConnector.attachLastOpened()) {
            Database db = engine.database();
            exec(c, "create table t(id integer primary key, v text)");
            for (int i = 1; i <= 30; i++) {
                exec(c, "insert into t(v) values ('" + "x".repeat(i * 37 % 500) + "')");
                if (i % 7 == 0) {
                    exec(c, "delete from t where id % 5 = " + (i % 5));
                }
                latest = Long.parseLong(text(c, "select litestream_sync()"), 16);
                committed.put(latest, text(c, SUMMARY));
            }
            for (int step = 0; step < 4; step++) {
                db.compactOnce(clock.instant()); // levels and a snapshot; the lane beside them sees the same clock
                clock.step(Duration.ofSeconds(3));
            }
            for (int i = 31; i <= 40; i++) { // more writes after retention: the writer's own L0 files went
                exec(c, "insert into t(v) values ('" + "y".repeat(i) + "')");
                latest = Long.parseLong(text(c, "select litestream_sync()"), 16);
                committed.put(latest, text(c, SUMMARY));
            }
            // The writer is idle now: one retention window of elapsed time after its last sync its lane wakes up and
            // retention deletes what left the window (the forward steps above shorten neither that nor the grace).
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (db.status().compaction().retention().filesDeleted() == 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(100);
            }
            for (int step = 0; step < 4; step++) {
                db.compactOnce(clock.instant());
                clock.step(Duration.ofSeconds(3));
            }
            t = clock.instant();
            latest = db.current().txid();
            assertThat(text(c, SUMMARY)).isEqualTo(committed.get(latest));
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");

            CompactionStatus st = db.status().compaction();
            assertThat(st.level(1).filesCreated()).isPositive();
            assertThat(st.level(2).filesCreated()).isPositive();
            assertThat(st.level(9).filesCreated()).isPositive();
            assertThat(st.retention().filesDeleted()).isPositive();
            String json = text(c, "select litestream_status()");
            assertThat(json).contains("\"compaction\":{\"enabled\":true,\"levels\":[{\"level\":1,\"interval_ms\":1000")
                    .contains("\"retention\":{\"window_ms\":5000,\"grace_ms\":2000").contains("\"files_per_level\":[");
        }
        try (ReplicaClient files = ReplicaClients.open(url)) {
            assertThat(files.listFiles(1, 0, false)).isNotEmpty();
            assertThat(files.listFiles(2, 0, false)).isNotEmpty();
            assertThat(files.listFiles(9, 0, false)).isNotEmpty();
            assertThat(files.listFiles(0, 0, false).size()).isLessThan(40);

            // Every TXID the replica can still restore is what was committed at it, restore points first of all.
            RetentionPlan plan = RetentionPlan.of(RetentionPlan.listAll(files), t, SHORT.retention(),
                    SHORT.retentionGrace());
            int restored = 0;
            for (long txid = 1; txid <= latest; txid++) {
                Path out = dir.resolve("restore-" + txid + ".db");
                try {
                    restore(files, txid, out);
                } catch (RestorePlanException e) {
                    assertThat(plan.restorePoints()).doesNotContain(txid);
                    continue;
                }
                if (committed.containsKey(txid)) {
                    try (Connection r = DriverManager.getConnection("jdbc:sqlite:" + out)) {
                        assertThat(text(r, SUMMARY)).as("TXID %d", txid).isEqualTo(committed.get(txid));
                    }
                    restored++;
                }
            }
            assertThat(restored).isGreaterThanOrEqualTo(1);

            // A read-mode connection opened now reads the latest data and only the files of the restore plan.
            CountingReplicaClient counting = new CountingReplicaClient(ReplicaClients.open(url));
            LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(counting, url + "#counted")
                    .register("compactr");
            try (Connection r = open(reader, dir.resolve("reader.db"))) {
                assertThat(text(r, SUMMARY)).isEqualTo(committed.get(latest));
                Set<String> planned = new HashSet<>();
                for (LtxFileInfo f : new RestorePlanner(files).plan(RestoreTarget.latest())) {
                    planned.add(f.toString());
                }
                Set<String> read = new HashSet<>();
                for (int level = 0; level <= 9; level++) {
                    for (LtxFileInfo f : files.listFiles(level, 0, false)) {
                        if (counting.opensOf(level, f.minTxid(), f.maxTxid()) > 0) {
                            read.add(f.toString());
                        }
                    }
                }
                assertThat(planned).containsAll(read);
                assertThat(planned.size()).isLessThan(10);
                assertThatThrownBy(() -> exec(r, "insert into t(v) values ('no')")).isInstanceOf(Exception.class);
            } finally {
                reader.unregister();
                counting.close();
            }
        }
        vfs.unregister();

        // The reference extension (Litestream 0.5.17) reads the compacted replica.
        Path extension = ReferenceExtension.install();
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("LITESTREAM_REPLICA_URL", url);
        env.put("LITESTREAM_LOG_FILE", dir.resolve("ref.log").toString());
        HostFixture.Result ref = HostFixture.run(HostFixture.cmd("/usr/bin/sqlite3"), env,
                ".load '" + extension + "' sqlite3_litestreamvfs_init\n.open 'file:ref.db?vfs=litestream'\n"
                        + SUMMARY + ";\npragma integrity_check;\n", dir);
        assertThat(ref.err()).isEmpty();
        assertThat(ref.out().strip()).isEqualTo(committed.get(latest) + "\nok");
    }

    @Test
    void badCompactionSettingsAreRefusedNamingTheParameter() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("r").toUri().toString())
                .writeEnabled(true).bufferPath(Files.createDirectories(dir.resolve("w")).resolve("buffer"))
                .register("compactbad");
        try {
            // parameter, value, the part of it the error quotes
            for (String[] bad : List.of(new String[] {"retention", "forever", "forever"},
                    new String[] {"compaction_intervals", "30s,banana", "banana"},
                    new String[] {"compaction", "maybe", "maybe"}, new String[] {"snapshot_interval", "-1h", "-1h"},
                    new String[] {"retention_grace", "soon", "soon"})) {
                assertThatThrownBy(() -> DriverManager.getConnection(LitestreamVfs.jdbcUrl(dir.resolve("bad.db"),
                        "compactbad", Map.of(bad[0], bad[1]))).close())
                        .as(bad[0]).isInstanceOf(java.sql.SQLException.class);
                assertThat(LitestreamVfs.lastOpenError().orElse("")).as(bad[0]).contains("URI parameter " + bad[0])
                        .contains(bad[2]);
            }
        } finally {
            vfs.unregister();
        }
    }

    private static Connection open(LitestreamVfs.Registration vfs, Path db) throws Exception {
        EngineConnector.clearLastOpened();
        return DriverManager.getConnection(vfs.jdbcUrl(db));
    }

    /** What {@code ltx4j restore --txid} does: the restore plan's files merged into a database file. */
    private static void restore(ReplicaClient client, long txid, Path out) throws Exception {
        List<LtxSource> chain = new ArrayList<>();
        for (LtxFileInfo f : new RestorePlanner(client).plan(RestoreTarget.txid(txid))) {
            chain.add(LtxSource.of(f.toString(), () -> client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)));
        }
        LtxRestorer.restore(chain, out);
    }

    /**
     * The writer's wall clock: runs with elapsed time from {@code start} and steps forward when the test says (an NTP
     * step); its compaction lane and the chosen steps see the same times.
     */
    private static final class SteppedClock extends Clock {
        private final Instant start;
        private final long startNanos = System.nanoTime();
        private volatile long stepped;

        SteppedClock(Instant start) {
            this.start = start;
        }

        synchronized void step(Duration forward) {
            stepped += forward.toNanos();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return start.plusNanos(System.nanoTime() - startNanos + stepped);
        }
    }
}
