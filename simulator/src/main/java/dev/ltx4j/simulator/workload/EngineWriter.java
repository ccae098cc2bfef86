package dev.ltx4j.simulator.workload;

import static dev.ltx4j.simulator.workload.EngineOracle.firstDifference;
import static dev.ltx4j.simulator.workload.EngineRun.LIVENESS_INTERVALS;
import static dev.ltx4j.simulator.workload.EngineRun.page;

import dev.ltx4j.compaction.RecentUploads;
import dev.ltx4j.pagestore.BufferFailedException;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.WriteBufferException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.syncer.ConflictException;
import dev.ltx4j.syncer.ConflictInfo;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.SyncFailedException;
import dev.ltx4j.syncer.SyncOutcome;
import dev.ltx4j.syncer.WriteSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.TreeMap;

/**
 * The {@link EngineRun}'s writer: the engine in write mode on the simulated disk, with its reference model (the
 * states since its last base, which of them are acknowledged, a commit that failed part way). It commits,
 * crashes, restarts and refreshes away conflicts, and runs the engine's sync step on the syncer's turn (the
 * sync acknowledges the writer's commits, so it lives with the writer's model). Checks durability,
 * read-your-writes, false-conflict, conflict-preserved and conflict-sticky (see {@link EngineRun}). The model is
 * {@link WriterHistory}.
 */
final class EngineWriter {
    private final World world;
    private final SimDisk disk;
    private final ReplicaAuditor auditor;
    private final EngineOracle oracle;
    private final int pageSize;
    private final int maxPages;
    private final Durability durability;
    private final Duration syncInterval;
    private EngineOptions writerOptions;
    private final ReplicaClient writerClient;
    private final Clock writerClock;

    private Database db;
    private final WriterHistory history = new WriterHistory();
    private ConflictInfo conflictSeen;
    private long writerFilesAtConflict;
    /** The REMOTE restart's step, or null. */
    private CloseDuringRemoteWait closeDuringWait;
    /** How many {@link CloseDuringRemoteWait} commits this run made: each writes page 1 contents no commit wrote. */
    private long closeDuringWaitCommits;

    EngineWriter(World world, SimDisk disk, ReplicaAuditor auditor, EngineOracle oracle, int pageSize, int maxPages,
            Durability durability, Duration syncInterval, EngineOptions writerOptions, ReplicaClient writerClient,
            Clock writerClock) {
        this.world = world;
        this.disk = disk;
        this.auditor = auditor;
        this.oracle = oracle;
        this.pageSize = pageSize;
        this.maxPages = maxPages;
        this.durability = durability;
        this.syncInterval = syncInterval;
        this.writerOptions = writerOptions;
        this.writerClient = writerClient;
        this.writerClock = writerClock;
    }

    /** Opens the engine on the empty replica. */
    void start() throws IOException {
        history.newBase(auditor.stateAt(0));
        reopen("start");
    }

    /** Power loss: the disk crashes and the engine is reopened from what survived. */
    void crash() throws IOException {
        disk.crash();
        db = null; // dropped without close: its buffer handles died with the machine
        reopen("after crash");
    }

    /**
     * Power loss that keeps none of the writes not yet forced (with durability NONE: every commit since the last
     * sync), then a reopen: the deliberate step {@link LostUploadRestart} needs the commits its lost upload holds gone.
     */
    void crashLosingUnforced() throws IOException {
        disk.crashLosingUnforced();
        db = null;
        reopen("after crash");
    }

