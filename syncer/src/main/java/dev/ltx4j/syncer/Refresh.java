package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import java.io.IOException;

/**
 * {@link Database#refresh()}'s work: drops the local pending state and takes the replica's latest state, clearing the
 * conflict (write mode), or reloads the replica as a new lineage (read mode). The caller holds the writer slot and
 * {@code syncLock}.
 */
final class Refresh {
    private Refresh() {}

    static void run(Database db) throws IOException {
        if (!db.writeMode) {
            // Read mode reloads from scratch as a new lineage: the replica may be another history by now.
            ReplicaIndex.OpenedState opened = Lifecycle.remoteState(db);
            db.enterDivergence("refreshing");
            db.follower.start(opened);
            db.installReloaded(opened.version());
            db.follower.forgetDivergence();
            db.reportError(null);
            return;
        }
        if (db.state().conflict() == null && db.pendingCommits() > 0) {
            // An interrupted caller's upload failed at once and its commits went to conflicts/ unsynced.
            boolean interrupted = Thread.interrupted();
            try {
                db.writes.syncLocked(db.options.clock.instant()); // upload what can be; a conflict saves the rest
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        DatabaseVersion remote = db.writes.resetForRefresh(Lifecycle.remoteState(db).version());
        db.options.faults.preempt(EngineFaults.Point.REFRESH_RESET);
        boolean tracked = remote.txid() == 0 || remote.checksum() != 0;
        db.updateState(s -> s.withTracked(tracked));
        db.versions.publishBase(remote); // together, so a relocation cannot put back the old base
        db.sync.relistEverything();
        db.compaction.forgetUploads();
        db.follower.relistEverything();
        db.reader().verifier().forgetFailures(); // a replaced corrupt file is verified again
        db.updateState(s -> s.refreshed().withLastError(null));
        db.versions.announceUnknownChange(); // the refresh count changed too (read by the VFS, see refreshCount())
    }
}
