package dev.ltx4j.syncer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The only thread in the engine: calls a step function (sync or poll) with the injected clock's time every
 * interval, one call at a time. Step functions report failures in their result, so the loop never dies.
 */
final class Scheduler implements AutoCloseable {
    private final ScheduledExecutorService executor;

    Scheduler(String threadName, Duration interval, Clock clock, Function<Instant, ?> step) {
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        long nanos = interval.toNanos();
        executor.scheduleWithFixedDelay(() -> {
            try {
                step.apply(clock.instant());
            } catch (RuntimeException e) {
                // The step records its own failures; an unexpected one must not stop later ticks.
            }
        }, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
