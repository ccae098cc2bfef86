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
import org.junit.jupiter.api.Test;

/**
 * The writer's own clock in the compaction scenario (docs/simulator-structure.md, "Clock steps"): close's final sync
 * retries against a store that does not answer while the writer's wall clock steps an hour forward, a day back, or its
 * host is suspended for an hour (monotonic time stands still while compactors, followers and the store run on). The
 * close must give up after its timeout of monotonic time, not earlier and not a day later ({@code close-retries});
 * everything else the scenario checks holds through it. {@code close-retries-on-wall-clock} (the retries timed on the
 * wall clock, before session 13) is caught.
 */
class CloseRetriesUnderClockStepTest {
    static final int SEEDS = 4;

    static final CompactionScenario.CloseUnderClockStep FORWARD =
            new CompactionScenario.CloseUnderClockStep(Duration.ofHours(1).toMillis(), 0);
    static final CompactionScenario.CloseUnderClockStep SUSPEND =
            new CompactionScenario.CloseUnderClockStep(0, Duration.ofHours(1).toMillis());
    static final CompactionScenario.CloseUnderClockStep BACK =
            new CompactionScenario.CloseUnderClockStep(-Duration.ofDays(1).toMillis(), 0);

    static List<CompactionScenario.Action> closesUnderSteps() {
        return closesUnder(List.of(FORWARD, SUSPEND, BACK));
    }

    static List<CompactionScenario.Action> closesUnder(List<CompactionScenario.CloseUnderClockStep> steps) {
        List<CompactionScenario.Action> a = new ArrayList<>();
        int n = 0;
        for (CompactionScenario.CloseUnderClockStep step : steps) {
            for (int i = 0; i < 8; i++, n++) {
                a.add(new CompactionScenario.Engine(new EngineScenario.Commit(
                        List.of(new EngineScenario.PageWrite(n % 5, 301 + 2L * n)), 0)));
                a.add(new CompactionScenario.Engine(new EngineScenario.Idle(300)));
            }
            a.add(step);
        }
        for (int i = 0; i < 10; i++, n++) {
            a.add(new CompactionScenario.Engine(new EngineScenario.Commit(
                    List.of(new EngineScenario.PageWrite(n % 5, 301 + 2L * n)), 0)));
            a.add(new CompactionScenario.Engine(new EngineScenario.Idle(500)));
        }
        return a;
    }

    @Test
    void closeRetriesForItsTimeoutOfMonotonicTimeAndTheWallClockSwitchIsCaught() {
        List<CompactionScenario.Action> actions = closesUnderSteps();
        long retried = 0;
        int caught = 0;
        List<String> found = new ArrayList<>();
        for (long seed = 1; seed <= SEEDS; seed++) {
            RunResult fixed = Simulation.run(new CompactionScenario(), seed, actions, FaultPlan.none());
            assertThat(fixed.passed()).as("seed %d: %s", seed, fixed.violation()).isTrue();
            retried += fixed.stats().stateCount("close-retried-through-clock-step");
            RunResult withBug = Simulation.run(new CompactionScenario(EnumSet.of(Bug.CLOSE_RETRIES_ON_WALL_CLOCK)),
                    seed, actions, FaultPlan.none());
            if (!withBug.passed()) {
                caught++;
                found.add(seed + ": " + withBug.violation().property() + " " + withBug.violation().getMessage());
                assertThat(withBug.violation().property()).isEqualTo("close-retries");
            }
        }
        System.out.println("MEASURE close under clock steps: " + retried + " closes retried through a step in "
                + SEEDS + " seeds; close-retries-on-wall-clock caught in " + caught + ": " + found);
        assertThat(retried).as("closes that retried through a step or suspend").isGreaterThanOrEqualTo(SEEDS);
        assertThat(caught).as("seeds where close-retries-on-wall-clock was caught").isEqualTo(SEEDS);
        // Each kind alone catches it too: a suspend ends the wall-clock close early, a day back stretches it.
        for (CompactionScenario.CloseUnderClockStep only : List.of(SUSPEND, BACK)) {
            RunResult r = Simulation.run(new CompactionScenario(EnumSet.of(Bug.CLOSE_RETRIES_ON_WALL_CLOCK)), 1,
                    closesUnder(List.of(only)), FaultPlan.none());
            assertThat(r.passed()).as("%s alone with the switch", only).isFalse();
            assertThat(r.violation().property()).isEqualTo("close-retries");
            System.out.println("MEASURE " + only + " alone: " + r.violation().getMessage());
        }
    }
}
