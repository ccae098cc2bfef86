package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import java.io.IOException;

/**
 * How a {@link Database} takes and lets go of what it holds: the open's load (the replica's state, then in write mode
 * the buffer), the close (final sync, then release) and the clean-up of an open that failed half-way. Either way the
 * buffer is closed, never deleted, and its lock released, so the next open recovers whatever did not reach the
 * replica.
 */
final class Lifecycle {
    private Lifecycle() {}

    /** The replica's latest state as an open (or a refresh) takes it. */
    static ReplicaIndex.OpenedState remoteState(Database db) throws IOException {
        return db.reconciler.loadRemoteState(db.index, db.writeMode);
    }

    /** See {@link Database#open}: read mode starts the follower, write mode opens and reconciles the buffer. */
    static void load(Database db) throws IOException {
        if (!db.writeMode) {
            ReplicaIndex.OpenedState opened = Lifecycle.remoteState(db);
            db.follower.start(opened);
            db.versions.publish(opened.version());
            return;
        }
        DatabaseVersion remote = Lifecycle.remoteState(db).version();
        boolean tracked = remote.txid() == 0 || remote.checksum() != 0;
        db.updateState(s -> s.withTracked(tracked));
        db.writes.open(remote);
    }

    /** The first step of {@link Database#close()}: stops the background work (hydration, fetches, the scheduler). */
    static void stop(Database db) {
        if (db.localCopies != null) {
            db.localCopies.close();
        }
        db.fetches.close();
        db.scheduler().close();
    }

    /** The last step, once the database is marked closed: the failure to report (the sync's, else the release's). */
    static IOException release(Database db, IOException failure) {
        IOException released = releaseResources(db, failure);
        return failure != null ? failure : released;
    }

    /** An open failed: stops what it started and releases the buffer; problems go to {@code failure} as suppressed. */
    static void afterFailedOpen(Database db, Throwable failure) {
        if (db.localCopies != null) {
            db.localCopies.close();
        }
        db.fetches.close();
        releaseResources(db, failure);
    }

    /**
     * Releases the generation and closes the buffer (releasing its lock), whatever state they are in: a close
     * whose final sync failed, or an open that failed half-way, must leave the buffer reopenable.
     *
     * @param into a failure already being reported, which gets release problems as suppressed exceptions
     * @return the release problem when there is no {@code into}, else null
     */
    private static IOException releaseResources(Database db, Throwable into) {
        IOException problem = null;
        LocalGeneration gen = db.versions.dropGenerations();
        // Pins taken before close keep their generation readable until they are closed.
        if (gen != null) {
            gen.release();
        }
        db.options.faults.preempt(EngineFaults.Point.CLOSE_RELEASE); // fault point: a racing round may run here (I13)
        if (db.writes.bufferOrNull() != null) {
            db.writer.acquireUninterruptibly(); // no session may be writing to the buffer it closes
            try {
                problem = db.writes.closeBuffer(into);
            } finally {
                db.writer.release();
            }
        }
        return problem;
    }
}
