package dev.ltx4j.simulator;

import java.util.Objects;

/**
 * Everything one simulation run shares: the root seed, the simulated clock, the scheduler, the trace, the fault
 * plan and the counters. Components take their own random stream with {@link #random(String)}, derived from the
 * root seed and the component's name, so one component drawing more numbers never changes another's choices.
 */
public final class World {
    private final long seed;
    private final FaultPlan faults;
    private final SimClock clock = new SimClock();
    private final Trace trace;
    private final Scheduler scheduler;
    private final Stats stats = new Stats();

    public World(long seed, FaultPlan faults) {
        this(seed, faults, new Trace());
    }

    public World(long seed, FaultPlan faults, Trace trace) {
        this.seed = seed;
        this.faults = Objects.requireNonNull(faults, "faults");
        this.trace = Objects.requireNonNull(trace, "trace");
        this.scheduler = new Scheduler(clock, trace);
    }

    public long seed() {
        return seed;
    }

    public FaultPlan faults() {
        return faults;
    }

    public SimClock clock() {
        return clock;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public Trace trace() {
        return trace;
    }

    public Stats stats() {
        return stats;
    }

    /** A fresh random stream for {@code component}; the same name always gives the same stream. */
    public SimRandom random(String component) {
        return new SimRandom(Seeds.child(seed, component));
    }

    /** Records an event outside a scheduled step (by a component) at the current simulated time. */
    public void record(String actor, String what) {
        trace.record(clock.nanoTime(), actor, what);
    }

    /** Counts a fault firing and records it. */
    public void fired(FaultKind kind, String detail) {
        stats.fault(kind);
        trace.record(clock.nanoTime(), "fault", kind.cliName() + " " + detail);
    }

    /** Counts an interesting state and records it. */
    public void reached(String state, String detail) {
        stats.state(state);
        trace.record(clock.nanoTime(), "state", state + " " + detail);
    }
}