    /** A clean close and reopen; under durability REMOTE, a close while a commit waits ({@link CloseDuringRemoteWait}). */
    void restart() throws IOException {
        if (closeDuringWait != null && durability == Durability.REMOTE && db != null
                && db.status().conflict() == null) {
            TreeMap<Long, byte[]> writes = new TreeMap<>();
            // No random draw (other actions unchanged), and contents unique in the run: the history's size recurs
            // after a refresh or reopen, and page 1 may still hold an earlier step's contents; rewriting them is a
            // commit that changes nothing, and its upload would look like the previous commit applied twice.
            writes.put(1L, page(0x5EED_0000_0000L + ++closeDuringWaitCommits, pageSize));
            closeDuringWait.run(this, writes, Math.max(last().size, 1));
        } else {
            closeQuietly();
        }
        reopen("after restart");
    }

    /** Wires the REMOTE restart's step (the engine run's clock and preemption hooks lead to it). */
    void closeDuringWait(CloseDuringRemoteWait step) {
        this.closeDuringWait = step;
    }

    Database database() {
        return db;
    }

    /** Closes (its final sync as configured) and opens again with {@code options} ({@link CloseUnderClockStep}). */
    void reopenWith(EngineOptions options, String why) throws IOException {
        closeQuietly();
        writerOptions = options;
        reopen(why);
    }

    /** Closes the database; returns close's failure (commits it kept), null when it closed clean. */
    IOException closeForStep() {
        try {
            db.close();
            return null;
        } catch (IOException e) {
            world.reached("close-failed", e.getClass().getSimpleName());
            return e;
        } finally {
            db = null;
        }
    }

    void closeQuietlyForStep() {
        closeQuietly();
    }

    /**
     * {@link CloseDuringRemoteWait}'s commit: the database is closed while it waits, so it is only modelled (committed
     * locally whatever the wait reports), not read back; the reopen checks it.
     */
    void commitClosedMeanwhile(TreeMap<Long, byte[]> writes, long newSize) throws IOException {
        PageState next = last().apply(writes, newSize);
        try (WriteSession s = db.beginWrite()) {
            for (var w : writes.entrySet()) {
                s.write((w.getKey() - 1) * pageSize, w.getValue(), 0, pageSize);
            }
            auditor.writerCommitted(next);
            s.commit();
            committed(next);
            world.reached("remote-commit-confirmed-across-close", "");
        } catch (SyncFailedException e) {
            committed(next); // committed locally: the close kept it, the reopen uploads it
            world.reached("remote-commit-unsynced", e.getClass().getSimpleName());
        } catch (ConflictException e) {
            committed(next);
            onConflict(e.info(), "remote commit");
        } catch (IOException e) {
            history.failedPartWay(next);
            world.reached("commit-failed", e.getClass().getSimpleName());
        }
    }

    PageState last() {
        return history.last();
    }

    void commit(EngineScenario.Commit c) throws IOException {
        if (db.status().conflict() != null) {
            try (WriteSession s = db.beginWrite()) {
                throw new InvariantViolation("conflict-sticky", "beginWrite succeeded while conflicted: "
                        + db.status().conflict().message());
            } catch (ConflictException e) {
                world.reached("conflict-refused-write", "base " + e.info().baseTxid());
            }
            refresh();
            return;
        }
        PageState prev = last();
        long size = prev.size;
        if (c.resize() < 0 && size > 1) {
            size = Math.max(1, size * -c.resize() / 16);
        }
        long limit = c.resize() < 0 && size > 0 ? size : maxPages;
        TreeMap<Long, byte[]> writes = new TreeMap<>();
        for (EngineScenario.PageWrite w : c.writes()) {
            writes.put(1 + Math.floorMod((long) w.slot(), limit), page(w.fill(), pageSize));
        }
        commitWrites(writes, Math.max(size, writes.lastKey()));
    }

