package dev.ltx4j.syncer;

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
    /** Databases opened while set serve replica pages without verifying their files (corrupt pages served). */
    public static volatile boolean skipPageVerification;

    private EngineTestHooks() {}

    /** Turns every switch off. */
    public static void reset() {
        cutSyncMidTransaction = false;
        forgetOwnUpload = false;
        ignoreShrink = false;
        skipPageVerification = false;
    }

    static long[] uploadPages(long[] pgnos) {
        return cutSyncMidTransaction && pgnos.length > 1 ? java.util.Arrays.copyOf(pgnos, pgnos.length - 1) : pgnos;
    }

    static long uploadCommit(long commit, long previousCommit) {
        return ignoreShrink ? Math.max(commit, previousCommit) : commit;
    }

    /** The stale entry (null reads as zeros) instead of the uploaded page when {@link #forgetOwnUpload} is on. */
    static Object ownUploadEntry(Object indexed, Object stale) {
        return forgetOwnUpload ? stale : indexed;
    }
}
