package dev.ltx4j.simulator.workload;

import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.simulator.store.SimReplicaClient;
import dev.ltx4j.syncer.EngineClientStack;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/** Replica-client decorators that re-introduce bug classes into the engine scenario's writer ({@link Bug}). */
final class EngineClients {
    private EngineClients() {}

    /**
     * The writer's client under {@code bugs}, in the engine's client stack without retries: every store fault
     * reaches the engine as it happened (the fault plan exercises the engine's own paths, and a bug decorator is
     * not healed by a retry); requests are counted as for every engine database.
     */
    static ReplicaClient writer(SimReplicaClient client, Set<Bug> bugs) {
        ReplicaClient c = client;
        if (bugs.contains(Bug.OVERWRITE_UPLOAD)) {
            c = new Overwriting(client);
        }
        if (bugs.contains(Bug.AMBIGUOUS_AS_FAILED)) {
            c = new AmbiguousAsFailed(c);
        }
        return EngineClientStack.countingOnly(c);
    }

    /** {@link Bug#OVERWRITE_UPLOAD}: creates are unconditional PUTs. */
    private static final class Overwriting extends ForwardingReplicaClient {
        private final SimReplicaClient sim;

        Overwriting(SimReplicaClient sim) {
            super(sim);
            this.sim = sim;
        }

        @Override
        public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
            byte[] data;
            try (InputStream in = body.open()) {
                data = in.readAllBytes();
            } catch (IOException e) {
                throw new ReplicaPermanentException("cannot read the body: " + e.getMessage(), e);
            }
            sim.putOverwrite(level, minTxid, maxTxid, data);
            return new LtxFileInfo(level, minTxid, maxTxid, data.length, Instant.EPOCH);
        }
    }

    /** {@link Bug#AMBIGUOUS_AS_FAILED}: an ambiguous create is reported as a retryable failure. */
    private static final class AmbiguousAsFailed extends ForwardingReplicaClient {
        AmbiguousAsFailed(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
            try {
                return delegate.createFile(level, minTxid, maxTxid, body);
            } catch (ReplicaOutcomeUnknownException e) {
                throw new ReplicaTransientException("create failed (outcome unknown, reported as failed): "
                        + e.getMessage(), e);
            }
        }
    }
}
