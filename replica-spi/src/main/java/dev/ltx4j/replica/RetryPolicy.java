package dev.ltx4j.replica;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounds for {@link RetryingReplicaClient}: at most {@code maxAttempts} calls per operation (the first included),
 * and no new attempt once {@code maxElapsed} would be exceeded by the next wait. Waits grow exponentially from
 * {@code initialBackoff}, capped at {@code maxBackoff}; each wait is jittered to between half and all of its
 * nominal value.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxElapsed) {
    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(maxElapsed, "maxElapsed");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1: " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.isNegative() || maxElapsed.isNegative()) {
            throw new IllegalArgumentException("retry durations must not be negative");
        }
    }

    /** 8 attempts, 100 ms doubling to 10 s, at most 2 minutes in total. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(8, Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofMinutes(2));
    }

    /** Nominal wait before attempt {@code attempt + 1} (attempt counts from 1), before jitter. */
    Duration nominalBackoff(int attempt) {
        int shift = Math.min(attempt - 1, 30);
        long nanos = initialBackoff.toNanos();
        long grown = nanos > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : nanos << shift;
        return Duration.ofNanos(Math.min(grown, maxBackoff.toNanos()));
    }
}
