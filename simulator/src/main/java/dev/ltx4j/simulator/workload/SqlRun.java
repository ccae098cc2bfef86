package dev.ltx4j.simulator.workload;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.WriteBufferException;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.syncer.ConflictInfo;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.EngineFaults;
import dev.ltx4j.syncer.SyncOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;

/**
 * One run of the {@link SqlScenario}. Properties (the {@link InvariantViolation#property()} names):
 * <ul>
 *   <li>{@code sql-model}: after every transaction (committed, rolled back or failed) a SELECT through the VFS
 *       shows exactly the model table (a failed commit may have landed: then the table shows it);</li>
 *   <li>{@code conflict-preserved} (issue 8 item 3): when a conflict is refreshed away, a file saved under
 *       conflicts/ (applied to the replica at its base) holds a state at or after the last commit that returned,
 *       so every acknowledged commit is in the replica or in a saved conflict file, however connections,
 *       syncs and the conflict interleave;</li>
 *   <li>{@code durability}: after a crash or restart the writer shows a state at or after its last durable
 *       commit (LOCAL and REMOTE: every commit that returned; NONE: every synced one), or is conflicted;</li>
 *   <li>{@code false-conflict}: no conflict unless a rival file lies beyond the writer's base, or a file of the
 *       writer's own there holds a state its history no longer has (a fork with its own lost commits, reached as
 *       {@code conflict-own-lost-commits});</li>
 *   <li>{@code liveness}: once faults stop, every commit reaches the replica; {@code restore}: the replica
 *       restored by the planner and the restorer, opened with plain SQLite, equals the model and passes
 *       {@code PRAGMA integrity_check}.</li>
 * </ul>
 * Connections step one statement at a time in a seeded order on the scheduler's single thread (deterministic);
 * at the engine's preemption points inside a sync they may step too, as pool threads would (not under
 * durability REMOTE, whose commits run a sync themselves: a thread would wait for the running one there).
 * The application process (engine, VFS, connections) is a {@link SqlProcess}; the oracle's reads are in
 * {@link SqlOracle}; the rival-in-transaction case is {@link SqlRivalInTx}.
 */
final class SqlRun {
    static final String PREFIX = "sql";
    private static final int LIVENESS_INTERVALS = 12;
    private static final String CREATE_KV = "CREATE TABLE IF NOT EXISTS kv(k INTEGER PRIMARY KEY, v TEXT NOT NULL)";

    private final World world;
    private final Set<Bug> bugs;
    private final SimObjectStore store;
    private final SimDisk disk;
    private final SqlReplica replica;
    private final Durability durability;
    private final Duration syncInterval;
    final int connections;
    private final EngineOptions options;
    private final Path tempDir;
    private final Path conflictDir;
    private final SimRandom interleave;
    private final SimRandom preempt;

    private final SqlProcess process;
    private final SqlOracle oracle;
    /** The current incarnation's engine database (null between incarnations) and connections (read by SqlRivalInTx). */
    Database db;
    final List<SqlClient> clients;

    private final SqlHistory model;
    private final SqlRival rival;
    private final SqlRivalInTx rivalInTx;
    private final SqlExclusive exclusive;
    private List<SqlScenario.Action> actions;
    private int next;
    boolean needRefresh;
    private boolean inSync;
    private boolean preempting;
    private boolean faultsStopped;
    private long committed;
    private long rolledBack;
    private long failures;
    /** What the last connection step did (for the deliberate cases' coverage states). */
    SqlClient.Outcome lastOutcome;
    /** Advances whenever the model starts over (a reopen, a refresh): read transactions across it are not checked. */
    private int epoch;

