package dev.ltx4j.syncer;

import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.util.ArrayList;
import java.util.List;

/**
 * What the follower's next scheduled poll asks the replica (docs/request-economy-follower.md): one request per
 * poll while nothing changes, with the checks a quiet poll leaves out spread over later polls, and an optional
 * back-off of the interval while the replica stays idle. Only the polling thread calls it (under the database's
 * sync lock), except {@link #readStarted()}, which any reader thread may call.
 */
final class PollPlan {
    /** Every this many quiet polls, the one request is an audit instead of the level-0 listing. */
    static final int AUDIT_EVERY = 4;
    /** Quiet polls at one effective interval before it doubles (when back-off is on). */
    static final int QUIET_POLLS_PER_STEP = 4;
    /** Beyond four effective intervals, a pause longer than this makes the next poll complete. */
    static final long LONG_PAUSE_MILLIS = 1000;
    /** Audits alternate the anchor's header with one level above 0: the anchor every other audit. */
    static final int AUDIT_CYCLE = 2 * ReplicaClient.MAX_LEVEL;

    /** What one scheduled poll does. */
    enum Kind {
        /** Not due yet (back-off): no request. */
        SKIP,
        /** One listing of level 0 from its position, compared with the last one. */
        QUICK,
        /** One read of the anchor's header, compared with the held one. */
        AUDIT_ANCHOR,
        /** One listing of {@link #auditLevel()} from its position: anything beyond the held TXID? */
        AUDIT_LEVEL,
        /** Every level listed from its position and the anchor re-read: the complete poll. */
        FULL
    }

    private final long baseMillis;
    private final int maxFactor;
    private volatile int factor = 1;
    /**
     * The last poll's time in milliseconds of the engine clock's monotonic time (docs/request-economy-follower.md): on
     * the wall clock, a clock frozen while time passed (a test clock, a paused or stepped VM) skipped every poll, and
     * a step back skipped them for the size of the step.
     */
    private long lastPollMillis;
    /** The wall clock at the last poll: monotonic time stops while the OS is suspended, the wall clock does not. */
    private long lastPollWallMillis;
    private boolean polled;
    private int quietAtFactor;
    private long quietPolls;
    private long audits;
    private int auditLevel;
    /** Level 0 as the last poll that listed it saw it from the current position; null: unknown (poll in full). */
    private List<Entry> level0;
    private volatile boolean readStarted;

    /**
     * A listed file's identity as far as a listing tells it: a rewritten file has a new upload time or header
     * timestamp ({@link LtxFileInfo#createdAt()}) unless rewritten within the same clock tick with the same size.
     */
    private record Entry(long minTxid, long maxTxid, long size, java.time.Instant createdAt) {}

    PollPlan(long baseMillis, int maxFactor) {
        this.baseMillis = Math.max(1, baseMillis);
        this.maxFactor = Math.max(1, maxFactor);
    }

    /**
     * What the poll at {@code now} (monotonic time in milliseconds, any origin; {@code wallMillis} the wall clock)
     * does. Whether it is due is decided on monotonic time alone; a long pause is either clock's gap, the wall
     * clock's only forward: CLOCK_MONOTONIC stops during a suspend (laptop sleep, VM pause) while the writer may
     * compact and delete the level-0 files past the held position (a forward NTP step costs one extra full poll).
     */
    Kind next(long now, long wallMillis) {
        long expected = (long) factor * baseMillis; // the gap the last poll planned, before a reader resets it
        if (readStarted) {
            readStarted = false;
            factor = 1;
            quietAtFactor = 0;
        }
        if (polled && now - lastPollMillis < (long) factor * baseMillis - baseMillis / 2) {
            return Kind.SKIP; // half an interval of slack: the scheduler's fixed delay drifts late, never early
        }
        long pause = 4 * expected + LONG_PAUSE_MILLIS;
        boolean longPause = polled && (now - lastPollMillis > pause || wallMillis - lastPollWallMillis > pause);
        lastPollMillis = now;
        lastPollWallMillis = wallMillis;
        polled = true;
        if (level0 == null || longPause) {
            // Nothing to compare with, or the follower did not poll for a long time (suspended process, a stuck
            // thread): files may have been compacted and deleted meanwhile, so level 0 alone proves nothing.
            return Kind.FULL;
        }
        if (++quietPolls % AUDIT_EVERY != 0) {
            return Kind.QUICK;
        }
        long step = audits++ % AUDIT_CYCLE;
        if (step % 2 == 0) {
            return Kind.AUDIT_ANCHOR;
        }
        auditLevel = (int) (step / 2) + 1;
        return Kind.AUDIT_LEVEL;
    }

    /** The level an {@link Kind#AUDIT_LEVEL} poll lists. */
    int auditLevel() {
        return auditLevel;
    }

    /** Whether {@code listed} (level 0 from the current position) is what the last listing saw. */
    boolean level0Unchanged(List<LtxFileInfo> listed) {
        return level0 != null && level0.equals(entries(listed, 0));
    }

    /** A poll found nothing new: counts towards the back-off. */
    void quiet() {
        if (maxFactor > 1 && ++quietAtFactor >= QUIET_POLLS_PER_STEP && factor < maxFactor) {
            factor = Math.min(maxFactor, factor * 2);
            quietAtFactor = 0;
        }
    }

    /**
     * A poll listed level 0 (or everything) and applied what it found: {@code listed} are the files it saw (other
     * levels are ignored), {@code position} level 0's position afterwards (-1: cleared, the next poll is complete).
     */
    void listed(List<LtxFileInfo> listed, long position) {
        level0 = position < 0 ? null : entries(listed, position);
    }

    /** Something changed (new files applied, a reload, an explicit poll or refresh): back to the base interval. */
    void changed() {
        factor = 1;
        quietAtFactor = 0;
        quietPolls = 0;
    }

    /** The next poll must be complete (a failed poll, a gap, a reload, a refresh). */
    void forgetLevel0() {
        level0 = null;
    }

    /** A read transaction started: the next scheduled tick polls at the base interval again. */
    void readStarted() {
        if (maxFactor > 1 && factor > 1) {
            readStarted = true;
        }
    }

    long effectiveIntervalMillis() {
        return (long) factor * baseMillis;
    }

    int maxFactor() {
        return maxFactor;
    }

    private static List<Entry> entries(List<LtxFileInfo> files, long from) {
        List<Entry> out = new ArrayList<>();
        for (LtxFileInfo f : files) {
            if (f.level() == 0 && Long.compareUnsigned(f.minTxid(), from) >= 0) {
                out.add(new Entry(f.minTxid(), f.maxTxid(), f.size(), f.createdAt()));
            }
        }
        return out;
    }
}
