package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.replica.PageRef;

/**
 * Test-only bug switches for the simulator's mutation tests: each re-introduces a known bug class into the sync
 * step so the simulator can prove its oracles catch it. Every switch defaults to off and is never set outside
 * tests; they are process-wide, so a test sets one, runs single-threaded and clears it ({@link #reset()}).
 */
public final class EngineTestHooks {
    /** Upload a transaction with its last page left out (a sync cut in the middle of a transaction). */
    public static volatile boolean cutSyncMidTransaction;
    /** After an upload, leave the stale pre-upload entries in the page map (W1: own upload never indexed). */
    public static volatile boolean forgetOwnUpload;
    /** Upload with the previous, larger commit when the database shrank (the commit drop is ignored). */
    public static volatile boolean ignoreShrink;
    /** Read mode: apply new replica files without checking that they continue the held state (issue 16). */
    public static volatile boolean skipFollowerContinuity;
    /**
     * Take the conflict snapshot outside the commit gate and raise the conflict only after saving it (issue 8
     * item 3): commits acknowledged in between end up neither in the replica nor in the conflict file.
     */
    public static volatile boolean conflictSnapshotRace;

    /** Places in the engine where a deterministic test may run other steps (a simulated preemption). */
    public enum Point {
        /** A sync took its snapshot of the buffer and is about to upload it. */
        SYNC_SNAPSHOT,
        /** A conflict took the snapshot it saves (and, unless {@link #conflictSnapshotRace}, raised the conflict). */
        CONFLICT_SNAPSHOT
    }

    /**
     * Called at each {@link Point} with no engine lock held but {@code syncLock} (and never inside the commit gate):
     * the simulator runs other connections' steps here, as another thread could. Null (the default) does nothing.
     */
    public static volatile java.util.function.Consumer<Point> preemption;
    /** Databases opened while set serve replica pages without verifying their files (corrupt pages served). */
    public static volatile boolean skipPageVerification;

    private EngineTestHooks() {}

    /** Turns every switch off. */
    public static void reset() {
        cutSyncMidTransaction = false;
        forgetOwnUpload = false;
        ignoreShrink = false;
        skipFollowerContinuity = false;
        conflictSnapshotRace = false;
        preemption = null;
        skipPageVerification = false;
    }

    static void preempt(Point at) {
        java.util.function.Consumer<Point> p = preemption;
        if (p != null) {
            p.accept(at);
        }
    }

    static long[] uploadPages(long[] pgnos) {
        return cutSyncMidTransaction && pgnos.length > 1 ? java.util.Arrays.copyOf(pgnos, pgnos.length - 1) : pgnos;
    }

    static long uploadCommit(long commit, long previousCommit) {
        return ignoreShrink ? Math.max(commit, previousCommit) : commit;
    }

    /** The stale entry (null reads as zeros) instead of the uploaded page when {@link #forgetOwnUpload} is on. */
    static PageRef ownUploadEntry(PageRef indexed, PageRef stale) {
        return forgetOwnUpload ? stale : indexed;
    }
}
