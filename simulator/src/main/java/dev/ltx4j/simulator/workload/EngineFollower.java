package dev.ltx4j.simulator.workload;

import static dev.ltx4j.simulator.workload.EngineOracle.firstDifference;

import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.EngineOptions;
import java.io.IOException;

/**
 * A follower of the {@link EngineRun}: it opens once the replica holds a file, and after every poll (failed or
 * not) it shows exactly the replica's state at its TXID ({@code follower-atomicity}), never going back
 * ({@code follower-monotonic}).
 */
final class EngineFollower extends SimFollower {
    private final ReplicaAuditor auditor;
    private final EngineOracle oracle;

    EngineFollower(World world, String name, SimReplicaClient client, EngineOptions options, ReplicaAuditor auditor,
            EngineOracle oracle) {
        super(world, name, client, options);
        this.auditor = auditor;
        this.oracle = oracle;
    }

    @Override
    boolean mayOpen() {
        auditor.audit();
        return auditor.head() != 0;
    }

    @Override
    boolean checkAfterFailedPoll() {
        return true; // it still shows its last state
    }

    @Override
    void check() throws IOException {
        long txid = db.current().txid();
        if (txid < seenTxid) {
            throw new InvariantViolation("follower-monotonic", name + " went back from TXID " + seenTxid + " to "
                    + txid);
        }
        if (txid == seenTxid) {
            return;
        }
        auditor.audit();
        if (txid > auditor.head()) {
            throw new InvariantViolation("follower-atomicity", name + " is at TXID " + txid
                    + " beyond the replica's head " + auditor.head());
        }
        PageState got = oracle.readState(db, name);
        PageState want = auditor.stateAt(txid);
        if (got.digest != want.digest) {
            throw new InvariantViolation("follower-atomicity", name + " at TXID " + txid + " shows " + got
                    + " but the replica there holds " + want + firstDifference(got, want));
        }
        oracle.checkSqliteView(db, got, name, "at TXID " + txid);
        seenTxid = txid;
    }
}
