package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ltx4j.simulator.property.PropertyFailure;
import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Scenario;
import dev.ltx4j.simulator.workload.Simulation;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Mutation check of the oracles: each bug switch re-introduces a bug class, and the simulator must find it within
 * a bounded number of seeds, shrink it, and replay it from the printed seed.
 */
class BugsAreFoundTest {

    @ParameterizedTest(name = "{0} breaks {2}")
    @CsvSource({
        "skip-fsync, log-writer, durability",
        "none-as-local, log-writer, durability",
        "overwrite-upload, uploader, lost-acknowledged-write",
        "ambiguous-as-failed, uploader, duplicate-transaction",
        "silent-buffer-truncation, log-writer, damage-reported",
        "keep-torn-tail-after-full-disk, log-writer, committed-prefix",
        "zero-tail-on-reused-file, log-writer, torn-tail-reported",
        "skip-directory-entry-sync, log-writer, durability",
        "skip-page-verification, corruption, corrupt-page-served",
    })
    void simulatorFindsShrinksAndReplaysTheBug(String bugName, String scenarioName, String property) {
        Set<Bug> bugs = Bug.parseList(bugName);
        Scenario<?> scenario = Simulation.scenario(scenarioName, bugs);
        int ops = 200;
        PropertyFailure failure = catchThrowableOfType(PropertyFailure.class,
                () -> Simulation.property(scenario, ops, Plans.safe(), bugs).tries(30).seed(1).check());

        assertThat(failure).as("the simulator missed %s within 30 seeds", bugName).isNotNull();
        assertThat(failure.getCause()).isInstanceOf(InvariantViolation.class);
        assertThat(((InvariantViolation) failure.getCause()).property()).isEqualTo(property);
        assertThat((List<?>) failure.minimal()).hasSizeLessThan(((List<?>) failure.original()).size());
        assertThat(failure.getMessage()).contains("seed " + failure.seed()).contains("minimal input")
                .contains("replay: ltx4j sim --scenario " + scenarioName + " --seed " + failure.seed() + " --ops " + ops)
                .contains("--bugs " + bugName);

        // The printed seed replays the original failure exactly, twice.
        RunResult first = Simulation.run(scenario, failure.seed(), ops, Plans.safe());
        RunResult again = Simulation.run(scenario, failure.seed(), ops, Plans.safe());
        assertThat(first.violation()).isNotNull();
        assertThat(first.violation().property()).isEqualTo(property);
        assertThat(again.traceHash()).isEqualTo(first.traceHash());
        // Without the bug the same seed passes: the failure is the bug's, not the workload's.
        RunResult fixed = Simulation.run(Simulation.scenario(scenarioName, Set.of()), failure.seed(), ops, Plans.safe());
        assertThat(fixed.passed()).as("seed %d without %s: %s", failure.seed(), bugName, fixed.violation()).isTrue();
    }
}
