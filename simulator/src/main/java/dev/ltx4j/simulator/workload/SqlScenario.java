package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.property.Gen;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The "sql" workload: real SQLite (sqlite-jdbc) on the litestream VFS, whose database is the engine
 * ({@link dev.ltx4j.syncer.Database}) built on the world's clock, a {@link dev.ltx4j.simulator.disk.SimDisk}
 * buffer and a {@link dev.ltx4j.simulator.store.SimObjectStore} replica. Several connections (as a pool holds)
 * run interleaved transactions, one statement per scheduler step, so one connection's transaction can be open
 * while another commits or a sync runs; the engine's preemption points let connections step inside a sync (after
 * its snapshot, and after a conflict's snapshot), as other threads would. A rival writer lands valid SQLite
 * transactions on the replica (also as the store's create races), the machine crashes (the engine is dropped
 * unclosed and reopened from the simulated disk), the disk fails writes and fsyncs, and lost create responses
 * may complete late, after later requests. {@link SqlRun} holds the model and the oracles.
 */
public final class SqlScenario implements Scenario<SqlScenario.Action> {

    /** One workload step. */
    public sealed interface Action permits Tx, Read, Idle, Rival, Crash, RivalInTx, LockingMode {}

    /** One statement on table {@code kv(k INTEGER PRIMARY KEY, v TEXT)}. */
    public sealed interface Stmt permits Upsert, Update, Delete {}

    /** {@code INSERT OR REPLACE}: row {@code key} gets a value of {@code length} characters derived from {@code fill}. */
    public record Upsert(int key, long fill, int length) implements Stmt {
        @Override
        public String toString() {
            return "put " + key + "=" + Long.toHexString(fill & 0xfff) + "x" + length;
        }
    }

    /** {@code UPDATE}: changes row {@code key} if it exists. */
    public record Update(int key, long fill, int length) implements Stmt {
        @Override
        public String toString() {
            return "upd " + key + "=" + Long.toHexString(fill & 0xfff) + "x" + length;
        }
    }

    /** {@code DELETE} of row {@code key} (or of every row with {@code key < 0}). */
    public record Delete(int key) implements Stmt {
        @Override
        public String toString() {
            return key < 0 ? "del *" : "del " + key;
        }
    }

    /**
     * One transaction on connection {@code conn} (modulo the run's connection count): a single statement without
     * {@code rollback} runs in autocommit, anything else inside an explicit transaction that ends with COMMIT, or
     * ROLLBACK when {@code rollback}.
     */
    public record Tx(int conn, List<Stmt> stmts, boolean rollback) implements Action {
        public Tx(List<Stmt> stmts, boolean rollback) {
            this(0, stmts, rollback);
        }

        @Override
        public String toString() {
            return "c" + conn + (rollback ? " rollback" : " tx") + stmts;
        }
    }

    /**
     * A read transaction on connection {@code conn} (sql-readers): BEGIN, one SELECT per key, one scheduler step
     * each (other connections commit in between), then, when {@code write} is not null, that statement (a
     * read-then-write transaction), then COMMIT. Every SELECT must show the same committed state, no older than
     * the last commit acknowledged before the first SELECT nor than what the connection read before.
     */
    public record Read(int conn, List<Integer> keys, Stmt write) implements Action {
        @Override
        public String toString() {
            return "c" + conn + " read" + keys + (write == null ? "" : " then " + write);
        }
    }

    /** The rival writer commits these statements on a copy of the replica's head and lands it as the next TXID. */
    public record Rival(List<Stmt> stmts) implements Action {
        @Override
        public String toString() {
            return "rival" + stmts;
        }
    }

    /**
     * The deliberate conflict inside a write transaction (bug switch {@code conflicted-write-fails}): another
     * connection commits {@code pending} (held in the buffer, not yet synced), connection {@code conn} runs
     * {@code stmts} in an explicit transaction up to its COMMIT (its write session is open), the rival lands the next
     * TXID with {@code rivalStmts}, a sync finds the conflict, then the COMMIT writes its pages into the conflicted
     * engine and {@code after} runs on the same connection before the refresh. Every commit of it must be refused
     * or kept (conflict-preserved); the case once depended on a seed's luck (docs/simulator-bug-coverage.md).
     */
    public record RivalInTx(int conn, Stmt pending, List<Stmt> stmts, List<Stmt> rivalStmts, Stmt after)
            implements Action {
        @Override
        public String toString() {
            return "c" + conn + " tx" + stmts + " with " + pending + " pending, rival" + rivalStmts
                    + " and a sync inside, then " + after;
        }
    }

