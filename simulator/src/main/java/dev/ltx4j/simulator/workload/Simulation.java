package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.Stats;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.property.Gen;
import dev.ltx4j.simulator.property.ListGen;
import dev.ltx4j.simulator.property.Property;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * Runs scenarios: generates the action list of a seed, runs it in a fresh {@link World}, and measures it. The
 * action list of {@code (seed, ops)} is drawn from {@code Seeds.child(seed, "input")} exactly as a
 * {@link Property} try with that seed draws it, so a property failure's seed replays on the command line.
 */
public final class Simulation {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private Simulation() {}

    /** The scenarios by name, with bug switches: {@code engine}, {@code log-writer} (or {@code log}), {@code uploader}, {@code sql}, {@code corruption}, {@code compaction}. */
    public static Scenario<?> scenario(String name, Set<Bug> bugs) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "engine" -> new EngineScenario(bugs);
            case "log-writer", "log" -> new LogWriterScenario(bugs);
            case "uploader" -> new UploaderScenario(bugs);
            case "sql" -> new SqlScenario(bugs);
            case "sql-readers" -> new SqlScenario(bugs, true); // not in scenarioNames(): "all" batches stay as they were
            case "sql-exclusive" -> new SqlScenario(bugs, true, true); // nor this one
            case "follower" -> new FollowerScenario(bugs);
            case "corruption" -> new CorruptionScenario(bugs);
            case "hydration" -> new HydrationScenario(bugs);
            case "timetravel" -> new TimeTravelScenario(bugs);
            case "compaction" -> new CompactionScenario(bugs);
            default -> throw new IllegalArgumentException("unknown scenario \"" + name
                    + "\"; known: engine, log-writer (log), uploader, sql, sql-readers, sql-exclusive, follower,"
                    + " corruption, hydration, timetravel, compaction");
        };
    }

    /** Names of every scenario. */
    public static List<String> scenarioNames() {
        return List.of("engine", "log-writer", "uploader", "sql", "follower", "corruption", "timetravel", "compaction");
    }

    /** The generator of {@code ops}-long action lists. */
    public static <A> ListGen<A> actionLists(Scenario<A> scenario, int ops, FaultPlan faults) {
        return Gen.listsOf(scenario.action(faults), ops);
    }

    /** The action list of {@code seed}. */
    public static <A> List<A> actions(Scenario<A> scenario, long seed, int ops, FaultPlan faults) {
        return actionLists(scenario, ops, faults).generate(new SimRandom(Seeds.child(seed, "input")));
    }

    /** Generates and runs the actions of {@code seed}. */
    public static <A> RunResult run(Scenario<A> scenario, long seed, int ops, FaultPlan faults) {
        return run(scenario, seed, actions(scenario, seed, ops, faults), faults);
    }

    /** Runs {@code actions} in a fresh world of {@code seed}. Other exceptions than violations propagate. */
    public static <A> RunResult run(Scenario<A> scenario, long seed, List<A> actions, FaultPlan faults) {
        World world = new World(seed, faults);
        long cpu0 = cpuNanos();
        InvariantViolation violation = null;
        try {
            scenario.run(world, actions);
        } catch (InvariantViolation v) {
            violation = v;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("scenario " + scenario.name() + " seed " + seed + " failed: " + e, e);
        }
        long cpu = cpuNanos() - cpu0;
        return new RunResult(scenario.name(), seed, actions.size(), faults.toSpec(), world.trace().hash(),
                world.trace().count(), world.stats(), world.clock().nanoTime(), cpu, violation, world.trace().tail());
    }

    /** The command line that replays {@code seed}. */
    public static String replayCommand(Scenario<?> scenario, long seed, int ops, FaultPlan faults, Set<Bug> bugs) {
        return "ltx4j sim --scenario " + scenario.name() + " --seed " + seed + " --ops " + ops + " --faults "
                + faults.toSpec() + (bugs.isEmpty() ? "" : " --bugs " + String.join(",", bugs.stream().map(Bug::cliName).toList()));
    }

    /**
     * A property: for every seed, running {@code ops} generated actions breaks no invariant. Failures shrink the
     * action list and print the replay command.
     */
    public static <A> Property<List<A>> property(Scenario<A> scenario, int ops, FaultPlan faults, Set<Bug> bugs) {
        return Property.forAll(actionLists(scenario, ops, faults), (seed, actions) -> {
            RunResult r = run(scenario, seed, actions, faults);
            if (r.violation() != null) {
                throw r.violation();
            }
        }).named(scenario.name() + (bugs.isEmpty() ? "" : "+" + bugs))
                .replayCommand((seed, actions) -> replayCommand(scenario, seed, ops, faults, bugs));
    }

    /** {@link #property} without bug switches. */
    public static <A> Property<List<A>> property(Scenario<A> scenario, int ops, FaultPlan faults) {
        return property(scenario, ops, faults, EnumSet.noneOf(Bug.class));
    }

    /** Totals of a batch of runs. */
    public record BatchResult(int runs, Stats stats, long cpuNanos, List<RunResult> failures) {
        /** Enabled fault kinds that never fired in the batch. */
        public List<FaultKind> neverFired(FaultPlan plan) {
            return plan.probabilities().keySet().stream().filter(k -> stats.faultCount(k) == 0).toList();
        }

        public double opsPerCpuSecond() {
            return cpuNanos <= 0 ? Double.NaN : stats.operations() * 1e9 / cpuNanos;
        }
    }

    /**
     * Runs every scenario on consecutive seeds {@code Seeds.child(baseSeed, i)} while {@code more} accepts the
     * CPU nanoseconds spent so far, collecting totals and failures.
     */
    public static BatchResult batch(long baseSeed, int ops, FaultPlan faults, int minRuns, LongPredicate more) {
        return batch(scenarioNames(), baseSeed, ops, faults, minRuns, more);
    }

    /** {@link #batch(long, int, FaultPlan, int, LongPredicate)} over the named scenarios only. */
    public static BatchResult batch(List<String> names, long baseSeed, int ops, FaultPlan faults, int minRuns,
            LongPredicate more) {
        Stats total = new Stats();
        long cpu = 0;
        int runs = 0;
        List<RunResult> failures = new ArrayList<>();
        while (runs < minRuns || more.test(cpu)) {
            long seed = Seeds.child(baseSeed, runs / names.size());
            Scenario<?> s = scenario(names.get(runs % names.size()), EnumSet.noneOf(Bug.class));
            RunResult r = run(s, seed, ops, faults);
            total.addAll(r.stats());
            cpu += r.cpuNanos();
            runs++;
            if (!r.passed()) {
                failures.add(r);
            }
        }
        return new BatchResult(runs, total, cpu, failures);
    }

    static long cpuNanos() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : 0;
    }
}