    SqlRun(World world, Set<Bug> bugs) throws IOException {
        this.world = world;
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
        this.store = new SimObjectStore(world);
        store.setCorruptibleFrom(Integer.MAX_VALUE); // damage at rest is the uploader scenario's subject
        store.setInFlightCreates(true); // timed-out creates may land later, after later requests
        this.disk = new SimDisk(world);
        SimRandom config = world.random("sql/config");
        this.syncInterval = Duration.ofMillis(20 + config.nextInt(300));
        int d = config.nextInt(10);
        this.durability = d < 5 ? Durability.LOCAL : d < 7 ? Durability.NONE : Durability.REMOTE;
        this.connections = 2 + config.nextInt(3);
        this.tempDir = Files.createTempDirectory("ltx4j-sqlsim-");
        this.conflictDir = tempDir.resolve("conflicts");
        this.replica = new SqlReplica(store, PREFIX, tempDir);
        this.interleave = world.random("sql/interleave");
        this.preempt = world.random("sql/preempt");
        this.model = new SqlHistory(world, replica, conflictDir);
        this.options = SqlProcess.engineOptions(world, this.bugs, durability, syncInterval, config.nextLong(), disk,
                conflictDir, this::preempted);
        this.rival = new SqlRival(world, store, replica, PREFIX);
        this.rivalInTx = new SqlRivalInTx(this, world, rival);
        this.exclusive = new SqlExclusive(world, store);
        this.process = new SqlProcess(world, store, options, tempDir, connections, this::faultsOff);
        this.clients = process.clients();
        this.oracle = new SqlOracle(world, store, model, replica, tempDir);
        world.reached("durability-" + durability.name().toLowerCase(Locale.ROOT), "");
        world.record("sql", durability + ", " + connections + " connections, sync every " + syncInterval.toMillis()
                + " ms" + (bugs.isEmpty() ? "" : ", bugs " + bugs));
    }

    void execute(List<SqlScenario.Action> list) throws Exception {
        this.actions = list;
        try {
            faultsOff(true);
            if (world.random("sql/wal").nextInt(2) == 0) { // half the runs start from a WAL database's snapshot
                WalSnapshot.publish(store.client(PREFIX), tempDir.resolve("wal-origin.db"), world.clock().millis(),
                        CREATE_KV);
                world.reached("sql-wal-snapshot", "TXID 1");
            }
            reopen("start");
            faultsOff(true);
            try (Statement s = clients.get(0).connection().createStatement()) {
                s.executeUpdate(CREATE_KV);
            }
            settle(); // the table is in the replica before anything can fail
            faultsOff(false);
            world.scheduler().every(Duration.ofMillis(10), "writer", "step", now -> writerStep());
            world.scheduler().every(syncInterval, "syncer", "sync", now -> syncTick());
            world.scheduler().run(Long.MAX_VALUE, Long.MAX_VALUE);
            finish();
        } catch (SQLException | IOException | RuntimeException e) {
            StringBuilder where = new StringBuilder();
            Throwable at = e.getCause() != null ? e.getCause() : e;
            for (int i = 0; i < Math.min(10, at.getStackTrace().length); i++) {
                where.append("\n      at ").append(at.getStackTrace()[i]);
            }
            throw new InvariantViolation("unexpected-exception", e + where.toString());
        } finally {
            dropIncarnation(false);
            TempDirs.deleteTree(tempDir);
        }
    }

    // ------------------------------------------------------------------------------------------ stepping

    private void writerStep() throws Exception {
        if (needRefresh) {
            if (!stepBusy()) {
                refresh();
            }
            return;
        }
        if (anyBusy() && interleave.nextInt(10) < 6) {
            stepBusy();
            return;
        }
        if (next >= actions.size()) {
            if (!stepBusy()) {
                world.scheduler().stop();
            }
            return;
        }
        dispatch(actions.get(next++));
    }

