package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.Stats;
import dev.ltx4j.simulator.Trace;
import java.util.List;

/**
 * The outcome of one simulation run.
 *
 * @param scenario   scenario name
 * @param seed       root seed
 * @param ops        actions executed (the length of the action list)
 * @param faults     fault plan spec
 * @param traceHash  hash of the whole trace; equal for equal seeds, actions and plans
 * @param events     trace events recorded
 * @param stats      faults fired and interesting states reached
 * @param simNanos   simulated time at the end
 * @param cpuNanos   CPU time of the running thread (0 where the JVM cannot measure it)
 * @param violation  the broken property, or null
 * @param traceTail  the last trace events, oldest first
 */
public record RunResult(String scenario, long seed, int ops, String faults, long traceHash, long events, Stats stats,
        long simNanos, long cpuNanos, InvariantViolation violation, List<Trace.Event> traceTail) {

    public boolean passed() {
        return violation == null;
    }

    public String traceHashHex() {
        return String.format("%016x", traceHash);
    }

    /** Workload operations per CPU second ({@code NaN} without a CPU measurement). */
    public double opsPerCpuSecond() {
        return cpuNanos <= 0 ? Double.NaN : stats.operations() * 1e9 / cpuNanos;
    }
}
