package dev.ltx4j.simulator;

import dev.ltx4j.replica.EngineClock;
import java.time.Clock;
import java.time.Duration;

/**
 * Simulated time: a {@link Clock} (hence an {@code InstantSource}) and a {@link #nanoTime()} source that move
 * only when the simulation moves them. Code under test takes this as its injected clock (it is an
 * {@link EngineClock}, whose {@link #sleep} moves simulated time); nothing reads the real time. Time never goes
 * backwards: {@link #advanceTo} ignores targets in the past.
 */
public final class SimClock extends SimWallClock implements EngineClock {
    /** 2025-01-01T00:00:00Z, the default start: fixed so traces and LTX timestamps replay exactly. */
    public static final long DEFAULT_EPOCH_MILLIS = 1_735_689_600_000L;

    private final long epochMillis;
    private long nanos;

    public SimClock() {
        this(DEFAULT_EPOCH_MILLIS);
    }

    /** A clock whose simulated time 0 is {@code epochMillis} wall time. */
    public SimClock(long epochMillis) {
        this.epochMillis = epochMillis;
    }

    /** Simulated nanoseconds since the start of the simulation (the {@code System.nanoTime()} stand-in). */
    public long nanoTime() {
        return nanos;
    }

    /** A simulated wait: moves time forward by {@code d}. */
    @Override
    public void sleep(Duration d) {
        advance(d);
    }

    /** This clock itself. */
    @Override
    public Clock wallClock() {
        return this;
    }

    /** Moves time forward by {@code delta} (at least zero). */
    public void advance(Duration delta) {
        advanceNanos(delta.toNanos());
    }

    /** Moves time forward by {@code deltaNanos} (at least zero). */
    public void advanceNanos(long deltaNanos) {
        if (deltaNanos < 0) {
            throw new IllegalArgumentException("simulated time cannot go back: " + deltaNanos + " ns");
        }
        nanos = Math.addExact(nanos, deltaNanos);
    }

    /** Moves time to {@code targetNanos} if that is later than now. */
    public void advanceTo(long targetNanos) {
        if (targetNanos > nanos) {
            nanos = targetNanos;
        }
    }

    /** The wall time (ms since the epoch) of simulated time 0. */
    long epochMillis() {
        return epochMillis;
    }

    @Override
    protected SimClock world() {
        return this;
    }

    @Override
    protected long offsetMillis() {
        return 0;
    }

    @Override
    public String toString() {
        return "SimClock[t=" + Duration.ofNanos(nanos) + "]";
    }
}
