package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CI batch: both scenarios on consecutive seeds for a CPU-time budget ({@code ltx4j.sim.batchSeconds},
 * default 3; base seed {@code ltx4j.sim.seed}, {@code random} for a fresh one), no invariant may break, and
 * every enabled fault kind must fire at least once, or the batch proved nothing about it.
 */
class FaultCoverageTest {

    @Test
    void timeBoundedBatchPassesAndFiresEveryFaultKind() {
        double seconds = Double.parseDouble(System.getProperty("ltx4j.sim.batchSeconds", "3"));
        String seedProp = System.getProperty("ltx4j.sim.seed", "20250101");
        long base = seedProp.equals("random") ? System.nanoTime() : Long.parseLong(seedProp);
        FaultPlan plan = Plans.safe();
        Simulation.BatchResult batch = Simulation.batch(List.of("log-writer", "uploader"), base, 300, plan, 20,
                cpu -> cpu < seconds * 1e9);

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        out.printf("batch from base seed %d: %d runs%n", base, batch.runs());
        SimulationMain.SummaryPrinter.printCounts(batch.stats(), out);
        out.printf("throughput: %,.0f ops/CPU-second%n", batch.opsPerCpuSecond());
        for (RunResult f : batch.failures()) {
            SimulationMain.SummaryPrinter.print(f, out);
        }
        System.out.print(buf.toString(StandardCharsets.UTF_8));

        assertThat(batch.failures()).as(buf.toString(StandardCharsets.UTF_8)).isEmpty();
        // clock-step: drawn by the compaction and time-travel scenarios only (CompactionScenarioTest, TimeTravelScenarioTest)
        assertThat(batch.neverFired(plan.with(FaultKind.CLOCK_STEP, 0))).as("fault kinds that never fired").isEmpty();
        assertThat(batch.stats().stateCount("recovery")).isPositive();
        assertThat(batch.stats().stateCount("resolved-landed")).isPositive();
        assertThat(batch.stats().stateCount("conflict")).isPositive();
    }

    /**
     * The engine batch ({@code ltx4j.sim.engineBatchSeconds}, default 5 CPU seconds, at least 4 runs) under the
     * faults the syncer survives today; some seeds run twice and must give one trace hash.
     */
    @Test
    void engineBatchPassesFiresEveryEnabledFaultAndReplays() {
        double seconds = Double.parseDouble(System.getProperty("ltx4j.sim.engineBatchSeconds", "5"));
        String seedProp = System.getProperty("ltx4j.sim.seed", "20250101");
        long base = seedProp.equals("random") ? System.nanoTime() : Long.parseLong(seedProp);
        FaultPlan plan = Plans.engineSafe();
        Simulation.BatchResult batch = Simulation.batch(List.of("engine"), base, 150, plan, 4,
                cpu -> cpu < seconds * 1e9);

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        out.printf("engine batch from base seed %d: %d runs%n", base, batch.runs());
        SimulationMain.SummaryPrinter.printCounts(batch.stats(), out);
        out.printf("throughput: %,.0f page ops/CPU-second%n", batch.opsPerCpuSecond());
        for (RunResult f : batch.failures()) {
            SimulationMain.SummaryPrinter.print(f, out);
        }
        System.out.print(buf.toString(StandardCharsets.UTF_8));

        assertThat(batch.failures()).as(buf.toString(StandardCharsets.UTF_8)).isEmpty();
        // clock-step: drawn by the compaction and time-travel scenarios only (CompactionScenarioTest, TimeTravelScenarioTest)
        assertThat(batch.neverFired(plan.with(FaultKind.CLOCK_STEP, 0))).as("fault kinds that never fired").isEmpty();
        assertThat(batch.stats().stateCount("conflict")).isPositive();
        assertThat(batch.stats().stateCount("recovery")).isPositive();
        assertThat(batch.stats().stateCount("liveness")).isEqualTo(batch.runs());
        for (long i = 0; i < 2; i++) {
            long seed = dev.ltx4j.simulator.Seeds.child(base, i);
            RunResult a = Simulation.run(Simulation.scenario("engine", java.util.Set.of()), seed, 150, plan);
            RunResult b = Simulation.run(Simulation.scenario("engine", java.util.Set.of()), seed, 150, plan);
            assertThat(b.traceHash()).as("seed %d", seed).isEqualTo(a.traceHash());
        }
    }
}
