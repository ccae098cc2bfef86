package dev.ltx4j.simulator.workload;

import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.property.Gen;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The "timetravel" workload (issue 11): a publisher grows a replica one LTX file at a time while simulated time
 * passes (sometimes several files in one millisecond), compacts runs of files into higher levels and deletes the
 * inputs as compaction and retention do, and a time traveller asks a read-mode engine for random past times (also
 * exactly at commit times, before the oldest retained state and in the future). {@link TimeTravelRun} holds the
 * model (every TXID's state and commit time, and which TXIDs compaction removed) and checks property
 * {@code time-travel}: every answer is exactly the model's state at the newest retained TXID at or before the time,
 * and every refusal is the model's (a future time; a time before the oldest retained state, naming its time).
 */
public final class TimeTravelScenario implements Scenario<TimeTravelScenario.Action> {

    /** One step. */
    public sealed interface Action permits Append, Compact, Travel, Idle {}

    /** The publisher appends {@code files} L0 files in the same millisecond, each writing {@code pages} pages. */
    public record Append(int files, int pages, long fill) implements Action {
        @Override
        public String toString() {
            return "append " + files + "x" + pages + "p " + Long.toHexString(fill & 0xffff);
        }
    }

    /** Up to {@code span} files of level {@code level - 1} are compacted into one file of {@code level}; inputs deleted. */
    public record Compact(int level, int span) implements Action {
        @Override
        public String toString() {
            return "compact into L" + level + " up to " + span;
        }
    }

    /**
     * A time travel: to the commit time of the TXID {@code pick} selects ({@code exact}), or to a time
     * {@code pick} selects between shortly before the first commit and shortly after now.
     */
    public record Travel(long pick, boolean exact) implements Action {
        @Override
        public String toString() {
            return "travel " + (exact ? "exact " : "") + Long.toHexString(pick & 0xffffff);
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

    public TimeTravelScenario() {
        this(EnumSet.noneOf(Bug.class));
    }

    /** With bug switches: {@link Bug#TIME_TRAVEL_STRICTLY_BEFORE}. */
    public TimeTravelScenario(Set<Bug> bugs) {
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
    }

    @Override
    public String name() {
        return "timetravel";
    }

    @Override
    public Gen<Action> action(FaultPlan faults) {
        Gen<Action> g = Gen.frequency(
                Gen.weighted(40, r -> new Append(r.nextInt(4) == 0 ? 2 : 1, 1 + r.nextInt(3), r.nextLong())),
                Gen.weighted(8, r -> new Compact(1 + (r.nextInt(3) == 0 ? 1 : 0), 2 + r.nextInt(6))),
                Gen.weighted(30, r -> new Travel(r.nextLong() & Long.MAX_VALUE, r.nextInt(3) == 0)),
                Gen.weighted(20, r -> new Idle(1 + r.nextInt(2000))));
        return g.withSimplifier(a -> {
            if (a instanceof Append p && (p.pages() > 1 || p.files() > 1)) {
                return List.of(new Append(1, 1, p.fill()));
            }
            if (a instanceof Compact c && c.span() > 2) {
                return List.of(new Compact(c.level(), 2));
            }
            if (a instanceof Idle i && i.millis() > 1) {
                return List.of(new Idle(1));
            }
            return List.of();
        });
    }

    @Override
    public void run(World world, List<Action> actions) throws Exception {
        new TimeTravelRun(world, bugs).execute(actions);
    }
}
