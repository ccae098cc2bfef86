package dev.ltx4j.replica;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounds for {@link RetryingReplicaClient}: at most {@code maxAttempts} attempts per operation (the first included;
 * a call the backend {@link ReplicaTransientException#backendRetried already retried} counts as the requests it sent),
 * and no new attempt once {@code maxElapsed} would be exceeded by the next wait. Waits grow exponentially from
 * {@code initialBackoff}, capped at {@code maxBackoff}; each wait is jittered to between half and all of its
 * nominal value. When the last failure was an {@link ReplicaTransientException#endpointUnreachable() unreachable
 * endpoint}, the tighter {@code unreachableElapsed} bound applies instead: a store that cannot be connected to makes
 * an operation (and so a database open) fail within seconds, with the reason, rather than after minutes.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxElapsed,
        Duration unreachableElapsed) {
    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(maxElapsed, "maxElapsed");
        Objects.requireNonNull(unreachableElapsed, "unreachableElapsed");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1: " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.isNegative() || maxElapsed.isNegative()
                || unreachableElapsed.isNegative()) {
            throw new IllegalArgumentException("retry durations must not be negative");
        }
    }

    /** A policy whose unreachable-endpoint bound is {@code maxElapsed} itself. */
    public RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxElapsed) {
        this(maxAttempts, initialBackoff, maxBackoff, maxElapsed, maxElapsed);
    }

    /** 8 attempts, 100 ms doubling to 10 s, at most 2 minutes in total, at most 10 s while the endpoint is unreachable. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(8, Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofMinutes(2),
                Duration.ofSeconds(10));
    }

    /** Nominal wait before attempt {@code attempt + 1} (attempt counts from 1), before jitter. */
    Duration nominalBackoff(int attempt) {
        int shift = Math.min(attempt - 1, 30);
        long nanos = initialBackoff.toNanos();
        long grown = nanos > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : nanos << shift;
        return Duration.ofNanos(Math.min(grown, maxBackoff.toNanos()));
    }
}
