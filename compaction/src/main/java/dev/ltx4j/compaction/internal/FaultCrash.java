package dev.ltx4j.compaction.internal;

/**
 * Carries an exception thrown by a {@link dev.ltx4j.compaction.CompactionFaults} crash point through the
 * compactor's own error handling, so it is never mistaken for a storage failure; the public methods unwrap it and
 * rethrow the original unchanged.
 */
public final class FaultCrash extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FaultCrash(Throwable crash) {
        super(crash.toString(), crash, false, false);
    }

    /** Runs a crash point, wrapping whatever it throws. */
    public static void run(CrashPoint point) {
        try {
            point.run();
        } catch (Throwable t) {
            throw new FaultCrash(t);
        }
    }

    /** Rethrows the original crash unchanged (checked or not). */
    public RuntimeException rethrow() {
        throw FaultCrash.<RuntimeException>sneaky(getCause());
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /** A crash point call. */
    @FunctionalInterface
    public interface CrashPoint {
        void run() throws Exception;
    }
}
