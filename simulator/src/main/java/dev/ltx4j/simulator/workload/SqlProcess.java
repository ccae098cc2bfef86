package dev.ltx4j.simulator.workload;

import static dev.ltx4j.simulator.workload.SqlRun.PREFIX;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.RetryPolicy;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.syncer.EngineClientStack;
import dev.ltx4j.syncer.EngineFaults;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.vfs.DatabaseOpener;
import dev.ltx4j.vfs.EngineDatabaseOpener;
import dev.ltx4j.vfs.LitestreamVfs;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The application process of the {@link SqlRun}, one incarnation at a time: the engine database (acquired from
 * the shared registry, as the VFS acquires it), the VFS registration that points SQLite at it, and the run's JDBC
 * connections. A crash severs its replica client and drops it unclosed; a restart closes it.
 */
final class SqlProcess {
    static final String VFS = "ltx4j-sim";
    /** The VFS is registered once per process; each run points it at its own engine database. */
    private static volatile DatabaseOpener current;
    private static boolean registered;
    private static final AtomicLong RUNS = new AtomicLong();

    /** Turns the run's faults off ({@code true}) or back on as far as the run allows. */
    @FunctionalInterface
    interface FaultSwitch {
        void faultsOff(boolean off);
    }

    private final World world;
    private final SimObjectStore store;
    private final EngineOptions options;
    private final Path tempDir;
    private final int connections;
    private final FaultSwitch faults;
    private final String runId = "sim-sql-" + RUNS.incrementAndGet();
    private final List<SqlClient> clients = new ArrayList<>();

    private int incarnation;
    private SeverableReplicaClient client;
    private DatabaseRegistry.Handle handle;
    private Database db;

    /** The engine options of the run's writer: durability, sync interval and the bug switches the run was given. */
    static EngineOptions engineOptions(World world, Set<Bug> bugs, Durability durability, Duration syncInterval,
            long seed, SimDisk disk, Path conflictDir, Consumer<EngineFaults.Point> preemption) {
        return EngineOptions.builder().writeEnabled(true).durability(durability)
                .syncInterval(syncInterval).clock(world.clock()).seed(seed)
                .bufferStorage(disk, "sql.buffer").conflictDirectory(conflictDir)
                .closeTimeout(Duration.ZERO).replicaIdentity("sim://" + PREFIX).background(Runnable::run)
                .faults(EngineFaults.builder().conflictSnapshotRace(bugs.contains(Bug.CONFLICT_SNAPSHOT_RACE))
                        .preemption(preemption)
                        .skipSyncCheck(bugs.contains(Bug.SKIP_SYNC_CHECK)) // no pre-upload check
                        .storedPageOne(bugs.contains(Bug.WAL_PAGE_ONE)) // VFS shows the stored WAL header
                        .failConflictedWrites(bugs.contains(Bug.CONFLICTED_WRITE_FAILS)) // VFS fails the write
                        .writeOnStaleSnapshot(bugs.contains(Bug.STALE_SNAPSHOT_WRITE)) // VFS writes on it
                        .staleVersionStamp(bugs.contains(Bug.STALE_VERSION_STAMP)) // VFS keeps stale snapshots
                        .stalePageView(bugs.contains(Bug.STALE_PAGE_VIEW)) // native page view not told
                        .staleWriteWhileConflicted(bugs.contains(Bug.STALE_WRITE_WHILE_CONFLICTED))
                        .stalePageChecksum(bugs.contains(Bug.STALE_PAGE_CHECKSUM)) // sync trusts old checksums
                        .keepOwnCommitBlindly(bugs.contains(Bug.STALE_OWN_COMMIT_SNAPSHOT)) // VFS skips the stamp check
                        .unalteredChangeCounter(bugs.contains(Bug.UNALTERED_CHANGE_COUNTER)) // ShownProbe off
                        .build()).build();
    }

    SqlProcess(World world, SimObjectStore store, EngineOptions options, Path tempDir, int connections,
            FaultSwitch faults) {
        this.world = world;
        this.store = store;
        this.options = options;
        this.tempDir = tempDir;
        this.connections = connections;
        this.faults = faults;
    }

    /** The current incarnation's connections (empty between incarnations). */
    List<SqlClient> clients() {
        return clients;
    }

    /** How many incarnations were opened, this one included. */
    int incarnation() {
        return incarnation;
    }

    private void faultsOff(boolean off) {
        faults.faultsOff(off);
    }

    private static synchronized void register(DatabaseOpener opener) throws SQLException {
        current = opener;
        if (!registered) {
            LitestreamVfs.register(VFS, (name, o) -> current.open(name, o));
            registered = true;
        }
    }

    /** Opens a new incarnation: the engine database, the VFS pointed at it, and the connections. */
    Database open(String why) throws Exception {
        for (int attempt = 0; db == null; attempt++) {
            try {
                client = new SeverableReplicaClient(EngineClientStack.build(store.client(PREFIX), RetryPolicy.defaults(),
                        options.retryTimer(), world.random("retry").nextLong())); // the engine clock: world time
                String identity = runId + "#" + (++incarnation);
                SeverableReplicaClient c = client;
                handle = DatabaseRegistry.shared().acquire(identity, PREFIX, () -> Database.open(c, PREFIX, options));
                db = handle.database();
                Database opened = db;
                register((name, o) -> EngineDatabaseOpener.connection(
                        DatabaseRegistry.shared().acquire(identity, PREFIX, () -> opened), world.clock()));
            } catch (IOException e) {
                world.reached("reopen-failed", e.getClass().getSimpleName());
                if (attempt >= 40) {
                    throw new InvariantViolation("availability", "the writer cannot reopen " + why
                            + " even without faults: " + e);
                }
                faultsOff(attempt >= 10);
            }
        }
        Path file = tempDir.resolve("sql.db");
        for (int i = 0; i < connections; i++) {
            for (int attempt = 0; ; attempt++) {
                try {
                    Connection c = DriverManager.getConnection(LitestreamVfs.jdbcUrl(file, VFS, Map.of()));
                    try (Statement s = c.createStatement()) {
                        s.execute("PRAGMA busy_timeout = 0"); // one thread: another connection's lock is BUSY now
                    }
                    clients.add(new SqlClient(i, c));
                    break;
                } catch (SQLException e) {
                    world.reached("connect-failed", String.valueOf(SqlClient.code(e)));
                    if (attempt >= 40) {
                        throw new InvariantViolation("availability", "cannot connect " + why + " without faults: " + e);
                    }
                    faultsOff(attempt >= 10);
                }
            }
        }
        return db;
    }

    /** Power loss: the process's replica client fails every later request. */
    void sever() {
        client.sever();
    }

    /** Closes every connection and the engine (after a crash the engine can no longer reach disk or store). */
    void drop(boolean crashed) {
        for (SqlClient c : clients) {
            c.abandon();
        }
        clients.clear();
        if (handle != null) {
            try {
                handle.close();
            } catch (IOException | RuntimeException e) {
                world.reached(crashed ? "crashed-close" : "close-failed", e.getClass().getSimpleName());
            }
            handle = null;
        }
        db = null;
    }
}