    /** One transaction writing {@code writes} and resizing to {@code newSize}, checked like every commit. */
    void commitWrites(TreeMap<Long, byte[]> writes, long newSize) throws IOException {
        PageState prev = last();
        PageState next = prev.apply(writes, newSize);
        try {
            WriteSession s = db.beginWrite();
            try {
                if (newSize < prev.size) {
                    s.truncate(newSize * pageSize);
                }
                for (var w : writes.entrySet()) {
                    s.write((w.getKey() - 1) * pageSize, w.getValue(), 0, pageSize);
                }
                world.stats().operations(writes.size());
                auditor.writerCommitted(next);
                s.commit();
            } finally {
                s.close();
            }
            committed(next);
            if (durability == Durability.REMOTE) {
                auditor.audit();
                if (auditor.stateAt(auditor.head()).digest != next.digest) {
                    throw new InvariantViolation("durability", "a REMOTE commit returned but the replica head (TXID "
                            + auditor.head() + ") holds " + auditor.stateAt(auditor.head()) + ", not " + next);
                }
                history.acknowledgeAll();
            }
            oracle.checkCommitVisible(db, last(), writes.keySet());
        } catch (SyncFailedException e) {
            committed(next); // REMOTE: committed and durable locally, upload pending
            world.reached("remote-commit-unsynced", e.getClass().getSimpleName());
        } catch (ConflictException e) {
            committed(next); // REMOTE: committed locally, then the sync found a rival
            onConflict(e.info(), "remote commit");
        } catch (IOException e) {
            history.failedPartWay(next);
            world.reached("commit-failed", e.getClass().getSimpleName());
            if (e instanceof BufferFailedException // stopped: sync first, as a pool keeping its connection would
                    && oracle.checkStoppedBufferSync(db.syncOnce(writerClock.instant()), next, last(), history,
                            durability == Durability.NONE)) {
                history.acknowledgeAll();
            }
            closeQuietly();
            reopen("after failed commit");
        }
    }

    private void committed(PageState next) {
        history.committed(next, durability != Durability.NONE);
    }

    void syncTick() throws IOException {
        if (db == null) {
            return;
        }
        history.mayForceAll();
        SyncOutcome o = db.syncOnce(writerClock.instant());
        switch (o.status()) {
            case SYNCED -> {
                world.reached("synced", "TXID " + o.txid());
                auditor.audit();
                if (o.txid() > auditor.head() || auditor.stateAt(o.txid()).digest != last().digest) {
                    throw new InvariantViolation("atomicity", "sync reported TXID " + o.txid() + " but the replica "
                            + (o.txid() > auditor.head() ? "ends at " + auditor.head()
                            : "holds " + auditor.stateAt(o.txid()) + " there, the writer's last commit is " + last()));
                }
                history.acknowledgeAll();
                checkVisible("after sync");
            }
            case CONFLICT -> onConflict(((ConflictException) o.error()).info(), "sync");
            case FAILED -> {
                world.reached("sync-failed", o.error().getClass().getSimpleName());
                if (oracle.isLostFile(o.error())) {
                    lostFile("sync", o.error());
                    return;
                }
                if (o.error() instanceof WriteBufferException) {
                    closeQuietly();
                    reopen("after failed sync");
                }
            }
            case NOTHING_TO_SYNC -> { }
        }
    }

