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
 * The "engine" workload: the real syncer ({@link dev.ltx4j.syncer.Database}) in write mode on a
 * {@link dev.ltx4j.simulator.disk.SimDisk} buffer and a {@link dev.ltx4j.simulator.store.SimObjectStore}
 * replica, stepped by the scheduler; a rival writer appending valid LTX files; crashes that drop the engine
 * without closing it and reopen it from the simulated disk; read-mode followers polled on their own interval;
 * clock skew between actors. {@link EngineRun} holds the reference model and checks the properties listed
 * there. Page size (512, 4096 or 65536), durability mode, intervals and cache size are chosen by the seed.
 */
public final class EngineScenario implements Scenario<EngineScenario.Action> {

    /** One workload step. */
    public sealed interface Action permits Commit, RivalCommit, Read, Crash, Restart, Idle {}

    /** Writes page number {@code slot} (taken modulo the database's page range) with contents from {@code fill}. */
    public record PageWrite(int slot, long fill) {
        @Override
        public String toString() {
            return slot + ":" + Long.toHexString(fill & 0xffff);
        }
    }

    /**
     * One writer transaction: {@code resize} 0 keeps the size (growing only to the pages written), a negative
     * value shrinks the database to {@code -resize} sixteenths of its size first.
     */
    public record Commit(List<PageWrite> writes, int resize) implements Action {
        @Override
        public String toString() {
            return "commit" + writes + (resize < 0 ? " shrink" + (-resize) + "/16" : "");
        }
    }

    /** The rival appends one LTX file on the replica's head. */
    public record RivalCommit(List<PageWrite> writes) implements Action {
        @Override
        public String toString() {
            return "rival" + writes;
        }
    }

    /** The writer reads the whole database and compares it with its last commit. */
    public record Read() implements Action {
        @Override
        public String toString() {
            return "read";
        }
    }

    /** Power loss: the buffer's disk crashes, the engine is dropped unclosed and reopened. */
    public record Crash() implements Action {
        @Override
        public String toString() {
            return "crash";
        }
    }

    /** Clean close and reopen. */
    public record Restart() implements Action {
        @Override
        public String toString() {
            return "restart";
        }
    }

    /** Let simulated time pass. */
    public record Idle(int millis) implements Action {
        @Override
        public String toString() {
            return "idle " + millis + "ms";
        }
    }

    private final Set<Bug> bugs;

    public EngineScenario() {
        this(EnumSet.noneOf(Bug.class));
    }

    /**
     * With bug switches: {@link Bug#SKIP_FSYNC}, {@link Bug#OVERWRITE_UPLOAD}, {@link Bug#AMBIGUOUS_AS_FAILED},
     * {@link Bug#CUT_SYNC_MID_TRANSACTION}, {@link Bug#FORGET_OWN_UPLOAD}, {@link Bug#IGNORE_SHRINK}.
     */
    public EngineScenario(Set<Bug> bugs) {
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
    }

    @Override
    public String name() {
        return "engine";
    }

    @Override
    public Gen<Action> action(FaultPlan faults) {
        Gen<PageWrite> write = r -> new PageWrite(r.nextInt(1 << 16), r.nextLong() | 1);
        Gen<List<PageWrite>> writes = r -> {
            int n = 1 + r.nextInt(r.nextInt(8) == 0 ? 24 : 5);
            List<PageWrite> ws = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ws.add(write.generate(r));
            }
            return List.copyOf(ws);
        };
        int crashWeight = (int) Math.round(faults.probability(FaultKind.CRASH) * 100);
        Gen<Action> g = Gen.frequency(
                Gen.weighted(60, r -> new Commit(writes.generate(r), r.nextInt(8) == 0 ? -(1 + r.nextInt(15)) : 0)),
                Gen.weighted(4, r -> new RivalCommit(writes.generate(r))),
                Gen.weighted(6, r -> new Read()),
                Gen.weighted(crashWeight, r -> new Crash()),
                Gen.weighted(2, r -> new Restart()),
                Gen.weighted(12, r -> new Idle(1 + r.nextInt(300))));
        return g.withSimplifier(a -> {
            if (a instanceof Commit c && (c.writes().size() > 1 || c.resize() != 0)) {
                List<Action> out = new ArrayList<>();
                if (c.resize() != 0) {
                    out.add(new Commit(c.writes(), 0));
                }
                if (c.writes().size() > 1) {
                    out.add(new Commit(List.of(c.writes().get(0)), c.resize()));
                }
                return out;
            }
            if (a instanceof RivalCommit rc && rc.writes().size() > 1) {
                return List.of(new RivalCommit(List.of(rc.writes().get(0))));
            }
            if (a instanceof Idle i && i.millis() > 1) {
                return List.of(new Idle(1));
            }
            return List.of();
        });
    }

    @Override
    public void run(World world, List<Action> actions) throws Exception {
        new EngineRun(world, bugs).execute(actions);
    }
}
