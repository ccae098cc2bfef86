package dev.ltx4j.syncer;

import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.RetryPolicy;
import dev.ltx4j.replica.RetryTimer;
import dev.ltx4j.replica.RetryingReplicaClient;
import java.util.Map;

/**
 * The replica client an engine database talks through, built here for every host (the VFS, the CLI, the
 * simulator), so each gets the same stack:
 *
 * <pre>
 *   engine -> RetryingReplicaClient -> CountingReplicaClient -> backend
 * </pre>
 *
 * Retries are outside the counting, so every attempt is counted with the outcome the store gave it
 * ({@link #requestsByKindAndOutcome()}) and {@link #retries()} says how many were repeats. Ambiguous creates pass
 * through unresolved: {@link ReplicaClient#createFile} may throw {@code ReplicaOutcomeUnknownException}, which the
 * sync resolves (stored NodeID and checksum against its own), the one layer that decides "commit state unknown".
 *
 * <p>{@link Database#open} wraps a client that is not a stack in a counting-only one, so every database counts its
 * requests whatever the host passed. The stack does not own the backend's lifetime beyond {@link #close()}.
 */
public final class EngineClientStack extends ForwardingReplicaClient {
    private final CountingReplicaClient counting;
    private final RetryingReplicaClient retrying;

    private EngineClientStack(CountingReplicaClient counting, RetryingReplicaClient retrying) {
        super(retrying != null ? retrying : counting);
        this.counting = counting;
        this.retrying = retrying;
    }

    /**
     * The stack with bounded retries ({@link RetryPolicy#defaults()}) in real time.
     *
     * @param jitterSeed seeds the retry jitter; differ between processes so they do not retry in step
     */
    public static EngineClientStack build(ReplicaClient backend, long jitterSeed) {
        return build(backend, RetryPolicy.defaults(), RetryTimer.system(), jitterSeed);
    }

    /** The stack with retries under {@code policy}, timed by {@code timer} (the simulator passes its clock). */
    public static EngineClientStack build(ReplicaClient backend, RetryPolicy policy, RetryTimer timer,
            long jitterSeed) {
        CountingReplicaClient counting = new CountingReplicaClient(backend, false);
        return new EngineClientStack(counting, new RetryingReplicaClient(counting, policy, timer, jitterSeed));
    }

    /** Counting only, no retries: for a host that wants every failure to reach the engine as it happened. */
    public static EngineClientStack countingOnly(ReplicaClient backend) {
        return new EngineClientStack(new CountingReplicaClient(backend, false), null);
    }

    /** {@code client} itself when it is a stack, else {@code client} under a counting-only stack. */
    static EngineClientStack of(ReplicaClient client) {
        return client instanceof EngineClientStack s ? s : countingOnly(client);
    }

    /** The top layer's own {@code readRange}, so a host client that overrides it keeps it under a counting-only stack. */
    @Override
    public byte[] readRange(int level, long minTxid, long maxTxid, long offset, long length) throws ReplicaException {
        return delegate.readRange(level, minTxid, maxTxid, offset, length);
    }

    /** Requests to the backend keyed {@code kind/outcome}; see {@link CountingReplicaClient#requestsByKindAndOutcome()}. */
    public Map<String, Long> requestsByKindAndOutcome() {
        return counting.requestsByKindAndOutcome();
    }

    /** Requests repeated after a retryable failure; 0 without retries. */
    public long retries() {
        return retrying == null ? 0 : retrying.retries();
    }
}
