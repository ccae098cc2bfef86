package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ltx4j.simulator.property.PropertyFailure;
import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.FollowerScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Scenario;
import dev.ltx4j.simulator.workload.Simulation;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: read-mode followers under a replica that is replaced and rewound, under every store fault the
 * engine scenario uses. Seeds scale with {@code ltx4j.sim.scale}.
 */
class FollowerScenarioTest {
    private static final int OPS = 200;

    @Test
    void followersNeverServeAMixReportEverySwitchAndCatchUp() {
        int seeds = 16 * Integer.getInteger("ltx4j.sim.scale", 1);
        FollowerScenario scenario = new FollowerScenario();
        Stats total = new Stats();
        for (long seed = 1; seed <= seeds; seed++) {
            RunResult r = Simulation.run(scenario, seed, OPS, Plans.engineSafe());
            assertThat(r.violation()).as("seed %d: %s", seed, r.violation()).isNull();
            total.addAll(r.stats());
        }
        assertThat(total.stateCount("liveness")).isEqualTo(seeds);
        assertThat(total.stateCount("replica-replaced")).isPositive();
        assertThat(total.stateCount("replica-rewound")).isPositive();
        assertThat(total.stateCount("follower-switched")).isPositive();
        RunResult first = Simulation.run(scenario, 3, OPS, Plans.engineSafe());
        RunResult again = Simulation.run(scenario, 3, OPS, Plans.engineSafe());
        assertThat(again.traceHash()).isEqualTo(first.traceHash());
        System.out.printf("follower scenario: %d seeds, %d replacements, %d rewinds, %d switches seen,"
                + " %d refused-read states%n", seeds, total.stateCount("replica-replaced"),
                total.stateCount("replica-rewound"), total.stateCount("follower-switched"),
                total.stateCount("follower-reads-refused"));
    }

    @Test
    void skipFollowerContinuityIsFoundShrunkAndReplayed() {
        Set<Bug> bugs = Bug.parseList("skip-follower-continuity");
        Scenario<?> scenario = Simulation.scenario("follower", bugs);
        PropertyFailure failure = catchThrowableOfType(PropertyFailure.class,
                () -> Simulation.property(scenario, OPS, Plans.engineSafe(), bugs).tries(30).seed(1).check());
        assertThat(failure).as("the simulator missed skip-follower-continuity within 30 seeds").isNotNull();
        assertThat(failure.getCause()).isInstanceOf(InvariantViolation.class);
        assertThat(((InvariantViolation) failure.getCause()).property())
                .isIn("follower-no-mix", "follower-report", "liveness");
        assertThat((List<?>) failure.minimal()).hasSizeLessThan(((List<?>) failure.original()).size());
        assertThat(failure.getMessage()).contains("--bugs skip-follower-continuity");
        RunResult replay = Simulation.run(scenario, failure.seed(), OPS, Plans.engineSafe());
        assertThat(replay.violation()).isNotNull();
        RunResult fixed = Simulation.run(Simulation.scenario("follower", Set.of()), failure.seed(), OPS,
                Plans.engineSafe());
        assertThat(fixed.passed()).as("seed %d without the bug: %s", failure.seed(), fixed.violation()).isTrue();
        System.out.println("skip-follower-continuity caught: " + failure.getCause().getMessage());
    }
}
