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
 * The sql scenario with read transactions held open across steps while other connections commit
 * (docs/concurrent-readers.md): every read transaction shows one committed state, never an older one than the
 * connection saw before, readers never get SQLITE_BUSY, and a read transaction overtaken by a commit is refused
 * when it then writes. With the refusal switched off (bug {@code stale-snapshot-write}) SQLite commits its stale
 * cached pages over the newer state, and the simulator catches the lost update.
 */
class SqlReadersTest {
    private static final int OPS = 200;

    @Test
    void readTransactionsBesideCommitsKeepEveryPropertyAndTheStaleWriteSwitchIsCaught() {
        SqlScenario scenario = new SqlScenario(Set.of(), true);
        long overtaken = 0;
        long refused = 0;
        // Seeds 2, 5, 3, 4 (was 1-4, then 1, 2, 5, 6, then 1, 2, 5, 3): since a sync lists level 0 only (issue 15) seed
        // 3's run no longer reached the stale write; since an open reads small files whole seed 6's does not, 3's does
        // again; since the simulated disk reuses log files (spare-reuse) seed 1's does not, 4's does.
        for (long seed : new long[] {2, 5, 3, 4}) {
            List<SqlScenario.Action> actions = Simulation.actions(scenario, seed, OPS, Plans.engineSafe());
            RunResult fixed = Simulation.run(scenario, seed, actions, Plans.engineSafe());
            assertThat(fixed.violation()).as("seed %d", seed).isNull();
            assertThat(fixed.stats().stateCount("sql-read")).as("seed %d read transactions", seed).isPositive();
            overtaken += fixed.stats().stateCount("sql-read-older-snapshot");
            refused += fixed.stats().stateCount("sql-stale-snapshot-refused");
            RunResult buggy = Simulation.run(new SqlScenario(Set.of(Bug.STALE_SNAPSHOT_WRITE), true), seed, actions,
                    Plans.engineSafe());
            assertThat(buggy.violation()).as("seed %d with stale-snapshot-write", seed).isNotNull();
            assertThat(buggy.violation().property()).isEqualTo("sql-model");
        }
        assertThat(overtaken).as("reads that kept an older snapshot while others committed").isPositive();
        assertThat(refused).as("read-then-write transactions refused on an overtaken snapshot").isPositive();
    }

    /**
     * Seeds 642 and 748 (found the bug; must pass), 748 and 40 (reach it today, since an open reads small files whole): a read transaction overtaken by a commit that a conflict followed, then an UPDATE of a row
     * only that commit holds. Refused now (SQLITE_BUSY_SNAPSHOT); with the check skipped while conflicted (bug
     * {@code stale-write-while-conflicted}) the UPDATE changes nothing on the stale snapshot and commits.
     */
    @Test
    void aStaleWriteWhileConflictedIsRefusedAndItsSwitchIsCaught() {
        SqlScenario scenario = new SqlScenario(Set.of(), true);
        for (long seed : new long[] {642, 748, 40}) { // 40 reaches the case no longer (lost-replica check), passes
            List<SqlScenario.Action> actions = Simulation.actions(scenario, seed, OPS, FaultPlan.all());
            RunResult fixed = Simulation.run(scenario, seed, actions, FaultPlan.all());
            assertThat(fixed.violation()).as("seed %d", seed).isNull();
            if (seed == 642 || seed == 40 || seed == 748) {
                continue; // found the bug once; they no longer reach its case (aStaleWriteWhileConflictedIsCaughtInLongerRuns)
            }
            RunResult buggy = Simulation.run(new SqlScenario(Set.of(Bug.STALE_WRITE_WHILE_CONFLICTED), true), seed,
                    actions, FaultPlan.all());
            assertThat(buggy.violation()).as("seed %d with stale-write-while-conflicted", seed).isNotNull();
            assertThat(buggy.violation().property()).isEqualTo("sql-model");
        }
    }

