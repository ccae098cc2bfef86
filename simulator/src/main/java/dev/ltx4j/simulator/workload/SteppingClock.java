package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.SimClock;
import dev.ltx4j.simulator.SimWallClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One process's wall clock: the world's {@link SimClock} plus an offset that clock steps ({@code FaultKind.CLOCK_STEP})
 * move at once, while monotonic time (the world's {@code nanoTime}) runs on unchanged. Keeps every offset it had with
 * the simulated time it took effect, so the retention oracle can ask what the clock read at any earlier moment
 * (docs/simulator-structure.md, "Clock steps").
 */
final class SteppingClock extends SimWallClock {
    /** From this simulated time (ns) on, the wall clock reads the world's wall time plus this offset (ms). */
    private record Offset(long fromNanos, long millis) {}

    private final SimClock world;
    private final long baseMillis;
    private final List<Offset> offsets = new ArrayList<>();

    SteppingClock(SimClock world, long offsetMillis) {
        this.world = world;
        this.baseMillis = offsetMillis;
        offsets.add(new Offset(Long.MIN_VALUE, offsetMillis));
    }

    @Override
    protected SimClock world() {
        return world;
    }

    /** The offset now (ms). */
    @Override
    protected long offsetMillis() {
        return offsets.get(offsets.size() - 1).millis();
    }

    /** The offset this clock started with, which a correction steps back to (ms). */
    long baseMillis() {
        return baseMillis;
    }

    /** The wall clock jumps by {@code deltaMillis} (either sign) now. */
    void step(long deltaMillis) {
        long now = world.nanoTime();
        Offset last = offsets.get(offsets.size() - 1);
        if (last.fromNanos() == now) {
            offsets.set(offsets.size() - 1, new Offset(now, last.millis() + deltaMillis));
        } else {
            offsets.add(new Offset(now, last.millis() + deltaMillis));
        }
    }

    /** Whether the clock ever stepped. */
    boolean stepped() {
        return offsets.size() > 1;
    }

    /** The largest offset this clock had at any simulated time in {@code [fromNanos, toNanos]} (ms). */
    long maxOffsetBetween(long fromNanos, long toNanos) {
        long max = Long.MIN_VALUE;
        for (int i = offsets.size() - 1; i >= 0; i--) {
            Offset o = offsets.get(i);
            if (o.fromNanos() <= toNanos) {
                max = Math.max(max, o.millis());
                if (o.fromNanos() <= fromNanos) {
                    break;
                }
            }
        }
        return max;
    }

    @Override
    public String toString() {
        return "SteppingClock[offset=" + Duration.ofMillis(offsetMillis()) + "]";
    }
}
