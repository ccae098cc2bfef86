package dev.ltx4j.syncer;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.compaction.Compactor;
import dev.ltx4j.compaction.LevelStatus;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.ReplicaClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * When the writer's compaction lane has work (issue 15; docs/request-economy-writer.md): a compactor step lists the
 * levels that are due even when nothing new arrived, so the lane calls it only when
 * <ul>
 *   <li>it never ran in this process (the first step: levels, snapshot and retention as the compactor decides);</li>
 *   <li>a level is due and holds less of the writer's syncs than the level below it (level 0 holds every synced
 *   TXID), or its last run failed or was capped;</li>
 *   <li>a wake-up is due: after the last sync time alone makes work due, the snapshot that takes in the last TXID
 *   (at most one snapshot interval later) and retention of what left the window (one retention window later),
 *   then retention once more after the grace period or its interval, so an idle replica ends compact;</li>
 * </ul>
 * and otherwise makes no request. Only the lane's thread calls it (under the lane's monitor).
 */
final class LaneIdleness {
    private final CompactionSettings settings;
    private final int levels;
    /** Per level 1..n, the highest synced TXID the level is known to hold (through its chain); [0] is unused. */
    private final long[] covered;
    /** Per level 1..n, its last run created a file short of what the level below holds (capped or at a gap). */
    private final boolean[] fellShort;
    private boolean steppedOnce;
    private long seen = -1;
    /**
     * The planned wake-up and retry as deadlines on the engine clock's monotonic time (docs/compaction.md, "Clock
     * steps"): as wall times, a wall clock frozen while time passed (a test clock, a paused or stepped VM) never
     * reached them and a step back delayed them by its size.
     */
    private long nextWake;
    private boolean wakePlanned;
    private int wakesLeft;
    /** A part failed in the last step: step again when the compactor retries it. */
    private long retryAt;
    private boolean retryPlanned;

    LaneIdleness(CompactionSettings settings) {
        this.settings = settings;
        this.levels = settings.levels();
        this.covered = new long[levels + 1];
        this.fellShort = new boolean[levels + 1];
    }

    /** Whether one of the wake-ups after the last sync (or a retry after a failure) is due at monotonic {@code nanos}. */
    boolean wakeDue(long nanos) {
        return wakePlanned && nanos - nextWake >= 0 || retryPlanned && nanos - retryAt >= 0;
    }

    /**
     * Whether the compactor has work at monotonic {@code nanos} with {@code synced} the writer's latest synced TXID;
     * {@code levelDue} tells whether a level's interval has passed (the compactor's {@link Compactor#levelDue}).
     */
    boolean needsStep(long synced, long nanos, IntPredicate levelDue) {
        if (!steppedOnce) {
            return true;
        }
        noteSynced(synced, nanos);
        long below = synced;
        for (int level = 1; level <= levels; level++) {
            // Due as the compactor decides it, on monotonic time: a wall-clock step neither holds nor rushes it.
            if (fellShort[level] || Txid.compare(covered[level], below) < 0 && levelDue.test(level)) { // capped: at once
                return true;
            }
            below = covered[level];
        }
        return false;
    }

    /** Records what a compactor step did: which levels now hold which synced TXIDs, and the next wake-up. */
    void stepped(long synced, long nanos, CompactionStatus before, CompactionStatus after, boolean wake) {
        steppedOnce = true;
        noteSynced(synced, nanos);
        boolean failed = after.retention().lastError() != null;
        long below = synced;
        for (int level = 1; level <= levels; level++) {
            LevelStatus b = before.level(level);
            LevelStatus a = after.level(level);
            if (a != null && !a.equals(b)) { // it ran in this step
                if (a.lastError() != null) {
                    failed = true;
                } else {
                    boolean made = b == null || a.filesCreated() != b.filesCreated()
                            || a.alreadyCompacted() != b.alreadyCompacted();
                    fellShort[level] = made && a.lastFile() != null && Txid.compare(a.lastFile().maxTxid(), below) < 0;
                    if (!fellShort[level]) {
                        covered[level] = Txid.max(covered[level], below);
                    }
                }
            }
            below = covered[level];
        }
        LevelStatus snap = after.level(ReplicaClient.SNAPSHOT_LEVEL);
        failed |= snap != null && snap.lastError() != null;
        retryPlanned = failed;
        retryAt = after(nanos, Compactor.FAILURE_RETRY);
        if (wake && wakePlanned && nanos - nextWake >= 0 && !failed) {
            wakesLeft--;
            wakePlanned = wakesLeft > 0;
            nextWake = after(nanos, max(settings.retentionGrace(), retentionInterval()));
        }
    }

    /** A TXID not seen before starts a new active period and plans the wake-ups after it. */
    private void noteSynced(long synced, long nanos) {
        if (synced == seen) {
            return;
        }
        if (Txid.compare(synced, seen) < 0) {
            Arrays.fill(covered, 0); // another replica history (refresh after a rewind): start over
        }
        seen = synced;
        Duration first = Duration.ZERO;
        if (settings.snapshotsEnabled()) {
            first = max(first, settings.snapshotInterval());
        }
        if (settings.retentionEnabled()) {
            first = max(first, settings.retention());
        }
        wakesLeft = first.isZero() ? 0 : settings.retentionEnabled() ? 2 : 1;
        wakePlanned = wakesLeft > 0;
        nextWake = after(nanos, first);
    }

    /** The compactor's retention interval: its highest level's, or a minute without levels. */
    private Duration retentionInterval() {
        return levels == 0 ? Duration.ofMinutes(1) : settings.interval(levels);
    }

    /**
     * {@code d} after monotonic {@code nanos}, at most about 146 years (a retention of centuries would overflow the
     * nanoseconds; deadlines compare by difference, valid below 2^63 ns).
     */
    private static long after(long nanos, Duration d) {
        long limit = Long.MAX_VALUE / 2;
        return nanos + (d.compareTo(Duration.ofNanos(limit)) >= 0 ? limit : d.toNanos());
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** The monotonic time the next wake-up is planned for, or null (tests). */
    Long nextWake() {
        return wakePlanned ? nextWake : null;
    }
}
