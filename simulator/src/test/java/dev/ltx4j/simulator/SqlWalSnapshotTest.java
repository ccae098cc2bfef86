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
 * The sql scenario on a replica that starts as a WAL database's snapshot (page 1 bytes 18/19 = 2): real SQLite
 * through the VFS keeps every property; with the VFS's page-1 view switched off (bug {@code wal-page-one}) SQLite
 * cannot even open it, and the simulator says so.
 */
class SqlWalSnapshotTest {
    private static final int OPS = 120;

    @Test
    void aWalOriginReplicaWorksThroughSqliteAndTheBugSwitchIsCaught() {
        SqlScenario scenario = new SqlScenario();
        int walRuns = 0;
        for (long seed = 1; seed <= 8 && walRuns < 2; seed++) {
            List<SqlScenario.Action> actions = Simulation.actions(scenario, seed, OPS, Plans.engineSafe());
            RunResult fixed = Simulation.run(scenario, seed, actions, Plans.engineSafe());
            assertThat(fixed.violation()).as("seed %d", seed).isNull();
            if (fixed.stats().stateCount("sql-wal-snapshot") == 0) {
                continue;
            }
            walRuns++;
            assertThat(fixed.stats().stateCount("restore-verified")).isEqualTo(1);
            RunResult buggy = Simulation.run(new SqlScenario(Set.of(Bug.WAL_PAGE_ONE)), seed, actions,
                    Plans.engineSafe());
            assertThat(buggy.violation()).as("seed %d with wal-page-one", seed).isNotNull();
            assertThat(buggy.violation().getMessage()).contains("SQLITE_CANTOPEN");
        }
        assertThat(walRuns).as("runs that started from a WAL snapshot").isEqualTo(2);
    }
}
