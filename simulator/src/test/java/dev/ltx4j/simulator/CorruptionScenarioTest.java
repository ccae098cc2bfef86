package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.property.Property;
import dev.ltx4j.simulator.workload.CorruptionScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
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
}
