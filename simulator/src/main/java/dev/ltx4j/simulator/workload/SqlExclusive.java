package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimObjectStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.TreeMap;

/**
 * The sql-exclusive scenario's {@link SqlScenario.LockingMode} steps. A connection in {@code locking_mode=EXCLUSIVE}
 * keeps its locks across transactions (its SHARED on the lock file refuses the other connections' writes, which
 * then fail with SQLITE_BUSY; their reads go on) and bumps page 1's change counter only in its first commit under the
 * lock, the case of docs/concurrent-readers.md, "Change counter of another state" (bug switch
 * {@code unaltered-change-counter}). One connection at a time is in that mode: two would refuse each other's reads. A
 * release is {@code PRAGMA locking_mode=NORMAL} and a read (SQLite lets the kept lock go at the next access), with the
 * store's faults off like the oracle's reads; the run releases every connection before a refresh and at the end.
 */
final class SqlExclusive {
    private final World world;
    private final SimObjectStore store;

    SqlExclusive(World world, SimObjectStore store) {
        this.world = world;
        this.store = store;
    }

    /** Runs connection {@code c}'s locking-mode step. */
    void run(SqlClient c, List<SqlClient> all, SqlScenario.LockingMode m) throws SQLException {
        if (!m.exclusive()) {
            if (c.exclusive) {
                release(c);
            }
            return;
        }
        if (c.exclusive) {
            return;
        }
        if (all.stream().anyMatch(o -> o.exclusive)) {
            world.reached("exclusive-skipped", "another connection is in exclusive mode");
            return;
        }
        try (Statement s = c.connection().createStatement()) {
            s.execute("PRAGMA locking_mode = EXCLUSIVE");
        }
        c.exclusive = true;
        c.heldCommits = 0;
        world.reached("exclusive-mode", "");
    }

    /**
     * Back to NORMAL, and a read that lets the kept lock go. A connection in exclusive mode that holds no lock yet
     * (its SHARED refused while another connection's COMMIT held PENDING) gets SQLITE_BUSY for that read: it then
     * holds nothing to let go.
     */
    void release(SqlClient c) throws SQLException {
        boolean was = store.faultsEnabled();
        store.setFaultsEnabled(false);
        String held = c.heldCommits == 0 ? "no commit" : c.heldCommits == 1 ? "1 commit" : "2+ commits";
        try (Statement s = c.connection().createStatement()) {
            s.execute("PRAGMA locking_mode = NORMAL");
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM kv")) {
                r.next();
            }
        } catch (SQLException e) {
            if (SqlClient.code(e) != 5) {
                throw e;
            }
            held = "no lock held";
        } finally {
            store.setFaultsEnabled(was);
        }
        c.exclusive = false;
        world.reached("exclusive-released", held);
        if (c.heldCommits >= 2) { // the case of the switch: a commit under the lock left the counter as it was
            world.reached("exclusive-released-after-2-commits", "");
        }
    }

    /**
     * The oracle's read-back after a failed transaction on {@code c}: through {@code c}, or, when {@code c} is in
     * exclusive mode and SQLite refuses its SHARED lock (another connection's COMMIT holds PENDING), through a new
     * connection in NORMAL mode (readers there take no file lock; the run's other connections may be inside their
     * own transactions).
     */
    TreeMap<Integer, String> readBack(SqlClient c, SqlOracle oracle, String when) throws SQLException {
        try {
            return oracle.readModel(c, when);
        } catch (SQLException e) {
            if (!c.exclusive || SqlClient.code(e) != 5) {
                throw e;
            }
            world.reached("exclusive-read-back-busy", "");
            return oracle.readFresh(when);
        }
    }

    /** Releases every connection in exclusive mode (before a refresh, at the end of the run). */
    void releaseAll(List<SqlClient> all) throws SQLException {
        for (SqlClient c : all) {
            if (c.exclusive) {
                release(c);
            }
        }
    }
}
