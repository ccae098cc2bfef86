package dev.ltx4j.replica;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The clock and the wait used between retries; injected so tests run without real waiting. */
public interface RetryTimer {
    /** A monotonic reading in nanoseconds, like {@link System#nanoTime()}. */
    long nanoTime();

    /** Blocks for {@code duration}. */
    void sleep(Duration duration) throws InterruptedException;

    /** The real monotonic clock and a real blocking wait. */
    static RetryTimer system() {
        return new RetryTimer() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleep(Duration duration) throws InterruptedException {
                TimeUnit.NANOSECONDS.sleep(duration.toNanos());
            }
        };
    }
}
