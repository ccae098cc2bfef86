package dev.ltx4j.simulator;

import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What happened in a run: how often each fault fired, and how often each interesting state was reached (crash
 * recovered, ambiguous outcome resolved, conflict seen ...). A green run with a fault count of zero proved
 * nothing about that fault, so batches check that every enabled fault fired ("sometimes" assertions).
 */
public final class Stats {
    private final EnumMap<FaultKind, Long> faults = new EnumMap<>(FaultKind.class);
    private final TreeMap<String, Long> states = new TreeMap<>();
    private long operations;

    /** Counts one firing of {@code kind}. */
    public void fault(FaultKind kind) {
        faults.merge(kind, 1L, Long::sum);
    }

    /** Counts one visit of the interesting state {@code name}. */
    public void state(String name) {
        states.merge(name, 1L, Long::sum);
    }

    /** Counts {@code n} workload operations (the unit of throughput). */
    public void operations(long n) {
        operations += n;
    }

    public long operations() {
        return operations;
    }

    public long faultCount(FaultKind kind) {
        return faults.getOrDefault(kind, 0L);
    }

    public long stateCount(String name) {
        return states.getOrDefault(name, 0L);
    }

    /** Fault counts by kind (kinds that never fired are absent). */
    public Map<FaultKind, Long> faults() {
        return new EnumMap<>(faults);
    }

    /** State counts by name, sorted. */
    public Map<String, Long> states() {
        return new TreeMap<>(states);
    }

    /** Adds everything {@code other} counted. */
    public void addAll(Stats other) {
        other.faults.forEach((k, v) -> faults.merge(k, v, Long::sum));
        other.states.forEach((k, v) -> states.merge(k, v, Long::sum));
        operations += other.operations;
    }
}
