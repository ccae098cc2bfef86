package dev.ltx4j.simulator.workload;

import static dev.ltx4j.simulator.workload.EngineRun.PREFIX;

import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.pagestore.replica.PageReadException;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.replica.internal.PrefetchedChain;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.ReadTransaction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The {@link EngineRun}'s oracle: whole-database reads through the engine and through SQLite's view of page 1,
 * the replica model's states and the final restore. It must not disturb the run, so it reads with store faults
 * off; it also holds the fault switch the actors flip to get through a stubborn retry loop, and turns faults
 * off for good when the liveness phase starts.
 */
final class EngineOracle {
    /** PrefetchedChain.Limits.defaults() at a heap of 256 MiB or more, independent of this JVM's -Xmx. */
    private static final PrefetchedChain.Limits ORACLE_READ_AHEAD = new PrefetchedChain.Limits(
            PrefetchedChain.PIECES_AHEAD, 32L << 20, PrefetchedChain.WHOLE_FILE_MAX, PrefetchedChain.CHUNK);

    private final World world;
    private final SimObjectStore store;
    private final SimDisk disk;
    private final ReplicaAuditor auditor;
    private final SqliteView sqliteView;
    private final int pageSize;
    private final Path tempDir;
    /** The liveness phase: no more faults. */
    private boolean faultsStopped;
    /** Read errors that say a replica file is gone (runs with retention), thrown as {@link LostFile}; null: none. */
    private Predicate<Throwable> lostFiles;

    /** A read failed because a file it planned with was deleted (a clear error, in runs that tolerate it). */
    static final class LostFile extends IOException {
        LostFile(String who, IOException cause) {
            super(who + " lost a replica file: " + cause.getMessage(), cause);
        }
    }

    EngineOracle(World world, SimObjectStore store, SimDisk disk, ReplicaAuditor auditor, SqliteView sqliteView,
            int pageSize, Path tempDir) {
        this.world = world;
        this.store = store;
        this.disk = disk;
        this.auditor = auditor;
        this.sqliteView = sqliteView;
        this.pageSize = pageSize;
        this.tempDir = tempDir;
    }

    /** Reads failing with an error {@code lostFiles} accepts throw {@link LostFile} instead of breaking a property. */
    void tolerateLostFiles(Predicate<Throwable> lostFiles) {
        this.lostFiles = lostFiles;
    }

    /** Whether {@code e} is a tolerated lost file. */
    boolean isLostFile(Throwable e) {
        return lostFiles != null && e != null && lostFiles.test(e);
    }

    /** The liveness phase starts: faults off for the rest of the run. */
    void stopFaults() {
        faultsStopped = true;
        faultsOff(true);
    }

    void faultsOff(boolean off) {
        store.setFaultsEnabled(!off && !faultsStopped);
        disk.setFaultsEnabled(!off && !faultsStopped);
    }

    /** Whether the replica holds {@code s} at some TXID up to {@code maxTxid}. */
    boolean inReplica(PageState s, long maxTxid) {
        for (long t = 0; t <= maxTxid; t++) {
            if (auditor.stateAt(t).digest == s.digest) {
                return true;
            }
        }
        return false;
    }

    /**
     * Every page of {@code rt}'s database; a short page read breaks {@code property} (shared by the oracle and the
     * compaction scenario's followers).
     */
    static PageState readAll(ReadTransaction rt, int pageSize, String property, String who) throws IOException {
        int ps = rt.pageSize() == 0 ? pageSize : rt.pageSize();
        long pages = rt.sizeBytes() / ps;
        TreeMap<Long, byte[]> all = new TreeMap<>();
        for (long p = 1; p <= pages; p++) {
            byte[] buf = new byte[ps];
            int n = rt.read((p - 1) * ps, buf, 0, ps);
            if (n != ps) {
                throw new InvariantViolation(property, who + " read " + n + " bytes of page " + p + " inside a "
                        + pages + "-page database");
            }
            all.put(p, buf);
        }
        return PageState.empty(pageSize).apply(all, pages);
    }

    /** Reads the whole database through the engine, store faults off (the oracle must not disturb the run). */
    PageState readState(Database d, String who) throws IOException {
        store.setFaultsEnabled(false);
        try (ReadTransaction rt = d.beginRead()) {
            PageState state = readAll(rt, pageSize, "read-your-writes", who);
            world.stats().operations(state.size);
            return state;
        } catch (PageReadException e) {
            if (isLostFile(e)) {
                throw new LostFile(who, e);
            }
            throw new InvariantViolation("read-availability", who + " could not read with store faults off: "
                    + e.getMessage());
        } catch (IOException e) {
            if (isLostFile(e)) {
                throw new LostFile(who, e);
            }
            throw e;
        } finally {
            store.setFaultsEnabled(!faultsStopped);
        }
    }

    /** Page 1 as SQLite sees it through the shipped VFS ({@link SqliteView}), store faults off. */
    void checkSqliteView(Database d, PageState state, String actor, String when) throws IOException {
        store.setFaultsEnabled(false);
        try {
            sqliteView.check(d, state, actor, when);
        } finally {
            store.setFaultsEnabled(!faultsStopped);
        }
    }

    static String firstDifference(PageState a, PageState b) {
        for (long p = 1; p <= Math.max(a.size, b.size); p++) {
            if (!Arrays.equals(a.page(p), b.page(p))) {
                return " (first difference at page " + p + ")";
            }
        }
        return "";
    }

