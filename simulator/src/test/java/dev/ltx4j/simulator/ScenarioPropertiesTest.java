package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.property.Property;
import dev.ltx4j.simulator.workload.LogWriterScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import dev.ltx4j.simulator.workload.UploaderScenario;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The correct workloads keep their properties under every fault. Tries scale with {@code ltx4j.sim.scale};
 * {@code ltx4j.sim.seed} picks the base seed ({@code random} for a fresh one).
 */
class ScenarioPropertiesTest {

    @Test
    void logWriterKeepsDurabilityAndCommittedPrefixUnderCrashesAndDiskFaults() {
        Property.Result r = Simulation.property(new LogWriterScenario(), 150, Plans.safe()).tries(40).check();
        assertThat(r.tries()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void uploaderNeverForksUnderEveryStoreFault() {
        Property.Result r = Simulation.property(new UploaderScenario(), 200, Plans.safe()).tries(40).check();
        assertThat(r.tries()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void sameSeedGivesSameTraceHashAndDifferentSeedsDiffer() {
        for (String name : List.of("log-writer", "uploader")) {
            for (long seed = 1; seed <= 5; seed++) {
                RunResult a = Simulation.run(Simulation.scenario(name, java.util.Set.of()), seed, 150, Plans.safe());
                RunResult b = Simulation.run(Simulation.scenario(name, java.util.Set.of()), seed, 150, Plans.safe());
                assertThat(b.traceHash()).as("%s seed %d", name, seed).isEqualTo(a.traceHash());
                assertThat(b.stats().faults()).isEqualTo(a.stats().faults());
                assertThat(b.simNanos()).isEqualTo(a.simNanos());
                assertThat(a.passed()).as("%s seed %d: %s", name, seed, a.violation()).isTrue();
                assertThat(a.events()).isGreaterThan(150);
            }
            RunResult x = Simulation.run(Simulation.scenario(name, java.util.Set.of()), 11, 150, Plans.safe());
            RunResult y = Simulation.run(Simulation.scenario(name, java.util.Set.of()), 12, 150, Plans.safe());
            assertThat(x.traceHash()).isNotEqualTo(y.traceHash());
        }
    }

    @Test
    void faultsOffMeansNothingFires() {
        for (String name : List.of("log-writer", "uploader")) {
            RunResult r = Simulation.run(Simulation.scenario(name, java.util.Set.of()), 3, 200, FaultPlan.none());
            assertThat(r.passed()).isTrue();
            assertThat(r.stats().faults()).isEmpty();
            assertThat(r.stats().operations()).isEqualTo(200);
        }
    }

    @Test
    void actionListsAreTheSameForTheCliAndTheProperty() {
        var p = Simulation.property(new UploaderScenario(), 50, Plans.safe());
        List<UploaderScenario.Action> fromProperty = p.inputFor(1234);
        assertThat(Simulation.actions(new UploaderScenario(), 1234, 50, Plans.safe())).isEqualTo(fromProperty);
    }
}
