package dev.ltx4j.simulator.workload;

import static dev.ltx4j.simulator.workload.EngineOracle.firstDifference;

import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.ReadTransaction;
import java.io.IOException;
import java.util.function.LongPredicate;

/**
 * A read-mode follower of the compaction scenario: it keeps reading while compactors merge and retention deletes
 * the files it was reading. After every poll it reads its whole database (store faults off); what it returns must
 * be exactly the model's state at its TXID ({@code follower-wrong-data}), never a mix. A read that fails because a
 * file it planned with was deleted is a clear error, which it counts (separately when its TXID was still inside the
 * retention window) and answers by reopening; with {@code strict} such a failure inside the window breaks
 * {@code follower-availability} (readers re-plan on deleted files).
 */
final class CompactionFollower extends SimFollower {
    private final ReplicaAuditor auditor;
    private final EngineOracle oracle;
    private final LongPredicate insideWindow;
    private final boolean strict;
    private final int pageSize;

    CompactionFollower(World world, String name, SimReplicaClient client, EngineOptions options,
            ReplicaAuditor auditor, EngineOracle oracle, LongPredicate insideWindow, boolean strict, int pageSize) {
        super(world, name, client, options);
        this.auditor = auditor;
        this.oracle = oracle;
        this.insideWindow = insideWindow;
        this.strict = strict;
        this.pageSize = pageSize;
    }

    @Override
    boolean mayOpen() {
        auditor.audit();
        return auditor.head() != 0;
    }

    @Override
    boolean checkAfterFailedPoll() {
        return true;
    }

    @Override
    void check() throws IOException {
        long txid = db.current().txid();
        if (txid < seenTxid) {
            throw new InvariantViolation("follower-monotonic", name + " went back from TXID " + seenTxid + " to "
                    + txid);
        }
        auditor.audit();
        if (txid > auditor.head()) {
            throw new InvariantViolation("follower-atomicity", name + " is at TXID " + txid
                    + " beyond the replica's head " + auditor.head());
        }
        PageState got;
        try {
            got = read();
        } catch (IOException e) {
            if (!deleted(e)) {
                throw new InvariantViolation("read-availability", name + " at TXID " + txid + " could not read with"
                        + " store faults off: " + e.getMessage());
            }
            boolean inWindow = insideWindow.test(txid);
            world.reached(inWindow ? "follower-lost-file-in-window" : "follower-lost-file-outside-window",
                    name + " at TXID " + txid + ": " + e.getMessage());
            if (inWindow && strict) {
                throw new InvariantViolation("follower-availability", name + " at TXID " + txid + " (inside the"
                        + " retention window) failed on a deleted file: " + e.getMessage());
            }
            reopen();
            return;
        }
        PageState want = auditor.stateAt(txid);
        if (got.digest != want.digest) {
            throw new InvariantViolation("follower-wrong-data", name + " at TXID " + txid + " shows " + got
                    + " but the model there holds " + want + firstDifference(got, want));
        }
        world.stats().operations(got.size);
        seenTxid = txid;
    }

    /** The whole database through the engine, store faults off (the oracle must not disturb the run). */
    private PageState read() throws IOException {
        oracle.faultsOff(true);
        try (ReadTransaction rt = db.beginRead()) {
            return EngineOracle.readAll(rt, pageSize, "follower-wrong-data", name);
        } finally {
            oracle.faultsOff(false);
        }
    }

    private static boolean deleted(Throwable e) {
        return CompactionRun.lostFile(e);
    }

    /** Drops the database and opens it afresh on the next poll (its TXID may then be lower, so monotonic resets). */
    void reopen() {
        try {
            db.close();
        } catch (IOException | RuntimeException e) {
            world.reached("follower-close-failed", e.getClass().getSimpleName());
        }
        db = null;
        seenTxid = -1;
    }

    void close() throws IOException {
        if (db != null) {
            db.close();
            db = null;
        }
    }
}