    /**
     * Since a conflict found after a remote commit is SQLITE_IOERR_NOT_UPLOADED (session 10; it was
     * SQLITE_BUSY_SNAPSHOT) seed 748 no longer reaches the case; seeds 61 and 86 of a 400-step run did (a search of
     * seeds 1-290), each passing without the switch; with compressed buffer records and spare reuse merged, 51 and 61;
     * since a stopped write buffer's sync uploads its durable prefix (session 12), 61 (no other seed of 1-185).
     */
    @Test
    void aStaleWriteWhileConflictedIsCaughtInLongerRuns() {
        SqlScenario scenario = new SqlScenario(Set.of(), true);
        for (long seed : new long[] {61}) {
            List<SqlScenario.Action> actions = Simulation.actions(scenario, seed, 400, FaultPlan.all());
            RunResult fixed = Simulation.run(scenario, seed, actions, FaultPlan.all());
            assertThat(fixed.violation()).as("seed %d", seed).isNull();
            RunResult buggy = Simulation.run(new SqlScenario(Set.of(Bug.STALE_WRITE_WHILE_CONFLICTED), true), seed,
                    actions, FaultPlan.all());
            assertThat(buggy.violation()).as("seed %d with stale-write-while-conflicted", seed).isNotNull();
            assertThat(buggy.violation().property()).isEqualTo("sql-model");
        }
    }

    /** A connection that reuses a stale kept snapshot (its version stamp never moves) reads an outdated state. */
    @Test
    void aStaleVersionStampIsCaught() {
        SqlScenario scenario = new SqlScenario(Set.of(), true);
        for (long seed = 1; seed <= 4; seed++) {
            List<SqlScenario.Action> actions = Simulation.actions(scenario, seed, OPS, Plans.engineSafe());
            RunResult buggy = Simulation.run(new SqlScenario(Set.of(Bug.STALE_VERSION_STAMP), true), seed, actions,
                    Plans.engineSafe());
            assertThat(buggy.violation()).as("seed %d with stale-version-stamp", seed).isNotNull();
        }
    }

    /**
     * The snapshot a connection's own commit re-pinned is kept in C for its next statements while the version stamp
     * stays where the commit's announcement put it (docs/group-commit.md, "Crossings of a commit"). Reused without that
     * check (bug {@code stale-own-commit-snapshot}) the connection misses the later commits of other connections.
     */
    @Test
    void aSnapshotKeptAfterAnOwnCommitFollowsOtherCommitsAndItsSwitchIsCaught() {
        SqlScenario scenario = new SqlScenario(Set.of(), true);
        for (long seed = 1; seed <= 3; seed++) {
            List<SqlScenario.Action> actions = Simulation.actions(scenario, seed, OPS, Plans.engineSafe());
            RunResult clean = Simulation.run(scenario, seed, actions, Plans.engineSafe());
            assertThat(clean.violation()).as("seed %d without the bug", seed).isNull();
            RunResult buggy = Simulation.run(new SqlScenario(Set.of(Bug.STALE_OWN_COMMIT_SNAPSHOT), true), seed,
                    actions, Plans.engineSafe());
            assertThat(buggy.violation()).as("seed %d with stale-own-commit-snapshot", seed).isNotNull();
        }
    }

    /**
     * A commit that does not tell the native page view which pages it changed leaves readers copying the pages they
     * read before it from native memory (docs/concurrent-readers.md, "Native page view"): an outdated state.
     */
    @Test
    void aStalePageViewIsCaught() {
        SqlScenario scenario = new SqlScenario(Set.of(), true);
        // Seed 4 stopped reaching it when a conflict found after a remote commit became SQLITE_IOERR_NOT_UPLOADED
        // instead of SQLITE_BUSY_SNAPSHOT (the trace moved): seed 5 does.
        for (long seed : new long[] {1, 2, 3, 5}) {
            List<SqlScenario.Action> actions = Simulation.actions(scenario, seed, OPS, Plans.engineSafe());
            RunResult clean = Simulation.run(scenario, seed, actions, Plans.engineSafe());
            assertThat(clean.violation()).as("seed %d without the bug", seed).isNull();
            RunResult buggy = Simulation.run(new SqlScenario(Set.of(Bug.STALE_PAGE_VIEW), true), seed, actions,
                    Plans.engineSafe());
            assertThat(buggy.violation()).as("seed %d with stale-page-view", seed).isNotNull();
        }
    }
}
