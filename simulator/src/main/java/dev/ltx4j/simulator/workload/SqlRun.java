package dev.ltx4j.simulator.workload;

import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.RetryPolicy;
import dev.ltx4j.replica.RetryTimer;
import dev.ltx4j.replica.RetryingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.vfs.engine.EngineVfsDatabase;
import java.util.concurrent.atomic.AtomicLong;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.SyncOutcome;
import dev.ltx4j.vfs.DatabaseOpener;
import dev.ltx4j.vfs.LitestreamVfs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One run of the {@link SqlScenario}. Properties (the {@link InvariantViolation#property()} names):
 * {@code sql-model}: after every transaction (committed or rolled back) a SELECT through the VFS shows exactly
 * the model table; {@code false-conflict}: no conflict without a rival; {@code liveness}: once faults stop,
 * every commit reaches the replica; {@code restore}: the replica restored by {@link RestorePlanner} and
 * {@link LtxRestorer}, opened with plain SQLite, equals the model and passes {@code PRAGMA integrity_check}.
 */
final class SqlRun {
    static final String PREFIX = "sql";
    private static final String VFS = "ltx4j-sim";
    private static final int LIVENESS_INTERVALS = 12;
    private static final String CREATE_KV = "CREATE TABLE IF NOT EXISTS kv(k INTEGER PRIMARY KEY, v TEXT NOT NULL)";
    /** The VFS is registered once per process; each run points it at its own engine database. */
    private static volatile DatabaseOpener current;
    private static boolean registered;

    private final World world;
    private final SimObjectStore store;
    private final SimDisk disk;
    private final Duration syncInterval;
    private final EngineOptions options;
    private final Path tempDir;
    private final TreeMap<Integer, String> model = new TreeMap<>();
    private static final AtomicLong RUNS = new AtomicLong();
    private DatabaseRegistry.Handle handle;
    private Database db;
    private Connection conn;
    private long committed;
    private long rolledBack;

    SqlRun(World world) throws IOException {
        this.world = world;
        this.store = new SimObjectStore(world);
        store.setCorruptibleFrom(Integer.MAX_VALUE); // damage at rest is the uploader scenario's subject
        this.disk = new SimDisk(world);
        disk.setFaultsEnabled(false); // no local disk failures or crashes in this scenario yet
        SimRandom config = world.random("sql/config");
        this.syncInterval = Duration.ofMillis(20 + config.nextInt(300));
        this.tempDir = Files.createTempDirectory("ltx4j-sqlsim-");
        this.options = EngineOptions.builder().writeEnabled(true).durability(Durability.LOCAL)
                .syncInterval(syncInterval).clock(world.clock()).seed(config.nextLong())
                .bufferStorage(disk, "sql.buffer").conflictDirectory(tempDir.resolve("conflicts"))
                .closeTimeout(Duration.ZERO).pause(x -> { }).replicaIdentity("sim://" + PREFIX).build();
        world.record("sql", "sync every " + syncInterval.toMillis() + " ms");
    }

    private static synchronized void register(DatabaseOpener opener) throws SQLException {
        current = opener;
        if (!registered) {
            LitestreamVfs.register(VFS, (name, o) -> current.open(name, o));
            registered = true;
        }
    }

    void execute(List<SqlScenario.Action> actions) throws Exception {
        try {
            store.setFaultsEnabled(false);
            // As the shipped VFS does: transient store errors are retried (waits advance simulated time).
            ReplicaClient client = new RetryingReplicaClient(store.client(PREFIX), RetryPolicy.defaults(),
                    new RetryTimer() {
                        @Override
                        public long nanoTime() {
                            return world.clock().nanoTime();
                        }

                        @Override
                        public void sleep(Duration d) {
                            world.clock().advance(d);
                        }
                    }, world.random("retry").nextLong());
            if (world.random("sql/wal").nextInt(2) == 0) { // half the runs start from a WAL database's snapshot
                WalSnapshot.publish(client, tempDir.resolve("wal-origin.db"), world.clock().millis(), CREATE_KV);
                world.reached("sql-wal-snapshot", "TXID 1");
            }
            // The shipped per-connection VFS database over this run's engine, shared through the registry.
            String identity = "sim-sql-" + RUNS.incrementAndGet();
            handle = DatabaseRegistry.shared().acquire(identity, PREFIX, () -> Database.open(client, PREFIX, options));
            db = handle.database();
            store.setFaultsEnabled(true);
            register((name, o) -> new EngineVfsDatabase(
                    DatabaseRegistry.shared().acquire(identity, PREFIX, () -> db), world.clock()));
            Path file = tempDir.resolve("sql.db");
            conn = DriverManager.getConnection(LitestreamVfs.jdbcUrl(file, VFS, Map.of()));
            try (Statement s = conn.createStatement()) {
                s.executeUpdate(CREATE_KV);
            }
            int[] next = {0};
            world.scheduler().every(Duration.ofMillis(10), "writer", "step", now -> {
                if (next[0] >= actions.size()) {
                    world.scheduler().stop();
                    return;
                }
                SqlScenario.Action a = actions.get(next[0]++);
                world.record("writer", a.toString());
                apply(a);
            });
            world.scheduler().every(syncInterval, "syncer", "sync", now -> syncTick());
            world.scheduler().run(Long.MAX_VALUE, Long.MAX_VALUE);
            finish();
        } catch (SQLException | IOException | RuntimeException e) {
            throw new InvariantViolation("unexpected-exception", e.toString());
        } finally {
            if (conn != null) conn.close();
            if (handle != null) handle.close();
            deleteTree(tempDir);
        }
    }

    private void apply(SqlScenario.Action a) throws Exception {
        if (a instanceof SqlScenario.Idle i) {
            world.clock().advance(Duration.ofMillis(i.millis()));
            return;
        }
        SqlScenario.Tx tx = (SqlScenario.Tx) a;
        TreeMap<Integer, String> after = new TreeMap<>(model);
        boolean explicit = tx.stmts().size() > 1 || tx.rollback();
        conn.setAutoCommit(!explicit);
        for (SqlScenario.Stmt s : tx.stmts()) {
            execute(s, after);
        }
        if (explicit) {
            if (tx.rollback()) {
                conn.rollback();
            } else {
                conn.commit();
            }
            conn.setAutoCommit(true);
        }
        world.stats().operations(1); // one SQL transaction: the unit of the sql scenario's throughput
        if (tx.rollback()) {
            rolledBack++;
        } else {
            committed++;
            model.clear();
            model.putAll(after);
        }
        check(conn, "after " + tx);
    }

    private void execute(SqlScenario.Stmt s, TreeMap<Integer, String> m) throws SQLException {
        if (s instanceof SqlScenario.Upsert u) {
            String v = value(u.fill(), u.length());
            try (PreparedStatement p = conn.prepareStatement("INSERT OR REPLACE INTO kv(k, v) VALUES (?, ?)")) {
                p.setInt(1, u.key());
                p.setString(2, v);
                p.executeUpdate();
            }
            m.put(u.key(), v);
        } else if (s instanceof SqlScenario.Update u) {
            String v = value(u.fill(), u.length());
            try (PreparedStatement p = conn.prepareStatement("UPDATE kv SET v = ? WHERE k = ?")) {
                p.setString(1, v);
                p.setInt(2, u.key());
                int n = p.executeUpdate();
                if (n != (m.containsKey(u.key()) ? 1 : 0)) {
                    throw new InvariantViolation("sql-model", "UPDATE of key " + u.key() + " changed " + n + " rows");
                }
            }
            m.computeIfPresent(u.key(), (k, old) -> v);
        } else {
            SqlScenario.Delete d = (SqlScenario.Delete) s;
            try (PreparedStatement p = conn.prepareStatement(d.key() < 0 ? "DELETE FROM kv" : "DELETE FROM kv WHERE k = ?")) {
                if (d.key() >= 0) p.setInt(1, d.key());
                p.executeUpdate();
            }
            if (d.key() < 0) {
                m.clear();
            } else {
                m.remove(d.key());
            }
        }
    }

    static String value(long fill, int length) {
        StringBuilder b = new StringBuilder(length);
        long x = fill;
        while (b.length() < length) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            b.append(Long.toString(x >>> 1, 36));
        }
        return b.substring(0, length);
    }

    private void check(Connection c, String when) throws SQLException {
        TreeMap<Integer, String> got = new TreeMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT k, v FROM kv ORDER BY k")) {
            while (rs.next()) {
                got.put(rs.getInt(1), rs.getString(2));
            }
        }
        if (!got.equals(model)) {
            throw new InvariantViolation("sql-model", when + ": the table holds keys " + got.keySet()
                    + ", the model " + model.keySet() + (got.keySet().equals(model.keySet()) ? " (values differ)" : ""));
        }
    }

    private void syncTick() {
        SyncOutcome o = db.syncOnce(world.clock().instant());
        switch (o.status()) {
            case SYNCED -> world.reached("synced", "TXID " + o.txid());
            case CONFLICT -> throw new InvariantViolation("false-conflict", "sync reported a conflict without a rival: "
                    + o.error());
            case FAILED -> world.reached("sync-failed", o.error().getClass().getSimpleName());
            default -> { }
        }
    }

    private void finish() throws Exception {
        store.setFaultsEnabled(false);
        world.clock().advance(Duration.ofSeconds(1)); // listing-lag windows close
        for (int i = 0; i < LIVENESS_INTERVALS && db.status().pendingCommits() > 0; i++) {
            world.clock().advance(syncInterval);
            syncTick();
        }
        if (db.status().pendingCommits() != 0 || db.status().conflict() != null) {
            throw new InvariantViolation("liveness", db.status().pendingCommits() + " commits still pending after "
                    + LIVENESS_INTERVALS + " sync intervals without faults");
        }
        integrity(conn, "the VFS database");
        conn.close();
        conn = null;
        restoreCheck();
        world.reached("sql-done", committed + " committed, " + rolledBack + " rolled back, " + model.size() + " rows");
    }

    private void integrity(Connection c, String what) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
            String r = rs.next() ? rs.getString(1) : "no result";
            if (!"ok".equals(r)) throw new InvariantViolation("integrity", what + ": integrity_check says " + r);
        }
    }

    /** The replica restored at its head and opened with plain SQLite equals the model. */
    private void restoreCheck() throws Exception {
        SimReplicaClient client = store.client(PREFIX);
        List<LtxFileInfo> plan = new RestorePlanner(client).plan(RestoreTarget.latest());
        List<LtxSource> sources = new ArrayList<>();
        for (LtxFileInfo f : plan) {
            sources.add(LtxSource.of("L" + f.level() + "/" + f.range().filename(),
                    () -> client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)));
        }
        Path out = tempDir.resolve("restored.db");
        LtxRestorer.Result r = LtxRestorer.restore(sources, out);
        if (r.maxTxid() != db.current().txid()) {
            throw new InvariantViolation("restore", "restored TXID " + r.maxTxid() + ", the writer is at "
                    + db.current().txid());
        }
        try (Connection plain = DriverManager.getConnection("jdbc:sqlite:" + out)) {
            check(plain, "restored replica");
            integrity(plain, "the restored replica");
        } catch (InvariantViolation v) {
            throw new InvariantViolation("restore", v.getMessage());
        }
        world.reached("restore-verified", "TXID " + r.maxTxid());
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp directory is harmless
        }
    }
}
