package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ltx4j.simulator.property.PropertyFailure;
import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.CompactionScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 10's simulator proof: the real compactor, inside the writer's process and as separate racing processes,
 * under the full fault plan with crash points in the middle of compaction and deletion, keeps every TXID of the
 * retention window restorable to the model's state, loses no acknowledged commit, lets no follower read wrong data
 * and keeps the file count bounded; each compaction bug switch is caught within a documented batch of seeds
 * (docs/simulator-structure.md). Seeds scale with {@code ltx4j.sim.scale}.
 */
class CompactionScenarioTest {
    private static final int OPS = 200;
    /** The batch every bug switch must be caught in (seeds 1..BUG_BATCH). */
    private static final int BUG_BATCH = 8;

    @Test
    void everyPropertyHoldsOnABatchOfSeedsUnderTheFullFaultPlan() {
        int seeds = 8 * Integer.getInteger("ltx4j.sim.scale", 1);
        CompactionScenario scenario = new CompactionScenario();
        Stats total = new Stats();
        for (long seed = 1; seed <= seeds; seed++) {
            RunResult r = Simulation.run(scenario, seed, OPS, FaultPlan.all());
            assertThat(r.violation()).as("seed %d: %s", seed, r.violation()).isNull();
            total.addAll(r.stats());
        }
        assertThat(total.stateCount("liveness")).isEqualTo(seeds);
        // The run did what it is for: compactions at several levels, snapshots, deletions, crashes, races.
        assertThat(total.stateCount("compacted-file-verified")).isPositive();
        assertThat(total.stateCount("files-deleted")).isPositive();
        assertThat(total.stateCount("compactor-crashed")).isPositive();
        assertThat(total.stateCount("compactor-race")).isPositive();
        assertThat(total.stateCount("restores-verified")).isPositive();
        assertThat(total.faultCount(FaultKind.CLOCK_STEP)).as("clock steps (schedule-elapsed, retention across steps)")
                .isPositive();
        System.out.printf("compaction scenario: %d seeds, states %s%n", seeds, total.states());
    }

    /**
     * Seed 4160 (2143 until the page cache swapped a decompressed image into its entry in place, and 272 until the
     * sync's cache warm-up held pages compressed, session 11: both change what the scenario's 8-page cache
     * holds, so which reads reach the replica and the fault draws shift; 104 until the compactor kept its own level
     * outputs, which changed the runs): durability none, an
     * upload whose response was lost (the file landed), a crash that took that commit from the buffer, then a
     * different commit on the old base. The replica's file is the writer's own but holds commits
     * it no longer has: a real fork, which the engine reports as a conflict (README Limitations), not a false one.
     */
    @Test
    void aForkWithTheWritersOwnLostCommitsIsARealConflict() {
        RunResult r = Simulation.run(new CompactionScenario(), 4160, OPS, FaultPlan.all());
        assertThat(r.violation()).as("%s", r.violation()).isNull();
        assertThat(r.stats().stateCount("conflict-own-lost-commits")).isPositive();
        assertThat(r.stats().stateCount("conflict-preserved")).isPositive();
    }

    @Test
    void sameSeedSameTrace() {
        RunResult a = Simulation.run(new CompactionScenario(), 2, OPS, FaultPlan.all());
        RunResult b = Simulation.run(new CompactionScenario(), 2, OPS, FaultPlan.all());
        assertThat(a.passed()).as("%s", a.violation()).isTrue();
        assertThat(b.traceHash()).isEqualTo(a.traceHash());
        assertThat(b.stats().states()).isEqualTo(a.stats().states());
    }

    @ParameterizedTest(name = "{0} breaks {1}")
    @CsvSource({
        "delete-too-early, retention|restore-equals-model",
        "compact-across-gap, compaction-correct|restore-equals-model|follower-wrong-data",
    })
    void compactionBugSwitchIsCaughtWithinTheBatchShrunkAndReplayed(String bugName, String properties) {
        Set<Bug> bugs = Bug.parseList(bugName);
        CompactionScenario scenario = new CompactionScenario(bugs);
        PropertyFailure failure = catchThrowableOfType(PropertyFailure.class,
                () -> Simulation.property(scenario, OPS, FaultPlan.all(), bugs).tries(BUG_BATCH).seed(1)
                        .maxShrinkRuns(30).check());

        assertThat(failure).as("the simulator missed %s within %d seeds", bugName, BUG_BATCH).isNotNull();
        String property = ((InvariantViolation) failure.getCause()).property();
        System.out.printf("%s caught at seed %d (try %s): %s%n", bugName, failure.seed(), failure.getMessage().lines()
                .findFirst().orElse(""), failure.getCause().getMessage());
        assertThat(List.of(properties.split("\\|"))).contains(property);
        assertThat(failure.replayCommand()).contains("--scenario compaction --seed " + failure.seed())
                .contains("--bugs " + bugName);

        RunResult replay = Simulation.run(scenario, failure.seed(), OPS, FaultPlan.all());
        RunResult again = Simulation.run(scenario, failure.seed(), OPS, FaultPlan.all());
        assertThat(replay.violation()).isNotNull();
        assertThat(again.traceHash()).isEqualTo(replay.traceHash());
        RunResult fixed = Simulation.run(new CompactionScenario(), failure.seed(), OPS, FaultPlan.all());
        assertThat(fixed.passed()).as("seed %d without %s: %s", failure.seed(), bugName, fixed.violation()).isTrue();
    }
}