    private void onConflict(ConflictInfo info, String where) throws IOException {
        if (info == conflictSeen) {
            return;
        }
        conflictSeen = info;
        world.reached("conflict", where + " base " + info.baseTxid() + " remote " + info.remoteTxid());
        auditor.audit();
        boolean rivalAhead = false;
        boolean lostLifeAhead = false;
        for (long t = info.baseTxid() + 1; t <= auditor.head(); t++) {
            ReplicaAuditor.Entry e = auditor.entry(t);
            rivalAhead |= auditor.isRival(e);
            // The writer's own file holding a state its history no longer has: uploaded before a crash took those
            // commits from the buffer (durability none, or an upload whose outcome was lost), after which the writer
            // committed something else on the old base. A real fork, like a rival's file (README Limitations).
            lostLifeAhead |= !auditor.isRival(e) && !history.holds(e.state());
        }
        if (lostLifeAhead && !rivalAhead) {
            world.reached("conflict-own-lost-commits", where + " base " + info.baseTxid());
        }
        if (!rivalAhead && !lostLifeAhead) {
            throw new InvariantViolation("false-conflict", where + " reported a conflict on base TXID "
                    + info.baseTxid() + " but no rival file lies beyond it (replica head " + auditor.head()
                    + ", all the writer's own)");
        }
        writerFilesAtConflict = auditor.writerFiles();
        if (info.savedTo() == null) {
            world.reached("conflict-unsaved", where);
            return;
        }
        PageState saved;
        try (InputStream in = Files.newInputStream(info.savedTo())) {
            saved = auditor.applyFile(in, info.savedTo().getFileName().toString());
        }
        int k = history.match(saved);
        if (k < 0) {
            throw new InvariantViolation("conflict-preserved", "conflict file " + info.savedTo().getFileName()
                    + " on base " + info.baseTxid() + " gives " + saved + " but the writer's pending state is " + last()
                    + " (acknowledged: " + history.acknowledged() + ")");
        }
        world.reached("conflict-preserved", "state #" + k);
    }

    private void refresh() throws IOException {
        auditor.audit();
        if (auditor.writerFiles() > writerFilesAtConflict) {
            throw new InvariantViolation("conflict-sticky", "the writer uploaded while conflicted ("
                    + writerFilesAtConflict + " writer files at the conflict, " + auditor.writerFiles() + " now)");
        }
        for (int attempt = 0; ; attempt++) {
            try {
                db.refresh();
                break;
            } catch (IOException e) {
                world.reached("refresh-failed", e.getClass().getSimpleName());
                if (attempt >= 40) {
                    throw new InvariantViolation("availability", "refresh fails even without faults: " + e);
                }
                oracle.faultsOff(attempt >= 10);
            }
        }
        oracle.faultsOff(false);
        world.reached("refresh", "to TXID " + db.current().txid());
        conflictSeen = null;
        newBase(db.current().txid());
        checkVisible("after refresh");
    }

    /** The commits not yet synced, or -1 while the writer is down or conflicted. */
    long pendingIfWritable() {
        return db == null || db.status().conflict() != null ? -1 : db.status().pendingCommits();
    }

    Durability durability() {
        return durability;
    }

    /** The replica TXID the writer's state reflects (its base or its last sync); -1 while it is not open. */
    long replicaTxid() {
        return db == null ? -1 : db.current().txid();
    }

    private void newBase(long txid) {
        auditor.audit();
        PageState base = auditor.stateAt(txid);
        auditor.writerBuildsOn(base);
        history.newBase(base);
    }

    private void closeQuietly() {
        if (db != null) {
            try {
                db.close();
            } catch (IOException | RuntimeException e) {
                world.reached("close-failed", e.toString());
            }
            db = null;
        }
    }

    /**
     * A read failed because retention deleted a file the engine planned with (runs that tolerate it, see
     * {@link EngineOracle#tolerateLostFiles}): the writer restarts, which plans afresh.
     */
    private void lostFile(String when, Throwable e) throws IOException {
        world.reached("writer-lost-file", when + ": " + e.getMessage());
        closeQuietly();
        reopen("after a lost file");
    }

    private void reopen(String why) throws IOException {
        for (int lost = 0; ; lost++) {
            try {
                reopenOnce(why);
                return;
            } catch (EngineOracle.LostFile e) {
                world.reached("writer-lost-file", why + ": " + e.getMessage());
                closeQuietly();
                if (lost >= 10) {
                    throw new InvariantViolation("read-availability", "the writer keeps losing files " + why + ": " + e);
                }
            }
        }
    }

