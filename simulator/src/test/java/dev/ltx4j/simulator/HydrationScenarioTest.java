package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ltx4j.simulator.property.PropertyFailure;
import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.HydrationScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Scenario;
import dev.ltx4j.simulator.workload.Simulation;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: a hydrated copy equals a restore at the same TXID, and reads (pinned ones included) see exactly their
 * TXID's state, under every store fault the engine scenario uses, crashes mid-hydration, restarts with the replica
 * moving on, damaged sidecars and files, and compaction underneath. Seeds scale with {@code ltx4j.sim.scale}.
 */
class HydrationScenarioTest {
    private static final int OPS = 150;

    @Test
    void aHydratedCopyEqualsARestoreAtItsTxidUnderFaultsAndRestarts() {
        int seeds = 24 * Integer.getInteger("ltx4j.sim.scale", 1);
        HydrationScenario scenario = new HydrationScenario();
        Stats total = new Stats();
        for (long seed = 1; seed <= seeds; seed++) {
            RunResult r = Simulation.run(scenario, seed, OPS, Plans.engineSafe());
            assertThat(r.violation()).as("seed %d: %s", seed, r.violation()).isNull();
            total.addAll(r.stats());
        }
        for (String reached : List.of("hydrated-copy-checked", "hydration-crashed", "hydration-restart",
                "hydration-damaged-sidecar", "hydration-damaged-file", "hydration-compacted", "hydration-failed")) {
            assertThat(total.stateCount(reached)).as(reached).isPositive();
        }
        RunResult first = Simulation.run(scenario, 3, OPS, Plans.engineSafe());
        RunResult again = Simulation.run(scenario, 3, OPS, Plans.engineSafe());
        assertThat(again.traceHash()).isEqualTo(first.traceHash());
        System.out.printf("hydration scenario: %d seeds, %d copies checked, %d crashes, %d restarts, %d compactions%n",
                seeds, total.stateCount("hydrated-copy-checked"), total.stateCount("hydration-crashed"),
                total.stateCount("hydration-restart"), total.stateCount("hydration-compacted"));
    }

    @ParameterizedTest(name = "{0} breaks {1}")
    @CsvSource({
        "hydrate-ignore-pin, hydrated-pinned-read, 80",
        "hydrate-trust-sidecar, hydrated-equals-restore, 120",
    })
    void theBugSwitchesAreFoundShrunkAndReplayed(String bugName, String property, int ops) {
        Set<Bug> bugs = Bug.parseList(bugName);
        Scenario<?> scenario = Simulation.scenario("hydration", bugs);
        PropertyFailure failure = catchThrowableOfType(PropertyFailure.class,
                () -> Simulation.property(scenario, ops, Plans.engineSafe(), bugs).tries(30).seed(1).check());
        assertThat(failure).as("the simulator missed %s within 30 seeds", bugName).isNotNull();
        assertThat(failure.getCause()).isInstanceOf(InvariantViolation.class);
        assertThat(((InvariantViolation) failure.getCause()).property()).isEqualTo(property);
        assertThat((List<?>) failure.minimal()).hasSizeLessThan(((List<?>) failure.original()).size());
        assertThat(failure.getMessage()).contains("--bugs " + bugName);
        RunResult replay = Simulation.run(scenario, failure.seed(), ops, Plans.engineSafe());
        assertThat(replay.violation()).isNotNull();
        RunResult fixed = Simulation.run(Simulation.scenario("hydration", Set.of()), failure.seed(), ops,
                Plans.engineSafe());
        assertThat(fixed.passed()).as("seed %d without %s: %s", failure.seed(), bugName, fixed.violation()).isTrue();
    }
}
