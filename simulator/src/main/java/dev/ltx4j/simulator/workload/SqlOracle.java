package dev.ltx4j.simulator.workload;

import static dev.ltx4j.simulator.workload.SqlProcess.VFS;

import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.vfs.LitestreamVfs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The {@link SqlRun}'s oracle reads: the table through a connection (store faults off, so the oracle does not
 * disturb the run), compared with the model ({@code sql-model}), and the restored replica opened with plain
 * SQLite ({@code restore}).
 */
final class SqlOracle {
    private final World world;
    private final SimObjectStore store;
    private final SqlHistory model;
    private final SqlReplica replica;
    private final Path tempDir;

    SqlOracle(World world, SimObjectStore store, SqlHistory model, SqlReplica replica, Path tempDir) {
        this.world = world;
        this.store = store;
        this.model = model;
        this.replica = replica;
        this.tempDir = tempDir;
    }

    TreeMap<Integer, String> readModel(SqlClient c, String when) throws SQLException {
        boolean was = store.faultsEnabled();
        store.setFaultsEnabled(false);
        try {
            TreeMap<Integer, String> got = SqlReplica.kv(c.connection());
            if (got == null) {
                throw new InvariantViolation("sql-model", when + ": table kv is missing");
            }
            return got;
        } finally {
            store.setFaultsEnabled(was);
        }
    }

    /** The table through a new connection (the committed state, whatever the run's connections hold). */
    TreeMap<Integer, String> readFresh(String when) throws SQLException {
        boolean was = store.faultsEnabled();
        store.setFaultsEnabled(false);
        try (Connection fresh = DriverManager.getConnection(LitestreamVfs.jdbcUrl(tempDir.resolve("sql.db"), VFS,
                Map.of()))) {
            TreeMap<Integer, String> got = SqlReplica.kv(fresh);
            if (got == null) {
                throw new InvariantViolation("sql-model", when + ": table kv is missing");
            }
            return got;
        } finally {
            store.setFaultsEnabled(was);
        }
    }

    void check(SqlClient c, String when) throws SQLException {
        TreeMap<Integer, String> got = readModel(c, when);
        if (!got.equals(model.last())) {
            throw new InvariantViolation("sql-model", when + ": the table holds " + SqlHistory.describe(got)
                    + ", the model " + SqlHistory.describe(model.last()) + freshView());
        }
    }

    /** What a new connection reads (tells a stale connection cache from a wrong engine state). */
    String freshView() {
        try (Connection fresh = DriverManager.getConnection(LitestreamVfs.jdbcUrl(tempDir.resolve("sql.db"), VFS,
                Map.of()))) {
            TreeMap<Integer, String> got = SqlReplica.kv(fresh);
            return "; a new connection reads " + (got == null ? "no table" : SqlHistory.describe(got));
        } catch (SQLException e) {
            return "; a new connection fails: " + e.getMessage();
        }
    }

    /** The replica restored at the writer's TXID and opened with plain SQLite equals the model. */
    void restoreCheck(Database db) throws Exception {
        SqlReplica.Restored r = replica.restore(db.current().txid());
        if (r == null || r.txid() != db.current().txid()) {
            throw new InvariantViolation("restore", "cannot restore the writer's TXID " + db.current().txid());
        }
        try (Connection plain = DriverManager.getConnection("jdbc:sqlite:" + r.file())) {
            TreeMap<Integer, String> got = SqlReplica.kv(plain);
            if (got == null || !got.equals(model.last())) {
                throw new InvariantViolation("restore", "restored TXID " + r.txid() + " holds "
                        + (got == null ? "no table" : SqlHistory.describe(got)) + ", the model "
                        + SqlHistory.describe(model.last()));
            }
            SqlReplica.integrity(plain, "the restored replica", "restore");
        } finally {
            r.delete();
        }
        world.reached("restore-verified", "TXID " + r.txid());
    }

    /**
     * sql-readers: the SELECTs of one read transaction so far all show one committed model state, at or after the
     * last commit acknowledged before its first SELECT and the state the connection's previous read transaction
     * showed (property {@code sql-snapshot}). Skipped across a reset of the model (reopen, refresh).
     */
    void checkSnapshot(SqlClient c, SqlClient.Outcome o, int epoch) {
        if (c.readEpoch != epoch) {
            world.reached("sql-read-across-reset", "");
            c.lastLow = -1;
            return;
        }
        for (int i = Math.max(0, c.readFloor); i < model.size(); i++) {
            if (shows(c, model.at(i))) {
                if (!shows(c, model.last())) {
                    world.reached("sql-read-older-snapshot", ""); // commits landed since it pinned its version
                }
                c.lastLow = i;
                return;
            }
        }
        StringBuilder seen = new StringBuilder();
        c.observed.forEach((k, v) -> seen.append(' ').append(k).append('=').append(v == null ? "absent"
                : Integer.toHexString(v.hashCode())));
        throw new InvariantViolation("sql-snapshot", o.tx() + ": a read transaction saw" + seen + ", which no"
                + " committed state from #" + c.readFloor + " to #" + (model.size() - 1) + " holds");
    }

    private static boolean shows(SqlClient c, TreeMap<Integer, String> state) {
        return c.observed.entrySet().stream().allMatch(e -> Objects.equals(state.get(e.getKey()), e.getValue()));
    }
}