    private void dispatch(SqlScenario.Action a) throws Exception {
        world.record("writer", a.toString());
        if (a instanceof SqlScenario.Idle i) {
            world.clock().advance(Duration.ofMillis(i.millis()));
        } else if (a instanceof SqlScenario.Rival r) {
            rival.commit(r.stmts());
        } else if (a instanceof SqlScenario.Crash) {
            crash();
        } else if (a instanceof SqlScenario.RivalInTx rt) {
            rivalInTx.run(rt);
        } else if (a instanceof SqlScenario.Read rd) {
            SqlClient c = clients.get(Math.floorMod(rd.conn(), connections));
            c.queue(rd);
            step(c);
        } else if (a instanceof SqlScenario.LockingMode m) {
            SqlClient c = clients.get(Math.floorMod(m.conn(), connections));
            c.queue(m);
            step(c);
        } else {
            SqlScenario.Tx t = (SqlScenario.Tx) a;
            SqlClient c = clients.get(Math.floorMod(t.conn(), connections));
            c.queue(t);
            step(c);
        }
    }

    /** A sync in which no connection steps at the preemption points. */
    void syncWithoutPreemption() throws Exception {
        preempting = true;
        try {
            syncTick();
        } finally {
            preempting = false;
        }
    }

    boolean anyBusy() {
        return clients.stream().anyMatch(SqlClient::busy);
    }

    /** Steps one busy connection, chosen by the seed; false when none is busy. */
    boolean stepBusy() throws Exception {
        List<SqlClient> busy = clients.stream().filter(SqlClient::busy).toList();
        if (busy.isEmpty()) {
            return false;
        }
        step(busy.get(interleave.nextInt(busy.size())));
        return true;
    }

    void step(SqlClient c) throws Exception {
        if (c.startsRead()) {
            c.readFloor = Math.max(model.returned, c.readEpoch == epoch ? c.lastLow : -1); // acknowledged before it
            c.readEpoch = epoch;
        }
        SqlClient.Outcome o = c.step(model.last());
        lastOutcome = o;
        switch (o.kind()) {
            case RUNNING -> { }
            case LOCKING -> exclusive.run(c, clients, c.takeMode());
            case READ -> oracle.checkSnapshot(c, o, epoch);
            case READ_DONE -> {
                world.stats().operations(1);
                world.reached("sql-read", o.tx().toString());
            }
            case COMMITTED -> {
                committed++;
                c.heldCommits += c.exclusive ? 1 : 0;
                world.stats().operations(1); // one SQL transaction: the unit of the sql scenario's throughput
                model.committed(o.state(), durability != Durability.NONE);
                oracle.check(c, "after " + o.tx());
            }
            case ROLLED_BACK -> {
                rolledBack++;
                world.stats().operations(1);
                oracle.check(c, "after " + o.tx());
            }
            case BUSY, FAILED -> failed(c, o);
        }
    }

    /** A transaction failed: nothing acknowledged, but a failed commit may have landed. */
    private void failed(SqlClient c, SqlClient.Outcome o) throws Exception {
        if (c.failedSelect && SqlClient.code(o.error()) == 5 && !c.exclusive) { // exclusive mode: SQLite's own locks
            throw new InvariantViolation("reader-busy", o.tx() + ": a read transaction's SELECT got SQLITE_BUSY: "
                    + o.error().getMessage());
        }
        failures++;
        String why = o.error().getMessage() == null ? "" : o.error().getMessage();
        if (c.lastWasRead && SqlClient.code(o.error()) == 517 && db.status().conflict() == null) {
            world.reached("sql-stale-snapshot-refused", o.tx().toString()); // its read was overtaken by a commit
        }
        boolean busy = o.kind() == SqlClient.Kind.BUSY;
        // 517 is a conflict while the database is conflicted; otherwise a transaction a refresh made stale
        boolean conflict = !busy && (why.contains("conflict") || SqlClient.code(o.error()) == 517)
                && db.status().conflict() != null;
        busy |= !conflict && SqlClient.code(o.error()) == 517;
        world.reached(busy ? "sql-busy" : conflict ? "sql-conflict" : "sql-failed", o.tx() + " "
                + SqlClient.code(o.error()));
        if (conflict) {
            needRefresh = true;
        }
        TreeMap<Integer, String> got = exclusive.readBack(c, oracle, "after failed " + o.tx());
        if (o.state() != null && o.atCommit() && got.equals(o.state()) && !got.equals(model.last())) {
            model.landed(o.state()); // committed in the buffer (a REMOTE commit whose sync failed): not acknowledged
            world.reached("failed-commit-landed", o.tx().toString());
        } else if (!got.equals(model.last())) {
            throw new InvariantViolation("sql-model", "after failed " + o.tx() + " (" + why + ") the table holds "
                    + SqlHistory.describe(got) + ", the model " + SqlHistory.describe(model.last())
                    + oracle.freshView());
        }
        if (!conflict && !busy) {
            model.candidate = o.atCommit() ? o.state() : null; // an I/O failure at commit: landed or not, reopen tells
            restart("after " + o.tx() + " failed: " + why); // e.g. a write buffer stopped by an I/O failure
        }
    }