    /** The replica restored by the planner and LtxRestorer equals the model, at the head and one earlier TXID. */
    void restoreCheck() throws IOException {
        long head = auditor.head();
        if (head == 0) {
            return;
        }
        SimReplicaClient client = store.client(PREFIX);
        long other = 1 + world.random("engine/restore").nextInt((int) head);
        for (long txid : new long[] {head, other}) {
            List<LtxFileInfo> plan;
            try {
                plan = new RestorePlanner(client).plan(RestoreTarget.txid(txid));
            } catch (RestorePlanException e) {
                throw new InvariantViolation("atomicity", "cannot plan a restore of TXID " + txid + ": " + e.getMessage());
            }
            Path out = tempDir.resolve("restore-" + txid + ".db");
            LtxRestorer.Result r;
            // The read-ahead ltx4j restore uses, on the direct executor: each file read inline in plan order, as the
            // sequential reads were (the same store requests and fault draws on every run of a seed). Fixed limits, not
            // defaults() (whose held bytes follow the heap): the same seed makes the same requests under any -Xmx.
            try (PrefetchedChain chain = new PrefetchedChain(client, plan, ORACLE_READ_AHEAD, Runnable::run,
                    i -> { })) {
                r = LtxRestorer.restore(chain.sources(), out);
            }
            byte[] bytes = Files.readAllBytes(out);
            TreeMap<Long, byte[]> pages = new TreeMap<>();
            for (long p = 1; p <= r.commit(); p++) {
                pages.put(p, Arrays.copyOfRange(bytes, (int) ((p - 1) * pageSize), (int) p * pageSize));
            }
            PageState got = PageState.empty(pageSize).apply(pages, r.commit());
            if (got.digest != auditor.stateAt(txid).digest || r.maxTxid() != txid) {
                throw new InvariantViolation("atomicity", "restore of TXID " + txid + " gives " + got + " at TXID "
                        + r.maxTxid() + ", the replica model " + auditor.stateAt(txid));
            }
            Files.delete(out);
        }
        world.reached("restore-verified", "TXIDs " + head + ", " + other);
    }

    /** read-your-writes right after a commit: the writer's new read transaction sees {@code want}'s size and pages. */
    void checkCommitVisible(Database db, PageState want, Set<Long> written) throws IOException {
        try (ReadTransaction rt = db.beginRead()) {
            if (rt.sizeBytes() != want.size * pageSize) {
                throw new InvariantViolation("read-your-writes", "after commit the writer sees " + rt.sizeBytes()
                        + " bytes, committed " + want.size + " pages");
            }
            byte[] buf = new byte[pageSize];
            for (long p : written) {
                if (p > want.size) {
                    continue;
                }
                rt.read((p - 1) * pageSize, buf, 0, pageSize);
                if (!Arrays.equals(buf, want.page(p))) {
                    throw new InvariantViolation("read-your-writes", "after commit page " + p + " differs");
                }
            }
            world.stats().operations(written.size());
        }
    }

    /**
     * The sync of a buffer a failure stopped ({@code durable-prefix}, docs/write-buffer-recovery.md, "After a failed
     * fsync"): it may upload the durable prefix (every acknowledged commit, {@code last}) and never the state of the
     * commit that failed ({@code failed}). With durability NONE ({@code unforced}) the durable prefix is what the last
     * open or sync forced, so the upload may end at an earlier commit of {@code history} (then acknowledged through
     * it). Returns whether it synced everything committed (the caller acknowledges all of it).
     */
    boolean checkStoppedBufferSync(dev.ltx4j.syncer.SyncOutcome o, PageState failed, PageState last,
            WriterHistory history, boolean unforced) throws IOException {
        world.reached("stopped-buffer-sync", o.status().toString());
        auditor.audit();
        PageState head = auditor.stateAt(auditor.head());
        if (failed.digest != last.digest && head.digest == failed.digest) {
            throw new InvariantViolation("durable-prefix", "the sync of the stopped buffer uploaded TXID "
                    + auditor.head() + " holding " + failed + ", the state of the commit whose force failed");
        }
        if (o.status() != dev.ltx4j.syncer.SyncOutcome.Status.SYNCED) {
            return false;
        }
        if (unforced && o.txid() == auditor.head()) {
            int k = history.firstCommittedAtOrAfterAcknowledged(head); // lenient: a repeated state counts as forced
            if (k > history.forceable()) { // state k came after the last open or sync round: never forced
                throw new InvariantViolation("durable-prefix", "the sync of the stopped buffer (durability none) "
                        + "uploaded TXID " + o.txid() + " holding commit #" + k + ", but no open or sync forced the "
                        + "buffer after commit #" + history.forceable() + ": commits after it are not its to upload");
            }
        }
        if (unforced && o.txid() == auditor.head() && head.digest != last.digest) {
            int k = history.committedAtOrAfterAcknowledged(head);
            if (k >= 0) { // a forced prefix; the unforced commits after it stay in the buffer for the reopen
                history.acknowledgeThrough(k);
                world.reached("stopped-buffer-uploaded-forced-prefix", "TXID " + o.txid());
                return false;
            }
        }
        if (o.txid() != auditor.head() || head.digest != last.digest) {
            throw new InvariantViolation("durable-prefix", "the sync of the stopped buffer reported TXID " + o.txid()
                    + " but the replica ends at " + auditor.head() + " holding " + head
                    + ", not the last acknowledged commit " + last);
        }
        world.reached("stopped-buffer-uploaded-prefix", "TXID " + o.txid());
        return true;
    }
}