    private void reopenOnce(String why) throws IOException {
        for (int attempt = 0; db == null; attempt++) {
            try {
                db = Database.open(writerClient, "db", writerOptions);
            } catch (ConflictException e) {
                throw new InvariantViolation("unexpected-exception", "open threw " + e);
            } catch (IOException e) {
                world.reached("reopen-failed", e.getClass().getSimpleName());
                if (attempt >= 40) {
                    throw new InvariantViolation("availability", "the writer cannot reopen " + why + " even without"
                            + " faults: " + e);
                }
                oracle.faultsOff(attempt >= 10);
            }
        }
        oracle.faultsOff(false);
        world.reached("recovery", why);
        auditor.audit();
        ConflictInfo info = db.status().conflict();
        if (info != null) {
            onConflict(info, "open " + why);
            return;
        }
        PageState got = oracle.readState(db, "writer " + why);
        int k = history.match(got);
        if (k >= 0) {
            history.reopenedAt(k);
            auditor.writerBuildsOn(auditor.stateAt(db.current().txid()));
            return;
        }
        long txid = db.current().txid();
        // A lagging listing may show an older head than the replica's: any replica state at or after the
        // acknowledged one is durable (the writer's next sync then meets the newer files as a conflict).
        if (txid <= auditor.head() && auditor.stateAt(txid).digest == got.digest
                && oracle.inReplica(history.acknowledged(), txid)) {
            world.reached("recovery-adopted-remote", "TXID " + txid);
            newBase(txid);
            return;
        }
        throw new InvariantViolation("durability", "writer reopened " + why + " at TXID " + txid + " showing " + got
                + ", but its acknowledged state is " + history.acknowledged() + " (latest " + last() + ")");
    }

    void checkVisible(String when) throws IOException {
        if (db == null || db.status().conflict() != null) {
            return;
        }
        PageState got;
        try {
            got = oracle.readState(db, "writer " + when);
        } catch (EngineOracle.LostFile e) {
            lostFile(when, e);
            return;
        }
        if (got.digest != last().digest) {
            throw new InvariantViolation("read-your-writes", "writer " + when + " reads " + got + " but committed "
                    + last() + firstDifference(got, last()));
        }
        oracle.checkSqliteView(db, got, "writer", when);
    }

    /**
     * The liveness phase (faults off): syncs until nothing is pending, refreshing away a conflict, then checks that
     * the last commit is in the replica. Returns the index of the last sync interval it used.
     */
    int drain() throws IOException {
        if (db == null) {
            reopen("for liveness");
        }
        int i = 0;
        for (; i < LIVENESS_INTERVALS; i++) {
            if (db.status().conflict() != null) {
                onConflict(db.status().conflict(), "liveness");
                refresh();
            }
            world.clock().advance(syncInterval);
            syncTick();
            if (db.status().pendingCommits() == 0 && db.status().conflict() == null) {
                break;
            }
        }
        if (db.status().pendingCommits() != 0 || db.status().conflict() != null) {
            throw new InvariantViolation("liveness", "after " + LIVENESS_INTERVALS + " fault-free sync intervals "
                    + db.status().pendingCommits() + " commits are unsynced" + (db.status().conflict() == null ? ""
                    : " and the writer is conflicted: " + db.status().conflict().message()));
        }
        auditor.audit();
        if (!oracle.inReplica(last(), auditor.head())) {
            throw new InvariantViolation("liveness", "nothing pending, but the writer's last commit " + last()
                    + " is not in the replica (head TXID " + auditor.head() + ")");
        }
        checkVisible("at the end");
        if (auditor.stateAt(auditor.head()).digest != last().digest) {
            world.reached("writer-behind-rival", "head " + auditor.head()); // write mode does not poll: by design
        }
        return i;
    }

    /** Closes the engine at the end of the liveness phase: without faults, close succeeds. */
    void close() {
        try {
            db.close();
        } catch (IOException e) {
            throw new InvariantViolation("liveness", "close failed without faults: " + e);
        }
        db = null;
    }

    /** The open engine's kept uploads (its in-process compactor reuses them), or null while it is down. */
    RecentUploads recentUploads() {
        Database d = db;
        return d == null ? null : d.recentUploads();
    }
}
