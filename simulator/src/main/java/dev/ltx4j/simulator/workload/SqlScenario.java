package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.property.Gen;
import java.util.ArrayList;
import java.util.List;

/**
 * The "sql" workload: real SQLite (sqlite-jdbc) on the litestream VFS, whose database is the engine
 * ({@link dev.ltx4j.syncer.Database}) built on the world's clock, a {@link dev.ltx4j.simulator.disk.SimDisk}
 * buffer and a {@link dev.ltx4j.simulator.store.SimObjectStore} replica; the scheduler steps SQL transactions
 * and the engine's syncs. Object-store faults (latency, lost responses, create races, ...) apply; the disk does
 * not fail and nothing crashes in this version. {@link SqlRun} holds the model and the oracles.
 */
public final class SqlScenario implements Scenario<SqlScenario.Action> {

    /** One workload step. */
    public sealed interface Action permits Tx, Idle {}

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
     * One transaction: a single statement without {@code rollback} runs in autocommit, anything else inside
     * an explicit transaction that ends with COMMIT, or ROLLBACK when {@code rollback}.
     */
    public record Tx(List<Stmt> stmts, boolean rollback) implements Action {
        @Override
        public String toString() {
            return (rollback ? "rollback" : "tx") + stmts;
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

    @Override
    public String name() {
        return "sql";
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
        Gen<Action> g = Gen.frequency(
                Gen.weighted(50, r -> new Tx(List.of(stmt.generate(r)), false)),
                Gen.weighted(30, r -> {
                    int n = 2 + r.nextInt(r.nextInt(6) == 0 ? 30 : 5);
                    List<Stmt> s = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        s.add(stmt.generate(r));
                    }
                    return new Tx(List.copyOf(s), r.nextInt(5) == 0);
                }),
                Gen.weighted(8, r -> new Idle(1 + r.nextInt(300))));
        return g.withSimplifier(a -> {
            if (a instanceof Tx t && t.stmts().size() > 1) {
                return List.of(new Tx(List.of(t.stmts().get(0)), t.rollback()));
            }
            if (a instanceof Tx t && t.rollback()) {
                return List.of(new Tx(t.stmts(), false));
            }
            return List.of();
        });
    }

    @Override
    public void run(World world, List<Action> actions) throws Exception {
        new SqlRun(world).execute(actions);
    }
}
