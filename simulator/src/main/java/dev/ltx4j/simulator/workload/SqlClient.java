package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.InvariantViolation;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;

/**
 * One connection of the sql scenario's pool and the transactions queued on it, stepped one statement at a time.
 * A transaction builds on the committed model as it is when its first statement runs: from then on it holds
 * SQLite's write lock, so no other connection commits before it ends.
 */
final class SqlClient {
    /**
     * READ: one SELECT of a read transaction ran ({@link #observed}); READ_DONE: a read transaction ended; LOCKING: a
     * queued {@link SqlScenario.LockingMode} step is next ({@link #takeMode}, run by {@link SqlExclusive}).
     */
    enum Kind { RUNNING, COMMITTED, ROLLED_BACK, BUSY, FAILED, READ, READ_DONE, LOCKING }

    /**
     * What one step did. {@code state}: the table after the transaction (COMMITTED), or what it would have been
     * when a failed commit may have landed; {@code atCommit}: the failure struck the commit itself.
     */
    record Outcome(Kind kind, SqlScenario.Tx tx, TreeMap<Integer, String> state, SQLException error,
            boolean atCommit) {}

    private final int id;
    private final Connection connection;
    private final ArrayDeque<SqlScenario.Action> queue = new ArrayDeque<>();
    private SqlScenario.Tx current;
    /** The read transaction running on this connection (sql-readers), and what its SELECTs returned. */
    private SqlScenario.Read reading;
    final LinkedHashMap<Integer, String> observed = new LinkedHashMap<>();
    /** Set by SqlRun: the lowest model state the running read transaction may show, and the run's epoch then. */
    int readFloor;
    int readEpoch;
    /** The lowest model state this connection's last read transaction could have shown (monotonic reads). */
    int lastLow = -1;
    /** The last failure of a read transaction struck one of its SELECTs. */
    boolean failedSelect;
    /** The last transaction that ended on this connection was a read transaction (sql-readers). */
    boolean lastWasRead;
    /** In {@code locking_mode=EXCLUSIVE} (sql-exclusive), and the commits it made since it entered that mode. */
    boolean exclusive;
    int heldCommits;
    private SqlScenario.LockingMode mode;
    private int at;
    private boolean explicit;
    private int commitTries;
    private TreeMap<Integer, String> after;

    SqlClient(int id, Connection connection) {
        this.id = id;
        this.connection = connection;
    }

    Connection connection() {
        return connection;
    }

    boolean busy() {
        return current != null || reading != null || !queue.isEmpty();
    }

    /** Whether the current write transaction ran every statement and its next step is the COMMIT. */
    boolean atCommit() {
        return current != null && reading == null && explicit && after != null && at >= current.stmts().size();
    }

    void queue(SqlScenario.Action tx) {
        queue.add(tx);
    }

    /** Whether the next step starts a read transaction (its first SELECT takes the snapshot). */
    boolean startsRead() {
        return current == null && reading == null && queue.peek() instanceof SqlScenario.Read;
    }

    /** Runs the next statement (or the COMMIT / ROLLBACK) of this connection's current transaction. */
    Outcome step(TreeMap<Integer, String> committed) {
        if (reading != null) {
            return stepRead(committed);
        }
        if (current == null) {
            SqlScenario.Action next = queue.poll();
            if (next instanceof SqlScenario.LockingMode m) {
                mode = m;
                return new Outcome(Kind.LOCKING, null, null, null, false);
            }
            if (next instanceof SqlScenario.Read r) {
                reading = r;
                at = 0;
                after = null;
                commitTries = 0;
                observed.clear();
                return stepRead(committed);
            }
            current = (SqlScenario.Tx) next;
            lastWasRead = false;
            if (current == null) {
                return new Outcome(Kind.RUNNING, null, null, null, false);
            }
            at = 0;
            after = null;
            commitTries = 0;
            explicit = current.stmts().size() > 1 || current.rollback();
        }
        SqlScenario.Tx tx = current;
        try {
            if (at < tx.stmts().size()) {
                if (at == 0 && explicit) {
                    connection.setAutoCommit(false);
                }
                if (after == null) {
                    after = new TreeMap<>(committed);
                }
                SqlScenario.Stmt s = tx.stmts().get(at);
                int n = SqlReplica.run(connection, s, "");
                if (s instanceof SqlScenario.Update u && n != (after.containsKey(u.key()) ? 1 : 0)) {
                    throw new InvariantViolation("sql-model", "c" + id + ": UPDATE of key " + u.key() + " changed "
                            + n + " rows");
                }
                SqlReplica.apply(s, after, "");
                at++;
                return explicit ? new Outcome(Kind.RUNNING, tx, null, null, false) : done(Kind.COMMITTED);
            }
            if (tx.rollback()) {
                connection.rollback();
                connection.setAutoCommit(true);
                return done(Kind.ROLLED_BACK);
            }
            connection.commit();
            connection.setAutoCommit(true);
            return done(Kind.COMMITTED);
        } catch (SQLException e) {
            boolean atCommit = !explicit || at >= tx.stmts().size();
            int code = code(e);
            if (code == 5 && explicit && at >= tx.stmts().size() && !tx.rollback() && ++commitTries < 5) {
                return new Outcome(Kind.RUNNING, tx, null, e, true); // readers hold the lock: retry the COMMIT
            }
            TreeMap<Integer, String> maybe = null;
            if (atCommit && after != null) {
                maybe = new TreeMap<>(after);
                if (!explicit) {
                    SqlReplica.apply(tx.stmts().get(0), maybe, ""); // the autocommit statement's own commit failed
                }
            }
            abort();
            return new Outcome(code == 5 ? Kind.BUSY : Kind.FAILED, tx, maybe, e, atCommit);
        }
    }

