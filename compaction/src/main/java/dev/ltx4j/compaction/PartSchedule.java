package dev.ltx4j.compaction;

import dev.ltx4j.compaction.internal.Timeline;
import dev.ltx4j.replica.ReplicaClient;
import java.time.Duration;

/**
 * When each level compaction and retention is due: its last run in this compactor plus its interval, on monotonic
 * time (docs/compaction.md, "Clock steps"). As wall times a step back stopped them for the size of the step (or, with
 * the earlier "a last run in the future is due" rule, ran them at once), a forward step ran every level and retention
 * at once, and a wall clock that stood still while time passed held them. Not thread-safe (the compactor's owner).
 */
final class PartSchedule {
    /** The index of retention; levels use 1..8. */
    static final int RETENTION = 0;

    private final Timeline timeline;
    /** The bug switch {@link CompactionFaults#wallClockSchedule()}: the schedule as it was before session 12. */
    private final boolean wallClock;
    private final long[] ranAt = new long[ReplicaClient.MAX_LEVEL + 1];
    private final boolean[] ran = new boolean[ReplicaClient.MAX_LEVEL + 1];

    PartSchedule(Timeline timeline, boolean wallClock) {
        this.timeline = timeline;
        this.wallClock = wallClock;
    }

    /** {@code part} runs at the last observation. */
    void ran(int part) {
        ranAt[part] = now();
        ran[part] = true;
    }

    /** Whether {@code part} is due at the last observation: never ran here, or {@code interval} has passed. */
    boolean due(int part, Duration interval) {
        long since = now() - ranAt[part];
        return !ran[part] || since >= saturatedNanos(interval) || (wallClock && since < 0);
    }

    private long now() {
        return wallClock ? timeline.wallNanos() : timeline.now();
    }

    /** {@code d} in nanoseconds, at most about 73 years (deadlines compare by difference). */
    private static long saturatedNanos(Duration d) {
        long limit = Long.MAX_VALUE / 4;
        return d.compareTo(Duration.ofNanos(limit)) >= 0 ? limit : d.toNanos();
    }
}
