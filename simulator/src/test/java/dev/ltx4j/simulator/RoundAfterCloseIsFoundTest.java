package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.EngineScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code --bugs round-after-close}: a durability-REMOTE commit pauses between its unknown-outcome rounds without the
 * writer slot or {@code syncLock}, and the application closes the database meanwhile. The engine scenario's REMOTE
 * restart (workload {@code CloseDuringRemoteWait}) makes this case whenever it restarts a REMOTE run with no
 * conflict, and runs the waiting commit's next round at close's release point; with the switch that round adopts
 * the landed file into generations close dropped, leaking a buffer handle ({@code resource-leak}). Each seed that
 * catches it passes without the switch; the engine logic is pinned by the syncer's {@code CloseDuringRemoteWaitTest}.
 */
class RoundAfterCloseIsFoundTest {
    static final int OPS = 150;

    @Test
    void theEngineScenarioCatchesASyncRoundOnAClosedDatabase() {
        Set<Bug> bug = EnumSet.of(Bug.ROUND_AFTER_CLOSE);
        List<Long> caught = new ArrayList<>();
        for (long seed = 1; seed <= 60 && caught.size() < 2; seed++) {
            RunResult withBug = Simulation.run(new EngineScenario(bug), seed, OPS, Plans.engineSafe());
            if (withBug.passed()) {
                continue;
            }
            assertThat(withBug.violation().property()).as("seed %d with the switch: %s", seed, withBug.violation())
                    .isEqualTo("resource-leak");
            RunResult fixed = Simulation.run(new EngineScenario(), seed, OPS, Plans.engineSafe());
            assertThat(fixed.passed()).as("seed %d without the switch: %s", seed, fixed.violation()).isTrue();
            assertThat(fixed.stats().states()).as("seed %d reached the case", seed)
                    .containsKey("round-at-close-release");
            caught.add(seed);
        }
        assertThat(caught).as("seeds 1-60 that catch round-after-close").hasSize(2);
        long seed = caught.get(0);
        RunResult a = Simulation.run(new EngineScenario(bug), seed, OPS, Plans.engineSafe());
        RunResult b = Simulation.run(new EngineScenario(bug), seed, OPS, Plans.engineSafe());
        assertThat(b.traceHash()).isEqualTo(a.traceHash());
    }
}
