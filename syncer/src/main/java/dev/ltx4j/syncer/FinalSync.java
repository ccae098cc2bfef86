package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.BufferFailedException;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.replica.ReplicaPermanentException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Close's final sync of a write-mode {@link Database}: uploads everything committed, retrying until the close
 * timeout (on monotonic time), and stops early where a retry cannot help (a permanent refusal, a stopped buffer).
 * When commits stay unsynced it returns close's failure and logs one WARN naming them. Holds no state of its own and
 * writes no field of {@link WriteSide} itself: the sync steps it runs ({@link Database#syncOnce}) change the engine's
 * state as any sync does; otherwise it reads the buffer.
 */
final class FinalSync {
    private final Database db;
    private final WriteSide writes;

    FinalSync(Database db) {
        this.db = db;
        this.writes = db.writes;
    }

    /** The write buffer (null before the first write of a new database). */
    private WriteBuffer buffer() {
        return writes.bufferOrNull();
    }

    /**
     * Close's last sync (unless conflicted): syncs everything committed, retrying until the close timeout.
     *
     * @return the failure to report when committed transactions could not be uploaded in time, else null
     */
    SyncFailedException run() {
        EngineOptions options = db.options;
        if (buffer() == null || db.state().conflict() != null) {
            return null;
        }
        // A closing thread whose interrupt flag is set (a cancelled task, shutdownNow) still makes its final sync:
        // the flag made the upload fail and the retry sleep end at once, so the close returned with commits unsynced.
        boolean interrupted = Thread.interrupted();
        try {
            // Monotonic time alone: a wall-clock step back (NTP) stretched the retries by its size, one forward cut them.
            LongSupplier elapsedClock = options.faults.closeRetriesOnWallClock // fault point, off
                    ? () -> options.clock.millis() * 1_000_000L : options.clock::nanoTime;
            long started = elapsedClock.getAsLong();
            // Saturated: a close timeout of centuries (Duration.ofDays(365 * 300)) overflows toNanos().
            long timeoutNanos = options.closeTimeout.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE
                    : options.closeTimeout.toNanos();
            SyncOutcome o = db.syncOnce(options.clock.instant());
            while (o.status() == SyncOutcome.Status.FAILED || (o.status() == SyncOutcome.Status.SYNCED
                    && writes.pendingCommits() > 0)) {
                ReplicaPermanentException refused = o.status() == SyncOutcome.Status.FAILED
                        ? permanentCause(o.error()) : null;
                if (elapsedClock.getAsLong() - started >= timeoutNanos) {
                    return keptAtClose("timed out", (refused != null ? "the replica's credentials were not renewed"
                            : "the replica could not be reached") + " within the close timeout of "
                            + options.closeTimeout.toMillis() + " ms", o.error(), refused == null ? ""
                            : ": " + refused.getMessage());
                }
                // A credential source that was unavailable, or an expired token, may renew before the timeout (a
                // pod's SIGTERM while the metadata endpoint is briefly away): retried like an unreachable store.
                if (refused != null && !refused.credentialsMayRenew()) {
                    // Access denied, a bucket gone, a store refusing every create: the same request gets the same
                    // answer, so retrying until the close timeout only delays the close (docs/field-probes.md, round 7).
                    return keptAtClose("failed", "the replica refused the final sync permanently; the reason is in"
                            + " close's exception and last_error", o.error(), ": the replica refused it permanently: "
                            + refused.getMessage());
                }
                BufferFailedException stopped = o.status() == SyncOutcome.Status.FAILED && buffer().stopped()
                        ? causeOf(o.error(), BufferFailedException.class) : null;
                if (stopped != null) {
                    // The stopped buffer refuses this sync (SyncEngine.checkStoppedBase) until a reopen, not the
                    // replica: retrying until the close timeout would only delay the close and blame the replica.
                    return keptAtClose("failed", "the write buffer stopped after an I/O failure and refuses the final"
                            + " sync until a reopen", o.error(), ": " + stopped.getMessage());
                }
                if (o.status() == SyncOutcome.Status.FAILED) {
                    try {
                        options.clock.sleep(Duration.ofMillis(100));
                    } catch (InterruptedException e) {
                        interrupted = true;
                        return keptAtClose("interrupted", "the close was interrupted while the replica could not"
                                + " be reached", o.error(), "");
                    }
                }
                o = db.syncOnce(options.clock.instant());
            }
            long unforced = writes.pendingCommits();
            if (o.status() == SyncOutcome.Status.NOTHING_TO_SYNC && buffer().stopped() && unforced > 0) {
                // Durability none: commits that succeeded unforced are no sync's to upload from a stopped buffer;
                // a close never keeps commits silently (CloseWarnsOfUnsyncedCommitsTest).
                return keptAtClose("failed", "the write buffer stopped after an I/O failure; " + unforced
                        + " unforced commit(s) are uploaded only after a reopen", null, ": the write buffer stopped"
                        + " after an I/O failure and they were never forced (durability none); a reopen recovers"
                        + " those that reached its file");
            }
            return null;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Close's failure when committed transactions stay unsynced; also one WARN naming the database, how many, the
     * replica TXID they build on and the buffer, so a process that exits (where nobody sees close's exception) does
     * not keep them silently. The cause's text stays out of the log: it is in close's exception.
     */
    private SyncFailedException keptAtClose(String how, String why, Throwable cause, String reason) {
        long pending = writes.pendingCommits();
        long base = db.baseVersion().txid();
        Database.log().warn("database \"{}\": closed with {} committed transaction(s) not on the replica ({}; the"
                + " replica ends at TXID {}, they become TXID {}): they stay in the write buffer {} and are uploaded at"
                + " the next open of this database", db.name, pending, why, Txid.format(base), Txid.format(base + 1),
                buffer().location());
        return new SyncFailedException("close of database \"" + db.name + "\" " + how + " with " + pending
                + " unsynced transaction(s) kept in " + buffer().location() + " (uploaded at the next open)" + reason,
                cause);
    }

    private static <T extends Throwable> T causeOf(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /** The replica's permanent refusal in a failed sync's causes, else null (then the failure may pass). */
    private static ReplicaPermanentException permanentCause(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ReplicaPermanentException permanent) {
                return permanent;
            }
        }
        return null;
    }
}
