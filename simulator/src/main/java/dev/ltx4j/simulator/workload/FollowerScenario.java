package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.property.Gen;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The "follower" workload (issue 16): read-mode followers ({@link dev.ltx4j.syncer.Database}) poll a replica that
 * a publisher grows one LTX file at a time and that a replacer deletes and re-creates with another database
 * (fewer, as many or more TXIDs) or rewinds to an earlier TXID and continues differently, checksum-tracked or
 * Litestream-style without checksums (chosen by the seed). {@link FollowerRun} holds the model of every history
 * and the oracles: a follower serves only states some single history had, reports every switch, and catches up.
 */
public final class FollowerScenario implements Scenario<FollowerScenario.Action> {

    /** One step. */
    public sealed interface Action permits Append, Replace, Rewind, Idle {}

    /** The publisher appends one file writing {@code pages} pages with contents from {@code fill}. */
    public record Append(int pages, long fill) implements Action {
        @Override
        public String toString() {
            return "append " + pages + "p " + Long.toHexString(fill & 0xffff);
        }
    }

    /** The replica is deleted and another database published at TXIDs 1..{@code txids}. */
    public record Replace(int txids, long fill) implements Action {
        @Override
        public String toString() {
            return "replace with " + txids + " txids " + Long.toHexString(fill & 0xffff);
        }
    }

    /** Files above a TXID chosen by {@code at} are deleted and {@code txids} different ones published there. */
    public record Rewind(int at, int txids, long fill) implements Action {
        @Override
        public String toString() {
            return "rewind " + at + " then " + txids + " txids " + Long.toHexString(fill & 0xffff);
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

    public FollowerScenario() {
        this(EnumSet.noneOf(Bug.class));
    }

    /** With bug switches: {@link Bug#SKIP_FOLLOWER_CONTINUITY}. */
    public FollowerScenario(Set<Bug> bugs) {
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
    }

    @Override
    public String name() {
        return "follower";
    }

    @Override
    public Gen<Action> action(FaultPlan faults) {
        Gen<Action> g = Gen.frequency(
                Gen.weighted(60, r -> new Append(1 + r.nextInt(4), r.nextLong())),
                Gen.weighted(4, r -> new Replace(1 + r.nextInt(r.nextInt(4) == 0 ? 40 : 12), r.nextLong())),
                Gen.weighted(4, r -> new Rewind(r.nextInt(1 << 16), r.nextInt(4), r.nextLong())),
                Gen.weighted(20, r -> new Idle(1 + r.nextInt(400))));
        return g.withSimplifier(a -> {
            if (a instanceof Append p && p.pages() > 1) {
                return List.of(new Append(1, p.fill()));
            }
            if (a instanceof Replace p && p.txids() > 1) {
                return List.of(new Replace(1, p.fill()), new Replace(p.txids() / 2, p.fill()));
            }
            if (a instanceof Rewind w && w.txids() > 0) {
                return List.of(new Rewind(w.at(), 0, w.fill()));
            }
            if (a instanceof Idle i && i.millis() > 1) {
                return List.of(new Idle(1));
            }
            return List.of();
        });
    }

    @Override
    public void run(World world, List<Action> actions) throws Exception {
        new FollowerRun(world, bugs).execute(actions);
    }
}
