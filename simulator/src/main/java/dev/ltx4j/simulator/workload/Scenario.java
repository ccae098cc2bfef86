package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.property.Gen;
import java.util.List;

/**
 * A workload with its oracle: how to generate one action, and how to run a list of actions in a world while
 * checking the safety properties. {@link Simulation} does the seeding, timing and reporting.
 *
 * <p>To add an engine-backed workload later: generate engine-level actions (SQL-ish commits, syncs, polls,
 * crashes), build the engine from the world (its {@link World#clock()}, a {@link dev.ltx4j.simulator.disk.SimDisk}
 * for the write buffer, a {@link dev.ltx4j.simulator.store.SimObjectStore} client for the replica), register its
 * periodic work with {@link dev.ltx4j.simulator.Scheduler#every}, and compare against a reference model.
 *
 * @param <A> the action type; its {@code toString} is what failure reports print
 */
public interface Scenario<A> {

    /** Short name used on the command line and in the regression corpus. */
    String name();

    /** The generator of one action under {@code faults} (e.g. crash actions weighted by the crash probability). */
    Gen<A> action(FaultPlan faults);

    /**
     * Runs {@code actions} in {@code world}, counting operations in the world's stats.
     *
     * @throws dev.ltx4j.simulator.InvariantViolation when a safety property breaks
     */
    void run(World world, List<A> actions) throws Exception;
}
