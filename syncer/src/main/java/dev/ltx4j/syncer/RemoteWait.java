package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.WriteBuffer;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@code remote}-durability commit's wait for the replica, after its transaction is durable and visible locally
 * (so the committing session's writer slot is already released). Every way the wait ends other than "the replica
 * holds it" is reported as committed locally, never as an ordinary failure that an application would answer by
 * running the transaction again: {@link SyncFailedException} (not uploaded), {@link CommitOutcomeUnknownException}
 * (the replica may hold it), {@link ConflictAfterCommitException} (another writer's file won; saved under
 * {@code conflicts/}). See docs/remote-durability-unknown-outcome.md. Writes no field of {@link WriteSide}; it
 * reads {@code syncedSeq} and runs {@link WriteSide#syncLocked} under {@code syncLock}.
 */
final class RemoteWait {
    /**
     * Rounds a remote-durability commit spends asking the replica again after a create whose outcome stayed unknown
     * (each round first looks at what the replica holds at the base + 1, then creates only where nothing is).
     */
    static final int UNKNOWN_OUTCOME_ROUNDS = 3;
    /**
     * The pause before the first of those rounds, doubled before each next one (100, 200, 400 ms): a replica that
     * just lost a response (a reset connection, a timeout) is given time to recover instead of being asked again at
     * once, three times within milliseconds. Waited on the engine clock, outside {@code syncLock}.
     */
    static final Duration UNKNOWN_OUTCOME_PAUSE = Duration.ofMillis(100);

    /** One waiting commit; a refresh that drops its transaction unsynced says so here (under syncLock). */
    static final class Waiter {
        final long seq;
        volatile String dropped;

        private Waiter(long seq) {
            this.seq = seq;
        }
    }

    private final Database db;
    private final WriteSide writes;
    private final Set<Waiter> waiting = ConcurrentHashMap.newKeySet();

    RemoteWait(Database db, WriteSide writes) {
        this.db = db;
        this.writes = writes;
    }

    /**
     * A refresh is about to drop the buffer's transactions after {@code syncedSeq} (saved under {@code conflicts/}
     * first, I7): commits still waiting for them are told so instead of seeing them "synced" once the reset moves
     * the synced sequence number past them. Callers hold {@code syncLock}.
     */
    void droppingUnsynced(long syncedSeq, String where) {
        for (Waiter w : waiting) {
            if (w.seq > syncedSeq) {
                w.dropped = where;
            }
        }
    }

    /**
     * Waits until a sync holding {@code seq} is acknowledged. A failed sync is reported only once the replica has
     * been asked what it holds: after a create of unknown outcome (a lost response, a timeout after sending) the
     * transaction may be there already, and an application told "failed" would run it again and store it twice. So
     * such a failure is followed by up to {@link #UNKNOWN_OUTCOME_ROUNDS} rounds, paced by
     * {@link #UNKNOWN_OUTCOME_PAUSE}, each of which adopts the file if it landed or sends it again on the same TXID
     * (create-if-absent) if it did not; if the replica still cannot tell, the commit fails with
     * {@link CommitOutcomeUnknownException}, which says not to run the transaction again.
     */
    /**
     * Registers the wait of the commit of {@code seq} (null unless durability is {@code remote}); called while the
     * committing session still holds the writer slot, so a refresh (which takes it) cannot run unseen before.
     */
    Waiter register(long seq) {
        if (db.options.durability != Durability.REMOTE) {
            return null;
        }
        Waiter w = new Waiter(seq);
        waiting.add(w);
        return w;
    }

    void await(Waiter me) throws IOException {
        if (me == null) {
            return;
        }
        try {
            awaitAs(me);
        } finally {
            waiting.remove(me);
        }
    }

    private void awaitAs(Waiter me) throws IOException {
        long seq = me.seq;
        int unknownRounds = 0;
        while (true) {
            SyncOutcome unknownOutcome = null;
            db.syncLock.lock();
            try {
                if (me.dropped != null) {
                    throw droppedByRefresh(seq, me.dropped); // before the synced check: the reset moved it past
                }
                if (writes.syncedSeq() >= seq) {
                    return;
                }
                ConflictInfo c = db.state().conflict();
                if (c != null) {
                    throw conflictAfterCommit(seq, new ConflictException(c));
                }
                if (db.isClosed() && !db.options.faults.roundAfterClose) {
                    throw closedWhileWaiting(seq); // closed during the pause: no round on a released buffer (I13)
                }
                SyncOutcome o = writes.syncLocked(db.options.clock.instant()).outcome();
                if (o.status() == SyncOutcome.Status.CONFLICT) {
                    db.logNewConflict();
                    throw conflictAfterCommit(seq, (ConflictException) o.error());
                }
                if (o.status() == SyncOutcome.Status.FAILED) {
                    boolean unknown = !db.options.faults.blindRemoteRetry && commitStateUnknown();
                    if (unknown && unknownRounds++ < UNKNOWN_OUTCOME_ROUNDS) {
                        unknownOutcome = o; // ask the replica what it holds before telling the application anything
                    } else if (unknown) {
                        throw outcomeUnknown(seq, o, "");
                    } else {
                        throw new SyncFailedException("upload failed: transaction " + seq + " of database \""
                                + db.name + "\" is committed locally but its upload failed (a later sync retries it;"
                                + " do not run the transaction again): " + o.error().getMessage(), o.error());
                    }
                }
                if (o.status() == SyncOutcome.Status.NOTHING_TO_SYNC && writes.syncedSeq() < seq) {
                    // Committed locally (the commit record is durable) but no round holds it: not "failed".
                    throw new SyncFailedException("upload failed: transaction " + seq + " of database \"" + db.name
                            + "\" is committed locally in the write buffer " + location() + " but no sync holds it"
                            + " (synced through " + writes.syncedSeq() + "); a later sync or the next open uploads"
                            + " it; do not run the transaction again", null);
                }
            } finally {
                db.syncLock.unlock();
            }
            if (unknownOutcome != null) {
                try {
                    db.options.clock.sleep(UNKNOWN_OUTCOME_PAUSE.multipliedBy(1L << (unknownRounds - 1)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw outcomeUnknown(seq, unknownOutcome, " (interrupted while waiting to ask the replica again)");
                }
            }
        }
    }

    private String location() {
        WriteBuffer b = writes.bufferOrNull();
        return b == null ? "(none)" : b.location();
    }

    private CommitOutcomeUnknownException outcomeUnknown(long seq, SyncOutcome o, String why) {
        return new CommitOutcomeUnknownException("outcome unknown: transaction " + seq + " of database \"" + db.name
                + "\" is committed locally, but whether the replica holds it is unknown" + why + " (an upload's"
                + " response was lost and the replica could not be read back: " + o.error().getMessage() + "). Do not"
                + " run the transaction again: a later sync finds it on the replica or uploads it, exactly once",
                o.error());
    }

    /** The wait found a conflict: the transaction stands locally and is in the conflict's saved file (I6). */
    private ConflictAfterCommitException conflictAfterCommit(long seq, ConflictException found) {
        return new ConflictAfterCommitException("conflict after commit: transaction " + seq + " of database \""
                + db.name + "\" is committed locally (visible to this process's connections) but will not be uploaded:"
                + " " + found.getMessage() + ". Running it again fails until a refresh; the refresh drops it from the"
                + " database (the saved file keeps it)", found.info(), found);
    }

    private SyncFailedException droppedByRefresh(long seq, String where) {
        return new SyncFailedException("upload failed: transaction " + seq + " of database \"" + db.name + "\" was"
                + " committed locally, but a refresh ran while it waited for the replica and dropped it unsynced: "
                + where + ". The database no longer shows it; the replica does not hold it", null);
    }

    /** The commit's wait ends because the database was closed (by another thread) before the replica confirmed it. */
    private SyncFailedException closedWhileWaiting(long seq) {
        String kept = "database \"" + db.name + "\" was closed while transaction " + seq + " waited for the replica;"
                + " it is committed locally and kept in the write buffer " + location();
        if (commitStateUnknown()) {
            return new CommitOutcomeUnknownException("outcome unknown: " + kept + ", but whether the replica holds it"
                    + " is unknown (an upload's response was lost). Do not run the transaction again: the next open"
                    + " finds it on the replica or uploads it, exactly once", null);
        }
        return new SyncFailedException("upload failed: " + kept + " and is uploaded at the next open (do not run the"
                + " transaction again)", null);
    }

    /** Whether a create on the buffer's current base left an outcome no read-back has settled yet. */
    private boolean commitStateUnknown() {
        WriteBuffer b = writes.bufferOrNull();
        return b != null && db.ownUploads.outcomeUnknownOn(b.base().txid());
    }
}