    /**
     * One step of a read transaction: BEGIN and the first SELECT, each further SELECT, then the optional write (on
     * the latest committed state, like any write), then COMMIT.
     */
    private Outcome stepRead(TreeMap<Integer, String> committed) {
        SqlScenario.Read r = reading;
        lastWasRead = true;
        SqlScenario.Tx asTx = new SqlScenario.Tx(r.conn(), r.write() == null ? List.of() : List.of(r.write()), false);
        try {
            if (at < r.keys().size()) {
                if (at == 0) {
                    connection.setAutoCommit(false);
                }
                int k = r.keys().get(at);
                failedSelect = true;
                try (PreparedStatement p = connection.prepareStatement("SELECT v FROM kv WHERE k = ?")) {
                    p.setInt(1, k);
                    try (ResultSet rs = p.executeQuery()) {
                        observed.put(k, rs.next() ? rs.getString(1) : null);
                    }
                }
                failedSelect = false;
                at++;
                return new Outcome(Kind.READ, asTx, null, null, false);
            }
            if (r.write() != null && after == null) {
                TreeMap<Integer, String> next = new TreeMap<>(committed); // once it runs it holds the write lock
                int n = SqlReplica.run(connection, r.write(), "");
                if (r.write() instanceof SqlScenario.Update u && n != (next.containsKey(u.key()) ? 1 : 0)) {
                    throw new InvariantViolation("sql-model", "c" + id + ": UPDATE of key " + u.key() + " after a read"
                            + " changed " + n + " rows (written on a stale snapshot?)");
                }
                SqlReplica.apply(r.write(), next, "");
                after = next;
                return new Outcome(Kind.RUNNING, asTx, null, null, false);
            }
            connection.commit();
            connection.setAutoCommit(true);
            TreeMap<Integer, String> state = after;
            reading = null;
            after = null;
            return state == null ? new Outcome(Kind.READ_DONE, asTx, null, null, false)
                    : new Outcome(Kind.COMMITTED, asTx, state, null, false);
        } catch (SQLException e) {
            boolean atCommit = r.write() != null && after != null && at >= r.keys().size();
            int code = code(e);
            if (code == 5 && atCommit && ++commitTries < 5) {
                return new Outcome(Kind.RUNNING, asTx, null, e, true);
            }
            TreeMap<Integer, String> maybe = atCommit ? new TreeMap<>(after) : null;
            reading = null;
            abort();
            return new Outcome(code == 5 ? Kind.BUSY : Kind.FAILED, asTx, maybe, e, atCommit);
        }
    }

    /** The locking-mode step a LOCKING outcome announced. */
    SqlScenario.LockingMode takeMode() {
        SqlScenario.LockingMode m = mode;
        mode = null;
        return m;
    }

    private Outcome done(Kind kind) {
        Outcome o = new Outcome(kind, current, kind == Kind.COMMITTED ? after : null, null, false);
        current = null;
        after = null;
        return o;
    }

    /** Ends the current transaction without committing it (whatever state the connection is in). */
    private void abort() {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException ignored) {
            // SQLite may have rolled back already
        }
        try {
            connection.setAutoCommit(true);
        } catch (SQLException ignored) {
            // the next transaction sets it again
        }
        current = null;
        after = null;
    }

    /** Drops queued work and closes the connection (the process stops or restarts). */
    void abandon() {
        queue.clear();
        current = null;
        reading = null;
        try {
            connection.close();
        } catch (SQLException | RuntimeException ignored) {
            // a connection of a crashed process
        }
    }

    /** SQLite's result code (extended for a conflict: 517 SQLITE_BUSY_SNAPSHOT). */
    static int code(SQLException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (m.contains("SQLITE_BUSY_SNAPSHOT")) {
            return 517;
        }
        if (m.contains("[SQLITE_BUSY]")) {
            return 5;
        }
        return e.getErrorCode();
    }
}
