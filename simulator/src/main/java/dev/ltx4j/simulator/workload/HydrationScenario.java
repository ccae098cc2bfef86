package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.property.Gen;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The "hydration" workload (issue 11, docs/hydration.md): a read-mode database hydrates a local copy of a replica
 * that a publisher grows one LTX file at a time and that compaction rewrites underneath (a level-9 snapshot, then
 * the level-0 files deleted), while the hydrator crashes at its crash points, restarts (the replica moving on while
 * it is down), finds its sidecar or its file damaged, and reads the replica through faults. {@link HydrationRun}
 * holds the model and the oracles: a complete hydrated copy equals a restore at its TXID, and every read (new or
 * pinned before the copy moved on) shows exactly the model's state at the TXID it pinned.
 */
public final class HydrationScenario implements Scenario<HydrationScenario.Action> {

    /** One step. */
    public sealed interface Action permits Append, Compact, Step, Crash, Restart, DamageSidecar, DamageFile {}

    /** The publisher appends one file writing {@code pages} pages with contents from {@code fill}. */
    public record Append(int pages, long fill) implements Action {
        @Override
        public String toString() {
            return "append " + pages + "p " + Long.toHexString(fill & 0xffff);
        }
    }

    /** Compaction elsewhere: a snapshot of the head, then every level-0 file it covers deleted. */
    public record Compact() implements Action {
        @Override
        public String toString() {
            return "compact";
        }
    }

    /** The database polls, takes a pin, and runs one hydration step; then the oracles run. */
    public record Step() implements Action {
        @Override
        public String toString() {
            return "step";
        }
    }

    /** The next hydration step crashes at crash point {@code point} (an index into the points), then restarts. */
    public record Crash(int point) implements Action {
        @Override
        public String toString() {
            return "crash at point " + point;
        }
    }

    /** The process stops; {@code appends} files land while it is down; it starts again. */
    public record Restart(int appends, long fill) implements Action {
        @Override
        public String toString() {
            return "restart after " + appends + " appends";
        }
    }

    /** While down, byte {@code at} (modulo its size) of the sidecar is flipped. */
    public record DamageSidecar(int at) implements Action {
        @Override
        public String toString() {
            return "damage sidecar at " + at;
        }
    }

    /** While down, byte {@code at} (modulo its size) of the hydrated file is flipped. */
    public record DamageFile(int at) implements Action {
        @Override
        public String toString() {
            return "damage file at " + at;
        }
    }

    private final Set<Bug> bugs;

    public HydrationScenario() {
        this(EnumSet.noneOf(Bug.class));
    }

    /** With bug switches: {@link Bug#HYDRATE_IGNORE_PIN}, {@link Bug#HYDRATE_TRUST_SIDECAR}. */
    public HydrationScenario(Set<Bug> bugs) {
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
    }

    @Override
    public String name() {
        return "hydration";
    }

    @Override
    public Gen<Action> action(FaultPlan faults) {
        Gen<Action> g = Gen.frequency(
                Gen.weighted(40, r -> new Append(1 + r.nextInt(4), r.nextLong())),
                Gen.weighted(5, r -> new Compact()),
                Gen.weighted(35, r -> new Step()),
                Gen.weighted(6, r -> new Crash(r.nextInt(3))),
                Gen.weighted(6, r -> new Restart(r.nextInt(3), r.nextLong())),
                Gen.weighted(3, r -> new DamageSidecar(r.nextInt(1 << 16))),
                Gen.weighted(6, r -> new DamageFile(r.nextInt(1 << 20))));
        return g.withSimplifier(a -> {
            if (a instanceof Append p && p.pages() > 1) {
                return List.of(new Append(1, p.fill()));
            }
            if (a instanceof Restart p && p.appends() > 0) {
                return List.of(new Restart(0, p.fill()));
            }
            return List.of();
        });
    }

    @Override
    public void run(World world, List<Action> actions) throws Exception {
        new HydrationRun(world, bugs).execute(actions);
    }
}