    /**
     * Sql-exclusive: connection {@code conn} runs {@code PRAGMA locking_mode=EXCLUSIVE} (when no other connection is in
     * that mode), or, with {@code exclusive} false and the connection in exclusive mode, {@code PRAGMA
     * locking_mode=NORMAL} and a read, which lets its kept lock go (SQLite releases it at the next access). Queued
     * behind the connection's transactions like any other step.
     */
    public record LockingMode(int conn, boolean exclusive) implements Action {
        @Override
        public String toString() {
            return "c" + conn + (exclusive ? " locking_mode=exclusive" : " locking_mode=normal");
        }
    }

    /** Power loss: the disk crashes, the engine and its connections are dropped unclosed and reopened. */
    public record Crash() implements Action {
        @Override
        public String toString() {
            return "crash";
        }
    }

    /** Let simulated time pass. */
    public record Idle(int millis) implements Action {
        @Override
        public String toString() {
            return "idle " + millis + "ms";
        }
    }

    static final int KEYS = 64;

    private final Set<Bug> bugs;
    private final boolean readers;
    private final boolean exclusive;

    public SqlScenario() {
        this(EnumSet.noneOf(Bug.class));
    }

    /** With bug switches ({@link Bug#CONFLICT_SNAPSHOT_RACE}, the VFS switches), injected into this run's engine. */
    public SqlScenario(Set<Bug> bugs) {
        this(bugs, false);
    }

    /**
     * With {@code readers} ("sql-readers"), read transactions ({@link Read}) that stay open across steps run beside
     * the writes (docs/concurrent-readers.md). Without, the action lists (and trace hashes) are the sql scenario's
     * as before.
     */
    public SqlScenario(Set<Bug> bugs, boolean readers) {
        this(bugs, readers, false);
    }

    /**
     * With {@code exclusive} ("sql-exclusive", implies readers), the sql-readers plan plus {@link LockingMode} steps:
     * a connection in {@code locking_mode=EXCLUSIVE} commits while the others read and are refused writes, then goes
     * back to NORMAL (docs/concurrent-readers.md, "Change counter of another state"). The sql and sql-readers plans
     * (and trace hashes) stay as they were.
     */
    public SqlScenario(Set<Bug> bugs, boolean readers, boolean exclusive) {
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
        this.readers = readers || exclusive;
        this.exclusive = exclusive;
    }

    @Override
    public String name() {
        return exclusive ? "sql-exclusive" : readers ? "sql-readers" : "sql";
    }

