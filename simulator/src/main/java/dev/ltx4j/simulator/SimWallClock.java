package dev.ltx4j.simulator;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A wall clock of the simulated world: the world's {@link SimClock} time plus an offset in milliseconds. The world's
 * own clock is the one with offset 0; a process's clock that steps ({@code SteppingClock}) moves its offset while the
 * world's time (and monotonic time) runs on. UTC only: simulated time has no zones.
 */
public abstract class SimWallClock extends Clock {
    protected SimWallClock() {
    }

    /** The world's clock this one reads. */
    protected abstract SimClock world();

    /** What this clock reads beyond the world's wall time now (ms, either sign). */
    protected abstract long offsetMillis();

    @Override
    public final long millis() {
        SimClock w = world();
        return w.epochMillis() + Math.floorDiv(w.nanoTime(), 1_000_000L) + offsetMillis();
    }

    @Override
    public final Instant instant() {
        SimClock w = world();
        return Instant.ofEpochMilli(w.epochMillis() + offsetMillis()).plusNanos(w.nanoTime());
    }

    @Override
    public final ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /** Always this clock, in UTC. */
    @Override
    public final Clock withZone(ZoneId zone) {
        return this;
    }
}
