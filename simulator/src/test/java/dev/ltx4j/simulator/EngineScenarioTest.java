package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ltx4j.simulator.property.Property;
import dev.ltx4j.simulator.property.PropertyFailure;
import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.EngineScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine scenario: the real syncer keeps every property under the faults it survives today
 * ({@link Plans#engineSafe()}), replays exactly, and each engine bug switch is found, shrunk and replayed.
 * Tries scale with {@code ltx4j.sim.scale}.
 */
class EngineScenarioTest {

    @Test
    void engineKeepsEveryPropertyUnderCrashesRacesAndAmbiguousUploads() {
        Property.Result r = Simulation.property(new EngineScenario(), 150, Plans.engineSafe()).tries(6)
                .maxShrinkRuns(100).check();
        assertThat(r.tries()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void sameSeedSameTraceAndEveryRunReachesLiveness() {
        for (long seed = 1; seed <= 2; seed++) {
            RunResult a = Simulation.run(new EngineScenario(), seed, 120, Plans.engineSafe());
            RunResult b = Simulation.run(new EngineScenario(), seed, 120, Plans.engineSafe());
            assertThat(a.passed()).as("seed %d: %s", seed, a.violation()).isTrue();
            assertThat(b.traceHash()).isEqualTo(a.traceHash());
            assertThat(b.stats().states()).isEqualTo(a.stats().states());
            assertThat(a.stats().stateCount("liveness")).isEqualTo(1);
            assertThat(a.stats().stateCount("restore-verified")).isEqualTo(1);
            assertThat(a.stats().operations()).isGreaterThan(120);
        }
    }

    @ParameterizedTest(name = "{0} breaks {1}")
    @CsvSource({
        "skip-fsync, durability|availability|conflict-preserved",
        "overwrite-upload, lost-acknowledged-write|no-fork",
        "cut-sync-mid-transaction, atomicity",
        "forget-own-upload, read-your-writes",
        "ignore-shrink, atomicity",
        "wal-page-one, sqlite-view",
    })
    void engineBugSwitchIsFoundShrunkAndReplayed(String bugName, String properties) {
        Set<Bug> bugs = Bug.parseList(bugName);
        EngineScenario scenario = new EngineScenario(bugs);
        int ops = 100;
        PropertyFailure failure = catchThrowableOfType(PropertyFailure.class,
                () -> Simulation.property(scenario, ops, Plans.engineSafe(), bugs).tries(10).seed(1)
                        .maxShrinkRuns(40).check());

        assertThat(failure).as("the simulator missed %s within 10 seeds", bugName).isNotNull();
        String property = ((InvariantViolation) failure.getCause()).property();
        assertThat(List.of(properties.split("\\|"))).contains(property);
        assertThat((List<?>) failure.minimal()).hasSizeLessThan(((List<?>) failure.original()).size());
        assertThat(failure.replayCommand()).contains("--scenario engine --seed " + failure.seed())
                .contains("--bugs " + bugName);

        RunResult replay = Simulation.run(scenario, failure.seed(), ops, Plans.engineSafe());
        RunResult again = Simulation.run(scenario, failure.seed(), ops, Plans.engineSafe());
        assertThat(replay.violation()).isNotNull();
        assertThat(again.traceHash()).isEqualTo(replay.traceHash());
        RunResult fixed = Simulation.run(new EngineScenario(), failure.seed(), ops, Plans.engineSafe());
        assertThat(fixed.passed()).as("seed %d without %s: %s", failure.seed(), bugName, fixed.violation()).isTrue();
    }
}
