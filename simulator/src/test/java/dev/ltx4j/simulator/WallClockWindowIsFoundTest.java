package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.CompactionScenario;
import dev.ltx4j.simulator.workload.EngineScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code wall-clock-window} (the retention window and grace cut measured back from the wall clock alone) needs a
 * forward step of a compactor's clock and then a retention run within one window; drawn by chance under
 * {@code clock-step} that is about one seed in six (docs/simulator-bug-coverage.md). This workload makes it on purpose:
 * commits for a few retention windows, then every compactor's clock steps 2 minutes forward (a VM resumed, an NTP
 * step) and commits go on for 20 s before NTP steps the clocks back. A correct compactor keeps every state of the
 * window on monotonic time for a window after the step; the switch deletes them as 2 minutes old.
 */
class WallClockWindowIsFoundTest {
    static final int SEEDS = 6;
    static final int CYCLES = 1;
    static final long STEP_MILLIS = Duration.ofMinutes(2).toMillis();

    static List<CompactionScenario.Action> stepForwardMidRun() {
        List<CompactionScenario.Action> a = new ArrayList<>();
        int n = 0;
        for (; n < 30; n++) {
            a.add(commit(n));
            a.add(new CompactionScenario.Engine(new EngineScenario.Idle(400)));
        }
        // The switch deletes at once what a correct compactor may delete only a retention window (3-15 s) of monotonic
        // time after the step.
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            stepAll(a, STEP_MILLIS);
            for (int i = 0; i < 50; i++, n++) {
                a.add(commit(n));
                a.add(new CompactionScenario.Engine(new EngineScenario.Idle(400)));
            }
            stepAll(a, -STEP_MILLIS);
        }
        // The files the compactors stamped while ahead stay "in the future" (kept) for the size of the step: the run
        // goes on past it before the liveness phase counts old files (file-count-bound).
        for (int i = 0; i < 30; i++) {
            a.add(new CompactionScenario.Engine(new EngineScenario.Idle(5_000)));
        }
        return a;
    }

    private static void stepAll(List<CompactionScenario.Action> a, long millis) {
        // Each distinct compactor once (which modulo their number would step a lone compactor's clock three times).
        a.add(new CompactionScenario.StepCompactorClock(CompactionScenario.StepCompactorClock.ALL, millis));
    }

    private static CompactionScenario.Action commit(int i) {
        return new CompactionScenario.Engine(new EngineScenario.Commit(
                List.of(new EngineScenario.PageWrite(i % 7, 101 + 2L * i)), 0));
    }

    @Test
    void aForwardStepThenRetentionCatchesTheWallClockWindowOnMostSeeds() {
        List<CompactionScenario.Action> actions = stepForwardMidRun();
        Set<Bug> bug = EnumSet.of(Bug.WALL_CLOCK_WINDOW);
        int caught = 0;
        List<String> found = new ArrayList<>();
        for (long seed = 1; seed <= SEEDS; seed++) {
            RunResult withBug = Simulation.run(new CompactionScenario(bug), seed, actions, FaultPlan.none());
            RunResult fixed = Simulation.run(new CompactionScenario(), seed, actions, FaultPlan.none());
            assertThat(fixed.passed()).as("seed %d without the switch: %s", seed, fixed.violation()).isTrue();
            if (!withBug.passed()) {
                caught++;
                found.add(seed + ": " + withBug.violation().property());
                assertThat(withBug.violation().property()).isEqualTo("retention");
            }
        }
        System.out.println("MEASURE wall-clock-window caught in " + caught + " of " + SEEDS + " seeds: " + found);
        // Caught on seeds 2, 3 and 6 of 1-6: the switch deletes early only what a retention run within one window
        // after the step finds compacted and past its grace (short windows and slow levels miss it).
        assertThat(caught).as("seeds where the deliberate step caught wall-clock-window").isGreaterThanOrEqualTo(2);
    }
}
