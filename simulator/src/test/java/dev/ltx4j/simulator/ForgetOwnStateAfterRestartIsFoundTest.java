package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.CompactionScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code --bugs forget-own-state-after-restart}: a writer whose create's outcome stayed unknown, that crashed (losing
 * the unforced commits the file held) and reopened behind a lagging listing, committed the same changes again with
 * other bytes and met its own file at base + 1; without adoption by state it raises a false conflict. The compaction
 * scenario's deliberate step {@code lost-upload-restart} (workload {@code LostUploadRestart}) makes exactly this case
 * whenever the run's durability is NONE (about one seed in three), so the switch is caught by design within a few
 * seeds, each of which passes without it; the engine logic itself is pinned by the syncer's
 * {@code RestartOwnStateTest}.
 */
class ForgetOwnStateAfterRestartIsFoundTest {
    static final int OPS = 200;

    @Test
    void theCompactionScenarioCatchesAFalseConflictOnTheWritersOwnFileAfterARestart() {
        Set<Bug> bug = EnumSet.of(Bug.FORGET_OWN_STATE_AFTER_RESTART);
        List<Long> caught = new ArrayList<>();
        for (long seed = 1; seed <= 30 && caught.size() < 2; seed++) {
            RunResult withBug = Simulation.run(new CompactionScenario(bug), seed, OPS, FaultPlan.all());
            if (withBug.passed()) {
                continue;
            }
            assertThat(withBug.violation().property()).as("seed %d with the switch", seed).isEqualTo("false-conflict");
            assertThat(withBug.stats().states()).as("seed %d reached the step's case", seed)
                    .containsKey("lost-upload-recommitted");
            RunResult fixed = Simulation.run(new CompactionScenario(), seed, OPS, FaultPlan.all());
            assertThat(fixed.passed()).as("seed %d without the switch: %s", seed, fixed.violation()).isTrue();
            assertThat(fixed.stats().states()).as("seed %d adopts its own file", seed).containsKey("lost-upload-adopted");
            caught.add(seed);
        }
        assertThat(caught).as("seeds 1-30 that catch forget-own-state-after-restart").isNotEmpty();
        long seed = caught.get(0);
        RunResult a = Simulation.run(new CompactionScenario(bug), seed, OPS, FaultPlan.all());
        RunResult b = Simulation.run(new CompactionScenario(bug), seed, OPS, FaultPlan.all());
        assertThat(b.traceHash()).isEqualTo(a.traceHash());
    }
}