    /** The engine's preemption points: other connections step here, as pool threads could. */
    private void preempted(EngineFaults.Point at) {
        if (at != EngineFaults.Point.SYNC_SNAPSHOT && at != EngineFaults.Point.CONFLICT_SNAPSHOT) {
            return; // the refresh and relocation points are for unit tests (locks are held there)
        }
        if (!inSync || preempting || durability == Durability.REMOTE || preempt.nextInt(2) == 0) {
            return;
        }
        preempting = true;
        try {
            world.reached("preempted-" + at.name().toLowerCase(Locale.ROOT), "");
            // After a conflict's snapshot, step until some transaction ends (a commit racing the conflict).
            boolean untilEnd = at == EngineFaults.Point.CONFLICT_SNAPSHOT;
            long ended = committed + rolledBack + failures;
            long endedCommits = committed;
            long endedFailures = failures;
            int steps = untilEnd ? 12 : 1 + preempt.nextInt(3);
            for (int i = 0; i < steps && !(untilEnd && committed + rolledBack + failures > ended); i++) {
                if (!stepBusy()) {
                    if (needRefresh || next >= actions.size() || !(actions.get(next) instanceof SqlScenario.Tx)) {
                        break;
                    }
                    dispatch(actions.get(next++));
                }
            }
            if (untilEnd) {
                world.reached(committed > endedCommits ? "race-committed" : failures > endedFailures ? "race-refused"
                        : "race-none", "");
            }
        } catch (InvariantViolation v) {
            throw v;
        } catch (Exception e) {
            throw new InvariantViolation("unexpected-exception", "a connection step inside a sync threw " + e);
        } finally {
            preempting = false;
        }
    }

    private void syncTick() throws Exception {
        if (db == null) {
            return;
        }
        int before = model.size() - 1;
        SyncOutcome o;
        inSync = true;
        try {
            o = db.syncOnce(world.clock().instant());
        } finally {
            inSync = false;
        }
        switch (o.status()) {
            case SYNCED -> {
                world.reached("synced", "TXID " + o.txid());
                model.synced(before);
            }
            case CONFLICT -> onConflict(db.status().conflict(), "sync");
            case FAILED -> {
                world.reached("sync-failed", o.error().getClass().getSimpleName());
                if (o.error() instanceof WriteBufferException) {
                    restart("after failed sync");
                }
            }
            default -> { }
        }
    }

    private void onConflict(ConflictInfo info, String where) throws IOException {
        needRefresh = true;
        if (info == null) {
            return;
        }
        world.reached("conflict", where + " base " + info.baseTxid() + " remote " + info.remoteTxid());
        try {
            model.checkConflictIsReal(info.baseTxid(), where, "rival landings " + rival.landed);
        } catch (SQLException e) {
            throw new IOException(e);
        }
    }

