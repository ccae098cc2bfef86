package dev.ltx4j.syncer;

import java.time.Instant;

/**
 * The sync and poll steps as the database runs them, under {@code syncLock}: write mode's sync round (applied by
 * {@link WriteSide}, counted and logged by {@link SyncEvents}), and read mode's poll, where the {@link Follower}
 * works out a {@link Follower.Step} and this applies it to the database (the published version, the last error), so
 * the follower writes no field of the database (docs/engine-invariants.md I4).
 */
final class Steps {
    private Steps() {}

    /** See {@link Database#syncOnce}. */
    static SyncOutcome sync(Database db, Instant now) {
        if (!db.writeMode) {
            return new SyncOutcome(SyncOutcome.Status.NOTHING_TO_SYNC, db.current().txid(), 0, 0, null);
        }
        db.syncLock.lock();
        try {
            long started = db.options.clock.millis();
            WriteSide.Synced done = db.writes.syncLocked(now);
            db.events.record(db.name, done.outcome(), done.uploadBytes(),
                    Math.max(0, db.options.clock.millis() - started),
                    done.outcome().status() == SyncOutcome.Status.FAILED ? db.pendingCommits() : 0);
            return done.outcome();
        } finally {
            db.syncLock.unlock();
            db.logNewConflict();
        }
    }

    /** A complete poll, or ({@code scheduled}) what the poll plan says is due; null when it asked nothing. */
    static PollOutcome poll(Database db, Instant now, boolean scheduled) {
        if (db.writeMode) {
            return new PollOutcome(0, db.current().txid(), false, null);
        }
        db.syncLock.lock();
        try {
            Follower.Step step = scheduled ? db.follower.tick(now) : db.follower.poll(now);
            if (step == null) {
                return null;
            }
            if (step.publish() != null) {
                db.versions.publish(step.publish());
            }
            db.reportError(step.lastError());
            return step.outcome();
        } finally {
            db.syncLock.unlock();
        }
    }
}
