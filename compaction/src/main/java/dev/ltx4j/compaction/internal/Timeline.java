package dev.ltx4j.compaction.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;

/**
 * The wall clock as the compactor saw it, against the caller's monotonic time (docs/compaction.md, "Clock steps"): an
 * NTP step or a corrected RTC moves the wall clock, never elapsed time. Answers "how long since" on the monotonic
 * clock and "what did the wall clock read that long ago" across steps, so neither the snapshot interval nor the
 * retention grace stretches or shrinks by the size of a step. Kept as segments of constant wall-minus-monotonic offset:
 * a change beyond {@link #TOLERANCE} (slewing moves it by at most 0.5 ms per second) starts a new segment; segments
 * older than the longest question asked are dropped, so it stays small in a process that lives for years.
 * Not thread-safe (its compactor's one owner calls it).
 */
public final class Timeline {
    /** Offset changes up to this (or a thousandth of the time between two looks) are drift, not a step. */
    static final Duration TOLERANCE = Duration.ofSeconds(1);
    /** At most this many segments are kept (a flapping clock): the oldest are merged away. */
    static final int MAX_SEGMENTS = 64;

    /** A stretch of monotonic time [from, to] over which wall = monotonic + offset (nanoseconds). */
    private static final class Segment {
        final long from;
        long to;
        long offset;

        Segment(long from, long offset) {
            this.from = from;
            this.to = from;
            this.offset = offset;
        }
    }

    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    /**
     * The smallest offset of the segments {@link #MAX_SEGMENTS} evicted (null: none, or no question reaches them any
     * more): a time before the oldest kept segment is answered with it, never extrapolated from a later (forward)
     * offset, which would move the grace cut forward.
     */
    private Long evictedFloor;
    private long lastMono;
    /** The longest question asked so far (nanoseconds): segments it still needs are kept. */
    private long horizon;
    private Instant lastWall;
    private boolean any;

    /**
     * A monotonic time for callers that have none (the wall clock alone): it follows the wall clock forward and stands
     * still when it steps back, so a backward step neither replays nor skips elapsed time (a forward step is not seen).
     */
    public long synthesize(Instant wall) {
        if (!any) {
            return 0;
        }
        long elapsed = nanosBetween(lastWall, wall);
        return lastMono + Math.max(0, elapsed);
    }

    /** Records that the wall clock reads {@code wall} at monotonic time {@code mono}. */
    public void observe(Instant wall, long mono) {
        if (any && mono - lastMono < 0) {
            mono = lastMono; // a caller mixing clocks: never let monotonic time run backwards
        }
        long offset = epochNanos(wall) - mono;
        Segment last = segments.peekLast();
        if (last != null && mono - last.to >= 0) {
            long drift = Math.max(TOLERANCE.toNanos(), (mono - last.to) / 1000);
            if (Math.abs(offset - last.offset) <= drift) {
                last.to = mono;
                last.offset = offset; // follow slow drift
                record(wall, mono);
                return;
            }
        }
        segments.addLast(new Segment(mono, offset));
        while (segments.size() > MAX_SEGMENTS) {
            long gone = segments.removeFirst().offset;
            evictedFloor = evictedFloor == null ? gone : Math.min(evictedFloor, gone);
        }
        record(wall, mono);
    }

    private void record(Instant wall, long mono) {
        lastWall = wall;
        lastMono = mono;
        any = true;
    }

    /** The wall clock at the last observation, in nanoseconds since the epoch (0 before the first). */
    public long wallNanos() {
        return any ? epochNanos(lastWall) : 0;
    }

    /** The monotonic time of the last observation. */
    public long now() {
        return lastMono;
    }

    /**
     * Keeps the segments a question reaching {@code a + b} back will need, before any such question is asked: a shorter
     * one asked first (the retention grace) must not drop what the first long one (the grace plus the window) needs.
     */
    public void keepFor(Duration a, Duration b) {
        horizon = Math.max(horizon, saturatedNanos(a) + saturatedNanos(b));
    }

    /**
     * What the wall clock read {@code ago} before the last observation. Where a step fell between two looks its
     * moment is unknown: the earlier of the two readings is answered (the conservative one for a grace or window cut:
     * keeps more). Before the first look: extrapolated from it; before the oldest kept segment after an eviction: the
     * smallest offset evicted or kept there. Drops what no question asked so far (the longest of them) needs: the
     * grace (15 minutes) must not drop what the retention window (a day) asks next.
     */
    public Instant wallAgo(Duration ago) {
        if (!any) {
            throw new IllegalStateException("no observation yet");
        }
        long nanos = saturatedNanos(ago);
        horizon = Math.max(horizon, nanos);
        long at = lastMono - nanos;
        Instant answer = ofEpochNanos(at + offsetAt(at));
        prune(lastMono - horizon);
        return answer;
    }

    private long offsetAt(long at) {
        Segment before = null;
        Segment after = null;
        for (Segment s : segments) {
            if (s.from - at <= 0) {
                before = s;
            } else if (after == null) {
                after = s;
            }
        }
        if (before == null) {
            // Before the oldest kept segment: the earliest reading any evicted segment could give (conservative).
            return evictedFloor == null ? after.offset : Math.min(evictedFloor, after.offset);
        } else if (at - before.to <= 0 || after == null) {
            return before.offset;
        }
        return Math.min(before.offset, after.offset);
    }

    /** Drops the segments wholly before the one that answers for monotonic time {@code at}. */
    private void prune(long at) {
        Segment before = null;
        for (Segment s : segments) {
            if (s.from - at <= 0) {
                before = s;
            }
        }
        if (before == null) {
            return;
        }
        evictedFloor = null; // the longest question starts inside the kept segments
        while (segments.peekFirst() != before) {
            segments.removeFirst();
        }
    }

    /** {@code d} in nanoseconds, at most about 73 years (a retention of centuries would overflow). */
    private static long saturatedNanos(Duration d) {
        long limit = Long.MAX_VALUE / 4;
        return d.compareTo(Duration.ofNanos(limit)) >= 0 ? limit : d.toNanos();
    }

    private static long epochNanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static Instant ofEpochNanos(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    private static long nanosBetween(Instant a, Instant b) {
        return epochNanos(b) - epochNanos(a);
    }
}
