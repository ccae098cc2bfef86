package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.ltx4j.simulator.workload.Simulation;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What `--help` tells a new user (docs/field-probes.md, "Round 8: a new user"). */
class HelpTextTest {

    /** The help listed 5 of the 10 scenarios; the README's examples use the others (compaction, timetravel, ...). */
    @Test
    void simHelpNamesEveryScenarioTheSimulatorRuns() {
        String refusal = catchThrowable(() -> Simulation.scenario("no-such-scenario", Set.of())).getMessage();
        String known = refusal.substring(refusal.indexOf("known: ") + "known: ".length());
        String help = CliRun.of("sim", "--help").out().replaceAll("\\s+", " ");
        for (String name : known.replaceAll("\\([^)]*\\)", "").split(",")) {
            assertThat(help).as("sim --help names scenario %s", name.strip()).contains(name.strip());
        }
    }

    /** The summary `buffer --help` shows was cut after the description's first line ("..., then"). */
    @Test
    void bufferHelpSummarisesRecoverInFull() {
        String help = CliRun.of("buffer", "--help").out().replaceAll("\\s+", " ");
        assertThat(help).contains("keep the committed transactions before the damage");
        String recover = CliRun.of("buffer", "recover", "--help").out().replaceAll("\\s+", " ");
        assertThat(recover).contains("then keep the committed transactions before the damage and drop the rest.");
    }
}
