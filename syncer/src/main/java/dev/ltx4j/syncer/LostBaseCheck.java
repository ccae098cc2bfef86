package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.ReplicaTransientException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * Notices a replica that lost the TXID this writer's pending transactions build on (its directory or prefix
 * deleted or emptied under the running writer): no level holds a file reaching the base any more. Uploading the
 * next L0 file there would leave a replica nothing can restore, so the sync refuses instead (docs/field-probes.md,
 * "Replica lost under a running writer"). A listing that merely lags behind this writer's newest upload is told
 * apart by reading the base's L0 file directly first: a read is consistent where a listing may lag, and only when
 * that file is gone are the levels listed. Runs only when the conflict check listed every level (its cheap look
 * at level 0 already saw the base file otherwise), so the common sync pays nothing. Callers hold
 * {@code db.syncLock}; not thread-safe otherwise.
 */
final class LostBaseCheck {
    /**
     * How long a loss must persist before the sync refuses for good: until then each sync fails transiently with
     * the upload withheld. Longer than any listing lag seen in practice (S3 lists strongly consistently today; the
     * simulator's lag windows are under a second), so a freshly compacted file a listing does not show yet (its
     * level-0 input already deleted) is never taken for a lost base.
     */
    static final Duration CONFIRM_AFTER = Duration.ofSeconds(10);

    private final Database db;
    private final ConflictSaver conflicts;
    private final ReplicaClient client;
    /** The fault switch {@code EngineFaults.ignoreLostReplica} (tests): no check, the behaviour before the fix. */
    private final boolean skip;
    /**
     * The base a look found lost, and when it first did on the engine's monotonic clock
     * ({@link dev.ltx4j.replica.EngineClock#nanoTime()}): a forward step of the wall clock must not cut the window
     * short and refuse over a listing that merely lags; -1 when the last look found it held.
     */
    private long suspectedBase = -1;
    private long suspectedAtNanos;
    /** The last refusal, so later syncs of the same sticky conflict report it as a lost replica too. */
    private volatile ReplicaLostException lastRefusal;
    /** Per level, the min TXID of the newest file the last look saw there: where the next listing starts. */
    private final long[] seek = new long[ReplicaClient.MAX_LEVEL + 1];

    LostBaseCheck(Database db, ConflictSaver conflicts) {
        this.db = db;
        this.conflicts = conflicts;
        this.client = db.client;
        this.skip = db.options.faults.ignoreLostReplica;
    }

    /**
     * The sync's refusal when the replica lost {@code base}: the database is conflicted with its held transactions
     * saved (as a conflict), nothing is uploaded, and the error names the replica and what its listing showed;
     * null when the base is held. Until the loss has lasted {@link #CONFIRM_AFTER} (monotonic time) it throws a transient failure
     * instead (nothing uploaded either way). Logged once at warn here (the conflict line follows).
     */
    SyncEngine.Round refuseIfLost(BufferBase base, Instant now) throws ReplicaException {
        Lost lost = check(base.txid());
        if (lost == null) {
            suspectedBase = -1;
            return null;
        }
        long nanos = db.options.clock().nanoTime();
        if (suspectedBase != base.txid()) {
            suspectedBase = base.txid();
            suspectedAtNanos = nanos;
        }
        if (nanos - suspectedAtNanos < CONFIRM_AFTER.toNanos()) {
            throw new ReplicaTransientException("replica " + ReplicaUrl.redact(db.options.replicaIdentity)
                    + " holds no file reaching TXID " + Txid.format(base.txid()) + " that this writer builds on ("
                    + lost.found() + "): upload withheld; refused as a lost replica unless a file reaching it is"
                    + " listed within " + CONFIRM_AFTER.toSeconds() + " s (a lagging listing)");
        }
        ConflictSaver.Raised raised = conflicts.raise(base, lost.newest(), now);
        ConflictInfo info = raised.info();
        String message = "replica " + ReplicaUrl.redact(db.options.replicaIdentity) + " of database \"" + db.name
                + "\" lost TXID " + Txid.format(base.txid()) + " that this writer builds on (" + lost.found()
                + "; deleted or emptied under the running writer?): sync refused, nothing uploaded (a file on a lost"
                + " base restores nothing); " + info.pendingCommits() + " unsynced transaction(s) "
                + (info.savedTo() == null ? "kept in the write buffer" : "saved to " + info.savedTo())
                + "; writes are refused until a refresh (PRAGMA litestream_refresh, refresh()), which reloads the"
                + " replica as it is then (put its files back first to keep the synced data)"
                + (raised.error() == null ? "" : "; " + raised.error());
        Database.log().warn(message);
        ReplicaLostException refused = new ReplicaLostException(message, info);
        lastRefusal = refused;
        SyncOutcome o = new SyncOutcome(SyncOutcome.Status.CONFLICT, base.txid(), 0, 0, refused);
        return new SyncEngine.Round(o, null, null, true, message, 0);
    }

    /** The error of a sync while conflicted: the lost-replica refusal when that raised {@code c}, else a conflict. */
    ConflictException conflicted(ConflictInfo c) {
        ReplicaLostException r = lastRefusal;
        return r != null && r.info() == c ? r : new ConflictException(c);
    }

    /**
     * A base the replica no longer holds.
     *
     * @param base   the TXID the pending transactions build on
     * @param newest the highest TXID any level still lists (below the base), 0 when the replica lists nothing
     */
    record Lost(long base, long newest) {
        String found() {
            return newest == 0 ? "it lists no LTX file at all" : "its newest file ends at TXID " + Txid.format(newest);
        }
    }

    /** Null when the replica still holds {@code base} (or {@code base} is 0: nothing to lose), else what was found. */
    Lost check(long base) throws ReplicaException {
        if (skip || base == 0) {
            return null;
        }
        try {
            client.readRange(0, base, base, 0, 1);
            return null; // the base's own L0 file: held, whatever a lagging listing says
        } catch (ReplicaNotFoundException e) {
            // Compacted away, or lost: the levels decide.
        }
        long newest = 0;
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            // A file reaching the base starts at or before it (a base lowered by a refresh lists from the start).
            long from = Long.compareUnsigned(seek[level], base) <= 0 ? seek[level] : 0;
            for (LtxFileInfo f : client.listFiles(level, from, false)) {
                seek[level] = f.minTxid(); // ascending: ends at the newest file of the level
                if (Long.compareUnsigned(f.maxTxid(), newest) > 0) {
                    newest = f.maxTxid();
                }
            }
            if (Long.compareUnsigned(newest, base) >= 0) {
                return null;
            }
        }
        Arrays.fill(seek, 0); // nothing where we looked: the next look lists from the start (self-heals a bad seek)
        return new Lost(base, newest);
    }
}
