package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.World;
import dev.ltx4j.syncer.Database;
import java.util.List;

/**
 * The {@link SqlRun}'s deliberate case {@link SqlScenario.RivalInTx}: a conflict found while a write transaction is
 * open, so its COMMIT writes into a conflicted engine. Each stage runs only when the one before left what it needs
 * (no busy connection, a pending commit, an open transaction at its COMMIT); otherwise the action ends early.
 */
final class SqlRivalInTx {
    private final SqlRun run;
    private final World world;
    private final SqlRival rival;

    SqlRivalInTx(SqlRun run, World world, SqlRival rival) {
        this.run = run;
        this.world = world;
        this.rival = rival;
    }

    void run(SqlScenario.RivalInTx a) throws Exception {
        for (int i = 0; i < 200 && !run.needRefresh && run.stepBusy(); i++) {
            // finish the transactions in progress: only the deliberate one may hold the write lock
        }
        if (run.needRefresh || run.anyBusy() || run.db == null) {
            return;
        }
        int n = Math.floorMod(a.conn(), run.connections);
        int o = (n + 1) % run.connections;
        Database incarnation = run.db;
        run.clients.get(o).queue(new SqlScenario.Tx(o, List.of(a.pending()), false));
        run.step(run.clients.get(o)); // committed to the buffer, not synced yet (LOCAL, NONE)
        if (run.db != incarnation || run.needRefresh) {
            return; // it failed and the process restarted, or a conflict waits for its refresh: no new transaction
        }
        SqlClient c = run.clients.get(n);
        c.queue(new SqlScenario.Tx(n, a.stmts(), false));
        for (int i = 0; i < a.stmts().size() && run.db == incarnation && !run.needRefresh && c.busy(); i++) {
            run.step(c);
        }
        if (run.db != incarnation || run.needRefresh || !c.atCommit()) {
            return;
        }
        world.reached("rival-in-tx", a.toString());
        rival.commit(a.rivalStmts());
        run.syncWithoutPreemption(); // the COMMIT comes after the conflict
        if (run.db != incarnation || !c.atCommit()) {
            return;
        }
        if (run.db.status().conflict() != null) {
            world.reached("conflict-in-tx", "");
        }
        run.step(c); // the COMMIT: its pages go into a conflicted engine
        world.reached("rival-in-tx-commit-" + run.lastOutcome.kind(), "");
        if (run.db != incarnation) {
            return;
        }
        c.queue(new SqlScenario.Tx(n, List.of(a.after()), false));
        run.step(c); // the connection's next transaction, before any refresh: refused or kept
        world.reached("rival-in-tx-after-" + run.lastOutcome.kind(), "");
    }
}
