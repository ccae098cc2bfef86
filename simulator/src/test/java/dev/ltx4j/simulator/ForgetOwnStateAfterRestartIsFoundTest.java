package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.CompactionScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code --bugs forget-own-state-after-restart}: a writer whose create's outcome stayed unknown, that crashed (losing
 * the unforced commit the file held) and reopened behind a lagging listing, committed the same changes again with
 * other bytes and met its own file at base + 1; without adoption by state it raises a false conflict. The case needs
 * a lost response, a short read-back, a crash and a lagging listing in a row: about one compaction seed in 750 under
 * the full fault plan (447 seeds from 5000 and 297 from 1: only 5048), so this test replays that seed with and
 * without the switch rather than searching; the engine logic itself is pinned by the syncer's
 * {@code RestartOwnStateTest}, which does not depend on traces.
 */
class ForgetOwnStateAfterRestartIsFoundTest {
    static final long SEED = 5048;
    static final int OPS = 200;

    @Test
    void theCompactionScenarioCatchesAFalseConflictOnTheWritersOwnFileAfterARestart() {
        Set<Bug> bug = EnumSet.of(Bug.FORGET_OWN_STATE_AFTER_RESTART);
        RunResult withBug = Simulation.run(new CompactionScenario(bug), SEED, OPS, FaultPlan.all());
        RunResult fixed = Simulation.run(new CompactionScenario(), SEED, OPS, FaultPlan.all());

        assertThat(fixed.passed()).as("seed %d without the switch: %s", SEED, fixed.violation()).isTrue();
        assertThat(withBug.passed()).as("seed %d with forget-own-state-after-restart", SEED).isFalse();
        assertThat(withBug.violation().property()).isEqualTo("false-conflict");
        RunResult again = Simulation.run(new CompactionScenario(bug), SEED, OPS, FaultPlan.all());
        assertThat(again.traceHash()).isEqualTo(withBug.traceHash());
    }
}
