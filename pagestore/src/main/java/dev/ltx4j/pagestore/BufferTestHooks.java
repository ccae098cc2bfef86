package dev.ltx4j.pagestore;

/**
 * Test-only bug switch for the simulator's mutation tests; off by default and never set outside tests.
 * Process-wide: a test sets it, runs single-threaded and clears it.
 */
public final class BufferTestHooks {
    /** Recover a damaged buffer as if its damage were a torn tail: truncate silently (the old behaviour). */
    public static volatile boolean silentDamageTruncation;

    private BufferTestHooks() {}

    /** Turns every switch off. */
    public static void reset() {
        silentDamageTruncation = false;
    }
}
