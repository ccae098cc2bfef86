package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ltx4j.simulator.property.PropertyFailure;
import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Scenario;
import dev.ltx4j.simulator.workload.Simulation;
import dev.ltx4j.simulator.workload.TimeTravelScenario;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: for random times (exact commit times, times inside compacted windows, before the oldest retained state,
 * in the future) the engine reads exactly the model's state at the newest retained TXID at or before the time,
 * under the engine scenario's store faults. Seeds scale with {@code ltx4j.sim.scale}.
 */
class TimeTravelScenarioTest {
    private static final int OPS = 200;

    @Test
    void everyTimeReadsTheModelsStateAtThatTime() {
        int seeds = 16 * Integer.getInteger("ltx4j.sim.scale", 1);
        TimeTravelScenario scenario = new TimeTravelScenario();
        Stats total = new Stats();
        for (long seed = 1; seed <= seeds; seed++) {
            RunResult r = Simulation.run(scenario, seed, OPS, Plans.engineSafe());
            assertThat(r.violation()).as("seed %d: %s", seed, r.violation()).isNull();
            total.addAll(r.stats());
        }
        assertThat(total.stateCount("liveness")).isEqualTo(seeds);
        assertThat(total.stateCount("travel-answered-after-compaction")).isPositive();
        assertThat(total.stateCount("travel-before-oldest")).isPositive();
        assertThat(total.stateCount("travel-future")).isPositive();
        assertThat(total.stateCount("compacted")).isPositive();
        RunResult first = Simulation.run(scenario, 3, OPS, Plans.engineSafe());
        RunResult again = Simulation.run(scenario, 3, OPS, Plans.engineSafe());
        assertThat(again.traceHash()).isEqualTo(first.traceHash());
        System.out.printf("timetravel scenario: %d seeds, %d answers (%d after compaction), %d before the oldest,"
                + " %d future, %d under faults, %d failed under faults%n", seeds, total.stateCount("travel-answered"),
                total.stateCount("travel-answered-after-compaction"), total.stateCount("travel-before-oldest"),
                total.stateCount("travel-future"), total.stateCount("travel-under-faults"),
                total.stateCount("travel-failed-under-faults"));
    }

    @Test
    void strictlyBeforeIsFoundShrunkAndReplayed() {
        Set<Bug> bugs = Bug.parseList("time-travel-strictly-before");
        Scenario<?> scenario = Simulation.scenario("timetravel", bugs);
        PropertyFailure failure = catchThrowableOfType(PropertyFailure.class,
                () -> Simulation.property(scenario, OPS, Plans.engineSafe(), bugs).tries(30).seed(1).check());
        assertThat(failure).as("the simulator missed time-travel-strictly-before within 30 seeds").isNotNull();
        assertThat(failure.getCause()).isInstanceOf(InvariantViolation.class);
        assertThat(((InvariantViolation) failure.getCause()).property()).isEqualTo("time-travel");
        assertThat((List<?>) failure.minimal()).hasSizeLessThan(((List<?>) failure.original()).size());
        assertThat(failure.getMessage()).contains("--bugs time-travel-strictly-before");
        RunResult fixed = Simulation.run(Simulation.scenario("timetravel", Set.of()), failure.seed(), OPS,
                Plans.engineSafe());
        assertThat(fixed.passed()).as("seed %d without the bug: %s", failure.seed(), fixed.violation()).isTrue();
        System.out.println("time-travel-strictly-before caught: " + failure.getCause().getMessage());
    }
}
