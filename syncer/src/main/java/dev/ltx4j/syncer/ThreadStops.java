package dev.ltx4j.syncer;

import java.time.Duration;
import java.util.Collection;
import java.util.StringJoiner;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Bounded waits for the engine's own threads when a database closes (the scheduler's step threads, the fetch pool):
 * close waits for running work to end, but not forever, and says at warn what it left running
 * (docs/engine-time-threads-faults.md, "Closing").
 */
final class ThreadStops {
    private ThreadStops() {}

    /**
     * Waits up to {@code bound} for {@code e} to terminate (after a {@code shutdown} or {@code shutdownNow} by the
     * caller), also when the closing thread is interrupted: the flag is kept for the caller, and the wait goes on
     * (returning early would let the engine close its buffer and client under a running step).
     *
     * @return whether it terminated
     */
    static boolean await(ExecutorService e, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos(); // real threads: real time, not the engine clock
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return e.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException ie) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Each live thread's name and where it is ({@code name at frame < frame < frame}), for the warning. */
    static String describe(Collection<Thread> threads) {
        StringJoiner out = new StringJoiner("; ");
        for (Thread t : threads) {
            if (!t.isAlive()) {
                continue;
            }
            // The top frame (what it waits in), then the first frames outside the JDK (whose work it is).
            StringJoiner at = new StringJoiner(" < ");
            StackTraceElement[] stack = t.getStackTrace();
            int shown = 0;
            for (int i = 0; i < stack.length && shown < 3; i++) {
                String c = stack[i].getClassName();
                if (i == 0 || !(c.startsWith("java.") || c.startsWith("jdk.") || c.startsWith("sun."))) {
                    at.add(stack[i].toString());
                    shown++;
                }
            }
            out.add(t.getName() + (stack.length == 0 ? "" : " at " + at));
        }
        return out.length() == 0 ? "no thread alive any more" : out.toString();
    }

    /** {@code 30s}, {@code 500ms}: a bound as the settings write durations. */
    static String go(Duration d) {
        return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }
}
