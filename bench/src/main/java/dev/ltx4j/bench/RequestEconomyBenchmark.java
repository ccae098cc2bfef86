package dev.ltx4j.bench;

import dev.ltx4j.compaction.CompactionFaults;
import dev.ltx4j.compaction.CompactionResult;
import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.Compactor;
import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.vfs.LitestreamDatabase;
import dev.ltx4j.vfs.LitestreamVfs;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Issue 15's measurement: what one database costs in object-store requests, per operation, counted at the HTTP level
 * by a {@link CountingHttpProxy} in front of the store (so SDK retries, listing pages, upload parts and the HEADs of a
 * listing with metadata are billed as the store sees them). Stores: an in-process S3Proxy and Azurite
 * ({@link EconomyStores}). Everything runs through the real VFS and sqlite-jdbc at default settings (sync and poll
 * every second, compaction on) unless said otherwise:
 * <ul>
 *   <li>writing: a writer doing {@code --rate} autocommit inserts a second for {@code --seconds}, until the last is
 *       synced; billed per sync (level-0 creates seen by the store);</li>
 *   <li>writer idle: the same writer, {@code --writer-idle-seconds} (default {@code --seconds}) with no writes;</li>
 *   <li>follower idle: a read-mode database with 1 and with 4 connections open, {@code --seconds} with no changes
 *       (with {@code --poll-backoff N} also 1 connection with the adaptive poll, 60 s);</li>
 *   <li>cold open: read mode, connect, then the first query, of an uncompacted replica ({@code --syncs} level-0 files
 *       written with compaction off) and of its twin after compaction to a level-9 snapshot;</li>
 *   <li>restore: plan and download to a file (as {@code ltx4j restore}) of both;</li>
 *   <li>one compaction step: {@link Compactor#compactLevel} of level 1 over the uncompacted twin, then the rest of
 *       the way to the snapshot;</li>
 *   <li>the writer's own compaction step: a writer syncs {@code --syncs} times in quick succession, then its
 *       compaction lane compacts them into level 1 (it keeps the bytes of its recent uploads).</li>
 * </ul>
 * With {@code --reference SO} the reference extension (Go, loaded by Debian's python3) is measured too, through the
 * same proxy: an idle follower with 1 and 4 connections and (if it works) a writer.
 *
 * <p>Run: {@code ./mvnw -B -q -DskipTests package -pl bench -am && java -cp bench/target/benchmarks.jar
 * dev.ltx4j.bench.RequestEconomyBenchmark [--stores s3,azure] [--seconds 10] [--writer-idle-seconds 10] [--rate 20]
 * [--syncs 60] [--json]
 * [--reference .cache/reference-vfs-0.5.17/node_modules/litestream-vfs-linux-amd64/litestream-vfs.so]}
 */
public final class RequestEconomyBenchmark {
    private static final AtomicInteger VFS_NAMES = new AtomicInteger();

    private List<String> stores = List.of("s3", "azure");
    private int seconds = 10;
    private int idleSeconds = -1;
    private int pollBackoff;
    private int rate = 20;
    private int syncs = 60;
    private boolean json;
    private Path reference;
    private Path work;
    private final RequestTally tally = new RequestTally();

    public static void main(String[] args) throws Exception {
        RequestEconomyBenchmark b = new RequestEconomyBenchmark();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--stores" -> b.stores = List.of(args[++i].split(","));
                case "--seconds" -> b.seconds = Integer.parseInt(args[++i]);
                case "--writer-idle-seconds" -> b.idleSeconds = Integer.parseInt(args[++i]);
                case "--poll-backoff" -> b.pollBackoff = Integer.parseInt(args[++i]);
                case "--rate" -> b.rate = Integer.parseInt(args[++i]);
                case "--syncs" -> b.syncs = Integer.parseInt(args[++i]);
                case "--json" -> b.json = true;
                case "--reference" -> b.reference = Path.of(args[++i]).toAbsolutePath();
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; use [--stores s3,azure]"
                        + " [--seconds N] [--writer-idle-seconds N] [--poll-backoff N] [--rate N] [--syncs N] [--json] [--reference PATH-TO-litestream-vfs.so]");
            }
        }
        if (b.idleSeconds < 0) {
            b.idleSeconds = b.seconds;
        }
        try {
            b.run();
        } finally {
            System.exit(0); // S3Proxy's threads are not daemons
        }
    }

    private void run() throws Exception {
        work = Files.createTempDirectory("ltx4j-econ-");
        System.err.printf("RequestEconomyBenchmark: stores %s, %d s phases, %d inserts/s, %d syncs, JDK %s, load %s%n",
                stores, seconds, rate, syncs, Runtime.version(), loadAverage());
        for (String type : stores) {
            try (EconomyStores store = EconomyStores.start(type)) {
                measure(store);
                if (reference != null) {
                    new ReferenceRun(store, reference, work, seconds, rate, tally).run();
                }
            }
        }
        System.out.println(json ? tally.json() : tally.table());
    }

    private void measure(EconomyStores store) throws Exception {
        String s = store.type();
        store.proxy.drain();
        writerPhases(store);
        writerCompaction(store);
        buildReplica(store, "uncompacted");
        buildReplica(store, "compacted");
        store.proxy.drain();
        compact(store, "compacted");
        for (String replica : List.of("uncompacted", "compacted")) {
            coldOpen(store, replica);
            restore(store, replica);
        }
        for (int connections : List.of(1, 4)) {
            followerIdle(store, "writer", connections, Map.of(), seconds);
        }
        if (pollBackoff > 1) {
            // the adaptive poll (URI parameter poll_backoff) needs a longer quiet spell to reach its ceiling
            followerIdle(store, "writer", 1, Map.of("poll_backoff", Integer.toString(pollBackoff)), Math.max(60, seconds));
        }
        System.err.printf("%s: done%n", s);
    }

    /** A writer at the default settings: {@code rate} inserts/s for {@code seconds}, then idle. */
    private void writerPhases(EconomyStores store) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(store.url("writer"))
                .replicaEnvironment(store.environment()).writeEnabled(true)
                .bufferPath(work.resolve(store.type() + "-writer-buffer")).register(vfsName());
        Path db = work.resolve(store.type() + "-writer.db");
        try (Connection c = vfs.connect(db); LitestreamDatabase control = vfs.database(db)) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            }
            awaitSynced(control);
            Thread.sleep(1500);
            store.proxy.drain();
            long t0 = System.nanoTime();
            int n = rate * seconds;
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO t(v) VALUES (?)")) {
                for (int i = 0; i < n; i++) {
                    long due = t0 + i * 1_000_000_000L / rate;
                    long wait = due - System.nanoTime();
                    if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    insert.setString(1, "row " + i + " of the request economy benchmark, about eighty bytes of text");
                    insert.executeUpdate();
                }
            }
            awaitSynced(control);
            double elapsed = (System.nanoTime() - t0) / 1e9;
            List<CountingHttpProxy.Exchange> writing = store.proxy.drain();
            long syncCount = writing.stream().filter(store::isLevelZeroCreate).count();
            tally.add(store, "writing: " + rate + " inserts/s for " + seconds + " s, until synced", elapsed, syncCount,
                    "sync", writing);
            // The compaction lane's schedule (L1 every 30 s) shows only in a window longer than that: --writer-idle-seconds.
            long t1 = System.nanoTime();
            Thread.sleep(idleSeconds * 1000L);
            tally.add(store, "writer idle", (System.nanoTime() - t1) / 1e9, idleSeconds, "s", store.proxy.drain());
        } finally {
            vfs.unregister();
        }
    }

    /**
     * The writer's own level-1 compaction at the default settings: {@code syncs} syncs of 20 rows each in quick
     * succession, then the requests from the last sync until its compaction lane has compacted them (L1 every 30 s).
     */
    private void writerCompaction(EconomyStores store) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(store.url("writer-compaction"))
                .replicaEnvironment(store.environment()).writeEnabled(true).syncInterval(Duration.ofHours(1))
                .bufferPath(work.resolve(store.type() + "-writer-compaction-buffer")).register(vfsName());
        Path db = work.resolve(store.type() + "-writer-compaction.db");
        try (Connection c = vfs.connect(db); LitestreamDatabase control = vfs.database(db);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            control.syncNow();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (control.status().compaction().level(1).lastRun() == null && System.nanoTime() < deadline) {
                Thread.sleep(20); // the lane's first step (at start) has run: the next L1 run is 30 s away
            }
            for (int s = 1; s < syncs; s++) {
                st.execute("INSERT INTO t(v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)"
                        + " SELECT printf('sync %d row %d of the request economy benchmark', " + s + ", i) FROM n");
                control.syncNow();
            }
            store.proxy.drain();
            long created = control.status().compaction().level(1).filesCreated();
            long t0 = System.nanoTime();
            deadline = t0 + 90_000_000_000L;
            while (control.status().compaction().level(1).filesCreated() == created) {
                if (System.nanoTime() > deadline) throw new IOException("no L1 compaction within 90 s: " + control.status());
                Thread.sleep(20);
            }
            LtxFileInfo out = control.status().compaction().level(1).lastFile();
            Thread.sleep(200); // let the step finish (status is updated after the create)
            long inputs = out.maxTxid() - out.minTxid() + 1;
            tally.add(store, "writer's own compaction step (L1 of " + inputs + " of its uploads)",
                    (System.nanoTime() - t0) / 1e9, 1, "step", store.proxy.drain());
        } finally {
            vfs.unregister();
        }
    }

    /** {@code syncs} level-0 files of 20 rows each, written through the VFS with compaction off. */
    private void buildReplica(EconomyStores store, String path) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(store.url(path))
                .replicaEnvironment(store.environment()).writeEnabled(true).syncInterval(Duration.ofHours(1))
                .compaction(CompactionSettings.off()).bufferPath(work.resolve(store.type() + "-" + path + "-buffer"))
                .register(vfsName());
        Path db = work.resolve(store.type() + "-" + path + ".db");
        try (Connection c = vfs.connect(db); LitestreamDatabase control = vfs.database(db);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            control.syncNow();
            for (int s = 1; s < syncs; s++) {
                st.execute("INSERT INTO t(v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)"
                        + " SELECT printf('sync %d row %d of the request economy benchmark', " + s + ", i) FROM n");
                control.syncNow();
            }
        } finally {
            vfs.unregister();
        }
    }

    /** One compaction step (level 1, as the writer's lane runs it), then the rest of the way to a snapshot. */
    private void compact(EconomyStores store, String path) throws Exception {
        try (ReplicaClient client = ReplicaClients.open(store.url(path), store.environment())) {
            Compactor compactor = new Compactor(client, CompactionSettings.defaults(), CompactionFaults.NONE);
            long t0 = System.nanoTime();
            CompactionResult first = compactor.compactLevel(1, Instant.now());
            tally.add(store, "one compaction step (L1, " + first.inputs().size() + " L0 files in)",
                    (System.nanoTime() - t0) / 1e9, 1, "step", store.proxy.drain());
            t0 = System.nanoTime();
            int steps = 0;
            for (int level = 1; level <= CompactionSettings.defaults().levels(); level++) {
                CompactionResult r;
                do {
                    r = compactor.compactLevel(level, Instant.now());
                    steps++;
                } while (r.more() && r.output() != null);
            }
            compactor.snapshot(Instant.now());
            steps++;
            tally.add(store, "rest of compaction: L1-L3 then L9 snapshot", (System.nanoTime() - t0) / 1e9, steps,
                    "step", store.proxy.drain());
        }
    }

    /** A read-mode open (connect), then the first query, each billed on its own. */
    private void coldOpen(EconomyStores store, String path) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(store.url(path))
                .replicaEnvironment(store.environment()).writeEnabled(false).register(vfsName());
        Path db = work.resolve(store.type() + "-" + path + "-follower.db");
        store.proxy.drain();
        try {
            long t0 = System.nanoTime();
            try (Connection c = vfs.connect(db)) {
                tally.add(store, "cold open, read mode, " + path + ": connect", (System.nanoTime() - t0) / 1e9, 1,
                        "open", store.proxy.drain());
                long t1 = System.nanoTime();
                long rows = count(c);
                tally.add(store, "cold open, read mode, " + path + ": first query (" + rows + " rows)",
                        (System.nanoTime() - t1) / 1e9, 1, "query", store.proxy.drain());
            }
        } finally {
            vfs.unregister();
        }
    }

    private void followerIdle(EconomyStores store, String path, int connections, Map<String, String> parameters,
            int window) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(store.url(path))
                .replicaEnvironment(store.environment()).writeEnabled(false).register(vfsName());
        Path db = work.resolve(store.type() + "-" + path + "-idle-" + connections + ".db");
        List<Connection> open = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                Connection c = vfs.connect(db, parameters);
                open.add(c);
                count(c);
            }
            Thread.sleep(1500);
            store.proxy.drain();
            long t0 = System.nanoTime();
            Thread.sleep(window * 1000L);
            tally.add(store, "follower idle, read mode, " + connections + " connection" + (connections > 1 ? "s" : "")
                    + (parameters.isEmpty() ? "" : ", " + parameters), (System.nanoTime() - t0) / 1e9, window, "s",
                    store.proxy.drain());
        } finally {
            for (Connection c : open) c.close();
            vfs.unregister();
        }
    }

    /** What {@code ltx4j restore} does: plan, then download and apply the chain. */
    private void restore(EconomyStores store, String path) throws Exception {
        Path out = work.resolve(store.type() + "-" + path + "-restored.db");
        Files.deleteIfExists(out);
        store.proxy.drain();
        long t0 = System.nanoTime();
        try (ReplicaClient client = ReplicaClients.open(store.url(path), store.environment())) {
            List<LtxFileInfo> plan = new RestorePlanner(client).plan(RestoreTarget.latest());
            List<LtxSource> chain = new ArrayList<>();
            for (LtxFileInfo f : plan) {
                chain.add(LtxSource.of(f.toString(), () -> new BufferedInputStream(
                        client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0), 1 << 16)));
            }
            LtxRestorer.restore(chain, out);
            tally.add(store, "restore, " + path + " (" + plan.size() + " files)", (System.nanoTime() - t0) / 1e9, 1,
                    "restore", store.proxy.drain());
        }
    }

    private static long count(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM t")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void awaitSynced(LitestreamDatabase control) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (control.status().pendingCommits() > 0) {
            if (System.nanoTime() > deadline) throw new IOException("writer did not sync within 120 s: " + control.status());
            Thread.sleep(20);
        }
    }

    private static String vfsName() {
        return "litestream-econ-" + VFS_NAMES.incrementAndGet();
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
