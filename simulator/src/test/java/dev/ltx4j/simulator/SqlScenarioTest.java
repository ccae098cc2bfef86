package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import dev.ltx4j.simulator.workload.SqlScenario;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sql scenario: real SQLite through the VFS on the engine, under the object-store faults of
 * {@link Plans#engineSafe()}, keeps the model, replays exactly, and restores. Prints SQL transactions per CPU
 * second (a figure, not an assertion). Seeds scale with {@code ltx4j.sim.scale}.
 */
class SqlScenarioTest {
    private static final int OPS = 300;

    @Test
    void sqlTransactionsKeepTheModelUnderStoreFaultsAndReplayExactly() {
        int seeds = 3 * Integer.getInteger("ltx4j.sim.scale", 1);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        SqlScenario scenario = new SqlScenario();
        long txs = 0;
        long cpu = 0;
        for (long seed = 1; seed <= seeds; seed++) {
            List<SqlScenario.Action> actions = Simulation.actions(scenario, seed, OPS, Plans.engineSafe());
            long c0 = mx.getCurrentThreadCpuTime();
            RunResult first = Simulation.run(scenario, seed, actions, Plans.engineSafe());
            cpu += mx.getCurrentThreadCpuTime() - c0;
            txs += actions.stream().filter(a -> a instanceof SqlScenario.Tx).count();
            RunResult second = Simulation.run(scenario, seed, actions, Plans.engineSafe());
            assertThat(first.violation()).as("seed %d", seed).isNull();
            assertThat(second.traceHash()).as("seed %d replays", seed).isEqualTo(first.traceHash());
            assertThat(first.stats().stateCount("restore-verified")).isEqualTo(1);
            assertThat(first.stats().stateCount("synced")).isPositive();
        }
        System.out.printf("sql scenario: %d SQL transactions in %.3f CPU s = %.0f transactions per CPU second%n",
                txs, cpu / 1e9, txs / (cpu / 1e9));
    }

    @Test
    void aFaultFreeRunRollsBackAndCommitsThroughSqlite() {
        SqlScenario scenario = new SqlScenario();
        List<SqlScenario.Action> actions = Simulation.actions(scenario, 7, OPS, FaultPlan.none());
        RunResult r = Simulation.run(scenario, 7, actions, FaultPlan.none());
        assertThat(r.violation()).isNull();
        assertThat(actions).anyMatch(a -> a instanceof SqlScenario.Tx t && t.rollback());
        assertThat(r.stats().stateCount("sql-done")).isEqualTo(1);
    }
}
