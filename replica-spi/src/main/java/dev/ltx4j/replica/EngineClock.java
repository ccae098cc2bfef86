package dev.ltx4j.replica;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The engine's one source of time: wall time (commit records, LTX timestamps, status), monotonic time (retry
 * budgets) and waiting (retry backoff, close-time sync retries). Injected once through the engine's options and
 * handed by whoever builds them to the write buffer ({@link #wallClock()}) and the retry layer (an engine clock
 * is a {@link RetryTimer}), so a test or the simulator controls all of the engine's time in one object.
 *
 * <p>It lives in the replica SPI because that is the lowest module every engine module sees (the retry layer is
 * here; pagestore, syncer, the VFS and the simulator depend on it); the LTX codec below it has no notion of time.
 */
public interface EngineClock extends RetryTimer {
    /** Waits; the engine's only way to pass time. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    /** Wall time in milliseconds since the epoch. */
    long millis();

    /** Wall time. */
    Instant instant();

    /** The wall time as a {@link Clock} in UTC, for APIs that take one (the write buffer). */
    default Clock wallClock() {
        return new WallClock(this);
    }

    /** The system's wall clock, {@link System#nanoTime()} and a real blocking wait. */
    static EngineClock system() {
        return of(Clock.systemUTC(), System::nanoTime, d -> TimeUnit.NANOSECONDS.sleep(d.toNanos()));
    }

    /** An engine clock from its three parts (tests: a fixed or manual wall clock and a wait that does not block). */
    static EngineClock of(Clock wall, LongSupplier nanoTime, Sleeper sleeper) {
        Objects.requireNonNull(wall, "wall");
        Objects.requireNonNull(nanoTime, "nanoTime");
        Objects.requireNonNull(sleeper, "sleeper");
        return new EngineClock() {
            @Override
            public long millis() {
                return wall.millis();
            }

            @Override
            public Instant instant() {
                return wall.instant();
            }

            @Override
            public Clock wallClock() {
                return wall;
            }

            @Override
            public long nanoTime() {
                return nanoTime.getAsLong();
            }

            @Override
            public void sleep(Duration d) throws InterruptedException {
                sleeper.sleep(d);
            }

            @Override
            public String toString() {
                return "EngineClock[" + wall + "]";
            }
        };
    }

    /** {@link #wallClock()} of a clock that is not built from a {@link Clock}. */
    final class WallClock extends Clock {
        private final EngineClock clock;

        private WallClock(EngineClock clock) {
            this.clock = clock;
        }

        @Override
        public long millis() {
            return clock.millis();
        }

        @Override
        public Instant instant() {
            return clock.instant();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        /** Always UTC: engine time has no zones. */
        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