    /**
     * Refreshes through SQL ({@code PRAGMA litestream_refresh}) once no connection is in a transaction, then
     * checks that what the refresh dropped is saved: a conflict file saved since the last refresh, applied to the
     * replica at its base, is at or after the last commit that returned.
     */
    private void refresh() throws Exception {
        exclusive.releaseAll(clients); // SQLite's locks are its business: the refresh runs on connection 0
        ConflictInfo info = db.status().conflict();
        if (info != null) {
            onConflict(info, "refresh");
        }
        for (int attempt = 0; ; attempt++) {
            try (Statement s = clients.get(0).connection().createStatement()) {
                s.executeQuery("PRAGMA litestream_refresh").close();
                break;
            } catch (SQLException e) {
                world.reached("refresh-failed", String.valueOf(SqlClient.code(e)));
                if (attempt >= 40) {
                    throw new InvariantViolation("availability", "refresh fails even without faults: " + e);
                }
                faultsOff(attempt >= 10);
            }
        }
        faultsOff(false);
        needRefresh = false;
        world.reached("refresh", "to TXID " + db.current().txid());
        model.checkPreserved(info == null ? "refresh" : "conflict on base " + info.baseTxid());
        epoch++;
        model.newBase(db.current().txid());
        oracle.check(clients.get(0), "after refresh");
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    private void faultsOff(boolean off) {
        store.setFaultsEnabled(!off && !faultsStopped);
        disk.setFaultsEnabled(!off && !faultsStopped);
    }

    /** Uploads everything with faults off (setup only). */
    private void settle() {
        for (int i = 0; i < LIVENESS_INTERVALS && db.status().pendingCommits() > 0; i++) {
            db.syncOnce(world.clock().instant());
        }
        model.durable = model.returned;
    }

    /** Power loss: the disk crashes and the process dies; nothing it held in memory survives. */
    private void crash() throws Exception {
        process.sever();
        disk.crash();
        dropIncarnation(true);
        reopen("after crash");
    }

    /** A clean close and reopen (how the application recovers from a write buffer that stopped). */
    private void restart(String why) throws Exception {
        world.reached("restart", why);
        dropIncarnation(false);
        reopen(why);
    }

    /** Closes every connection and the engine (after a crash the engine can no longer reach disk or store). */
    private void dropIncarnation(boolean crashed) {
        process.drop(crashed);
        db = null;
    }

    private void reopen(String why) throws Exception {
        db = process.open(why);
        faultsOff(false);
        if (model.size() == 1 && model.last().isEmpty() && process.incarnation() == 1) {
            return; // the very first open: the table does not exist yet
        }
        world.reached("recovery", why);
        ConflictInfo info = db.status().conflict();
        if (info != null) {
            model.reopenedConflicted();
            onConflict(info, "open " + why);
            return;
        }
        TreeMap<Integer, String> got = oracle.readModel(clients.get(0), "writer " + why);
        model.reopened(got, db.current().txid(), why);
        epoch++;
    }

    private void finish() throws Exception {
        faultsStopped = true;
        faultsOff(true);
        store.completeInFlight(true); // every request still travelling arrives
        world.clock().advance(Duration.ofSeconds(1)); // listing-lag windows close
        for (int i = 0; i < 1000 && anyBusy(); i++) {
            stepBusy();
        }
        exclusive.releaseAll(clients);
        int i = 0;
        for (; i < LIVENESS_INTERVALS; i++) {
            if (needRefresh || db.status().conflict() != null) {
                refresh();
            }
            world.clock().advance(syncInterval);
            syncTick();
            if (db.status().pendingCommits() == 0 && db.status().conflict() == null && !needRefresh) {
                break;
            }
        }
        if (db.status().pendingCommits() != 0 || db.status().conflict() != null) {
            throw new InvariantViolation("liveness", db.status().pendingCommits() + " commits still pending after "
                    + LIVENESS_INTERVALS + " sync intervals without faults" + (db.status().conflict() == null ? ""
                    : "; conflicted: " + db.status().conflict().message()));
        }
        SqlReplica.integrity(clients.get(0).connection(), "the VFS database", "integrity");
        oracle.restoreCheck(db);
        world.reached("sql-done", committed + " committed, " + rolledBack + " rolled back, " + model.last().size()
                + " rows, " + rival.landed.size() + " rival files");
    }
}
