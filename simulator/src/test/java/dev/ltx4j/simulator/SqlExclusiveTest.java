package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import dev.ltx4j.simulator.workload.SqlScenario;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The sql-exclusive scenario: a connection goes into {@code locking_mode=EXCLUSIVE}, commits while the other
 * connections read (and are refused writes), and goes back to NORMAL. Its later commits under the lock leave page 1's
 * change counter as it was, so a connection that read in between must still drop its cache (session 14's data loss,
 * docs/concurrent-readers.md, "Change counter of another state"). With the VFS showing the repeated counter unaltered
 * (bug {@code unaltered-change-counter}) that connection reads the older state and writes on it: {@code sql-model}.
 */
class SqlExclusiveTest {
    private static final int OPS = 200;

    @Test
    void exclusiveConnectionsKeepEveryPropertyAndTheUnalteredChangeCounterIsCaught() {
        SqlScenario scenario = new SqlScenario(Set.of(), true, true);
        long held = 0;
        for (long seed : new long[] {1, 2, 3}) {
            List<SqlScenario.Action> actions = Simulation.actions(scenario, seed, OPS, FaultPlan.all());
            RunResult fixed = Simulation.run(scenario, seed, actions, FaultPlan.all());
            assertThat(fixed.violation()).as("seed %d", seed).isNull();
            assertThat(fixed.stats().stateCount("exclusive-mode")).as("seed %d exclusive steps", seed).isPositive();
            held += fixed.stats().stateCount("exclusive-released");
            RunResult buggy = Simulation.run(new SqlScenario(Set.of(Bug.UNALTERED_CHANGE_COUNTER), true, true), seed,
                    actions, FaultPlan.all());
            assertThat(buggy.violation()).as("seed %d with unaltered-change-counter", seed).isNotNull();
            assertThat(buggy.violation().property()).isEqualTo("sql-model");
        }
        assertThat(held).as("exclusive connections released back to NORMAL").isPositive();
    }
}
