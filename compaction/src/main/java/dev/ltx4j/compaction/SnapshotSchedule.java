package dev.ltx4j.compaction;

import dev.ltx4j.compaction.internal.StatusTracker;
import dev.ltx4j.compaction.internal.Timeline;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.time.Duration;
import java.time.Instant;

/**
 * When the next level-9 snapshot is due. Ages are monotonic time where this process knows them (its own snapshot),
 * so a step of the wall clock neither delays a snapshot nor repeats one (docs/compaction.md, "Clock steps").
 */
final class SnapshotSchedule {
    private final ReplicaClient client;
    private final CompactionSettings settings;
    private final StatusTracker tracker;
    private final Timeline timeline;
    /** Not before this monotonic time is the newest snapshot old enough to need a successor (null: look now). */
    private Long nextCheck;
    /** Monotonic time the snapshot part last ran (null: never): the interval between its runs. */
    private Long lastRun;
    /** Key and monotonic time of the newest snapshot this compactor wrote: its interval runs from then. */
    private String own;
    private long ownAt;

    SnapshotSchedule(ReplicaClient client, CompactionSettings settings, StatusTracker tracker, Timeline timeline) {
        this.client = client;
        this.settings = settings;
        this.tracker = tracker;
        this.timeline = timeline;
    }

    boolean due(Instant now) {
        int level = ReplicaClient.SNAPSHOT_LEVEL;
        long mono = timeline.now();
        Duration gap = Compactor.retry(settings.snapshotInterval(), tracker.failed(level));
        if (!settings.snapshotsEnabled() || (lastRun != null && mono - lastRun < gap.toNanos())
                || (nextCheck != null && mono - nextCheck < 0)) {
            return false;
        }
        try {
            LtxFileInfo newest = LtxFiles.newest(client.listFiles(ReplicaClient.SNAPSHOT_LEVEL, 0, false));
            if (newest != null && LtxFiles.key(newest).equals(own)) {
                // Ours: its age is monotonic time, whatever the wall clock did since.
                long left = ownAt + settings.snapshotInterval().toNanos() - mono;
                if (left > 0) {
                    nextCheck = mono + left;
                    return false;
                }
            } else if (newest != null && newest.createdAt() != null) {
                Instant next = newest.createdAt().plus(settings.snapshotInterval());
                if (now.isBefore(next) && !steppedBack(next, now)) {
                    nextCheck = mono + Duration.between(now, next).toNanos();
                    return false;
                }
            }
            return true;
        } catch (ReplicaException e) {
            tracker.failed(ReplicaClient.SNAPSHOT_LEVEL, now, e);
            lastRun = mono;
            return false;
        }
    }

    /**
     * Whether the newest snapshot, due again at {@code next}, was made more than one interval after {@code now}: the
     * wall clock stepped back since (a store's clock a little ahead of ours is not a step). Waiting would delay
     * snapshots by the size of the step.
     */
    private boolean steppedBack(Instant next, Instant now) {
        return next.isAfter(now.plus(settings.snapshotInterval().multipliedBy(2)));
    }

    /** The snapshot part starts running now. */
    void started() {
        lastRun = timeline.now();
    }

    /** The snapshot part ended, with {@code output} written (null: none). */
    void finished(LtxFileInfo output) {
        nextCheck = null;
        if (output != null) {
            own = LtxFiles.key(output);
            ownAt = timeline.now();
        }
    }
}
