package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.property.Property;
import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.CorruptionScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Corruption at rest against the engine's read path: readers return the synced state or fail naming a damaged
 * file, never other bytes (the bug switch {@code skip-page-verification} is caught in {@link BugsAreFoundTest}).
 */
class CorruptionScenarioTest {

    @Test
    void readersNeverServeBytesOfADamagedFile() {
        Property.Result r = Simulation.property(new CorruptionScenario(), 200, Plans.safe()).tries(12)
                .maxShrinkRuns(60).check();
        assertThat(r.tries()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void damageIsReachedAndRefusedAndTheRunReplays() {
        long refused = 0;
        for (long seed = 1; seed <= 4; seed++) {
            RunResult a = Simulation.run(new CorruptionScenario(), seed, 200, Plans.safe());
            RunResult b = Simulation.run(new CorruptionScenario(), seed, 200, Plans.safe());
            assertThat(a.passed()).as("seed %d: %s", seed, a.violation()).isTrue();
            assertThat(b.traceHash()).isEqualTo(a.traceHash());
            refused += a.stats().stateCount("corruption-refused");
        }
        assertThat(refused).as("the oracle saw reads refused because of damage").isGreaterThan(0);
    }

    /**
     * Seed 266 flips a bit in file 0x14's post-apply checksum: with bug switch {@code trust-unverified-checksums}
     * the steady follower blames the healthy file 0x15 as another history (caught as {@code false-divergence},
     * replayed exactly); without it the same seed passes (the damaged file is reported as corrupt). The switch is
     * too rare to be found within BugsAreFoundTest's 30 random seeds, hence the fixed seed.
     */
    @Test
    void trustingAnUnverifiedChecksumIsCaughtAsFalseDivergence() {
        CorruptionScenario buggy = new CorruptionScenario(Set.of(Bug.TRUST_UNVERIFIED_CHECKSUMS));
        RunResult a = Simulation.run(buggy, 266, 200, Plans.safe());
        RunResult b = Simulation.run(buggy, 266, 200, Plans.safe());
        assertThat(a.violation()).isNotNull();
        assertThat(a.violation().property()).isEqualTo("false-divergence");
        assertThat(a.violation().getMessage()).contains("0000000000000015-0000000000000015.ltx");
        assertThat(b.traceHash()).isEqualTo(a.traceHash());
        RunResult fixed = Simulation.run(new CorruptionScenario(), 266, 200, Plans.safe());
        assertThat(fixed.passed()).as("seed 266 without the switch: %s", fixed.violation()).isTrue();
    }
}