    @Override
    public Gen<Action> action(FaultPlan faults) {
        Gen<Stmt> stmt = r -> {
            int k = r.nextInt(KEYS);
            int pick = r.nextInt(20);
            int len = r.nextInt(8) == 0 ? 1 + r.nextInt(3000) : 1 + r.nextInt(120);
            if (pick < 12) return new Upsert(k, r.nextLong(), len);
            if (pick < 16) return new Update(k, r.nextLong(), len);
            return new Delete(pick == 19 && r.nextInt(10) == 0 ? -1 : k);
        };
        Gen<List<Stmt>> stmts = r -> {
            int n = 2 + r.nextInt(r.nextInt(6) == 0 ? 30 : 5);
            List<Stmt> s = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                s.add(stmt.generate(r));
            }
            return List.copyOf(s);
        };
        int crashWeight = (int) Math.round(faults.probability(FaultKind.CRASH) * 30);
        Gen<Action> g = exclusive ? Gen.frequency(
                Gen.weighted(40, r -> new Tx(r.nextInt(4), List.of(stmt.generate(r)), false)),
                Gen.weighted(20, r -> new Tx(r.nextInt(4), stmts.generate(r), r.nextInt(5) == 0)),
                Gen.weighted(40, SqlScenario::read),
                Gen.weighted(3, r -> new Rival(List.of(stmt.generate(r), stmt.generate(r)))),
                Gen.weighted(crashWeight, r -> new Crash()),
                Gen.weighted(8, r -> new Idle(1 + r.nextInt(300))),
                Gen.weighted(5, r -> new LockingMode(r.nextInt(4), true)),
                Gen.weighted(12, r -> new LockingMode(r.nextInt(4), false)))
                : !readers ? Gen.frequency(
                Gen.weighted(50, r -> new Tx(r.nextInt(4), List.of(stmt.generate(r)), false)),
                Gen.weighted(30, r -> new Tx(r.nextInt(4), stmts.generate(r), r.nextInt(5) == 0)),
                Gen.weighted(3, r -> new Rival(List.of(stmt.generate(r), stmt.generate(r)))),
                Gen.weighted(3, r -> new RivalInTx(r.nextInt(4), stmt.generate(r), manyPages(stmt, r),
                        List.of(stmt.generate(r)), stmt.generate(r))),
                Gen.weighted(crashWeight, r -> new Crash()),
                Gen.weighted(8, r -> new Idle(1 + r.nextInt(300))))
                : Gen.frequency(
                Gen.weighted(40, r -> new Tx(r.nextInt(4), List.of(stmt.generate(r)), false)),
                Gen.weighted(20, r -> new Tx(r.nextInt(4), stmts.generate(r), r.nextInt(5) == 0)),
                Gen.weighted(40, SqlScenario::read),
                Gen.weighted(3, r -> new Rival(List.of(stmt.generate(r), stmt.generate(r)))),
                Gen.weighted(crashWeight, r -> new Crash()),
                Gen.weighted(8, r -> new Idle(1 + r.nextInt(300))));
        return g.withSimplifier(a -> {
            if (a instanceof Tx t && t.stmts().size() > 1) {
                return List.of(new Tx(t.conn(), List.of(t.stmts().get(0)), t.rollback()));
            }
            if (a instanceof Tx t && t.rollback()) {
                return List.of(new Tx(t.conn(), t.stmts(), false));
            }
            if (a instanceof Tx t && t.conn() != 0) {
                return List.of(new Tx(0, t.stmts(), t.rollback()));
            }
            if (a instanceof Read rd && rd.write() != null) {
                return List.of(new Read(rd.conn(), rd.keys(), null));
            }
            if (a instanceof Read rd && rd.keys().size() > 1) {
                return List.of(new Read(rd.conn(), List.of(rd.keys().get(0)), rd.write()));
            }
            if (a instanceof Read rd && rd.conn() != 0) {
                return List.of(new Read(0, rd.keys(), rd.write()));
            }
            if (a instanceof Rival rv && rv.stmts().size() > 1) {
                return List.of(new Rival(List.of(rv.stmts().get(0))));
            }
            return List.of();
        });
    }

    /**
     * The deliberate transaction of {@link RivalInTx}: one that dirties many pages (SQLite's failed rollback of such a
     * transaction is what {@code conflicted-write-fails} needs), a delete of every row (3 in 4) or 2-4 values of
     * 1-3 KB (overflow pages), then 0-2 ordinary statements.
     */
    private static List<Stmt> manyPages(Gen<Stmt> stmt, dev.ltx4j.simulator.SimRandom r) {
        List<Stmt> s = new ArrayList<>();
        if (r.nextInt(4) != 0) {
            s.add(new Delete(-1));
        } else {
            for (int i = 2 + r.nextInt(3); i > 0; i--) {
                s.add(new Upsert(r.nextInt(KEYS), r.nextLong(), 1000 + r.nextInt(2000)));
            }
        }
        for (int i = r.nextInt(3); i > 0; i--) {
            s.add(stmt.generate(r));
        }
        if (s.size() < 2) {
            s.add(stmt.generate(r)); // two statements at least: an explicit transaction
        }
        return List.copyOf(s);
    }

    /** 1-4 keys to read, and in a third of them a write of the last key read (read-modify-write). */
    private static Read read(dev.ltx4j.simulator.SimRandom r) {
        int n = 1 + r.nextInt(4);
        List<Integer> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(r.nextInt(KEYS));
        }
        Stmt write = null;
        if (r.nextInt(3) == 0) {
            int k = keys.get(n - 1);
            write = r.nextBoolean() ? new Update(k, r.nextLong(), 1 + r.nextInt(120))
                    : new Upsert(k, r.nextLong(), 1 + r.nextInt(120));
        }
        return new Read(r.nextInt(4), List.copyOf(keys), write);
    }

    @Override
    public void run(World world, List<Action> actions) throws Exception {
        new SqlRun(world, bugs).execute(actions);
    }
}
