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
 * The "compaction" workload (issue 10): the engine scenario's writer, rival and followers on a replica that
 * compactors merge into levels 1..3 and level-9 snapshots and that retention prunes, all on short intervals
 * (seconds of simulated time), so one run sees many compactions, snapshots and deletions. Compactors run inside
 * the writer's process (its clock, client stack and crash domain) and as separate processes with their own
 * clients, two of them racing at times; crash points in the middle of compaction and of deletion stop them.
 * {@link CompactionRun} wires it and lists the properties.
 */
public final class CompactionScenario implements Scenario<CompactionScenario.Action> {

    /** One workload step. */
    public sealed interface Action permits Engine, CrashCompactor, LostUploadRestartStep, StepCompactorClock,
            CloseUnderClockStep {}

    /** A step of the engine workload (commit, rival commit, read, writer crash, restart, idle). */
    public record Engine(EngineScenario.Action action) implements Action {
        @Override
        public String toString() {
            return action.toString();
        }
    }

    /** A separate compactor process dies between steps (crash points inside steps come from the fault plan). */
    public record CrashCompactor(int which) implements Action {
        @Override
        public String toString() {
            return "crash-compactor " + which;
        }
    }

    /**
     * The writer commits, its upload's response is lost, it crashes and reopens behind a lagging listing, commits
     * the lost changes again and syncs ({@link LostUploadRestart}; durability NONE, else just the commit).
     */
    public record LostUploadRestartStep(EngineScenario.Commit commit) implements Action {
        @Override
        public String toString() {
            return "lost-upload-restart " + commit;
        }
    }

    /**
     * A compactor process's wall clock steps by {@code deltaMillis} now (either sign) while monotonic time runs on: the
     * {@code clock-step} fault made on purpose (targeted tests; the generator never draws it, so seeds keep their
     * traces). {@code which} picks among every compactor, the writer's first; {@link #ALL} steps each compactor once
     * (however many the seed drew).
     */
    public record StepCompactorClock(int which, long deltaMillis) implements Action {
        public static final int ALL = -1;

        @Override
        public String toString() {
            return "step-compactor-clock " + which + " " + deltaMillis + " ms";
        }
    }

    /**
     * The writer's own clock steps by {@code stepMillis} (either sign, 0: none) and its host is suspended for
     * {@code suspendMillis} (its monotonic time stands still, the world runs on) while close's final sync retries
     * against a store that does not answer ({@code close-retries}; targeted tests, never drawn).
     */
    public record CloseUnderClockStep(long stepMillis, long suspendMillis) implements Action {
        @Override
        public String toString() {
            return "close-under-clock-step " + stepMillis + " ms, suspend " + suspendMillis + " ms";
        }
    }

    private final Set<Bug> bugs;

    public CompactionScenario() {
        this(EnumSet.noneOf(Bug.class));
    }

    /**
     * With bug switches: {@link Bug#DELETE_TOO_EARLY} and {@link Bug#COMPACT_ACROSS_GAP} (compactor hooks), and the
     * engine scenario's.
     */
    public CompactionScenario(Set<Bug> bugs) {
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
    }

    @Override
    public String name() {
        return "compaction";
    }

    @Override
    public Gen<Action> action(FaultPlan faults) {
        Gen<EngineScenario.PageWrite> write = r -> new EngineScenario.PageWrite(r.nextInt(1 << 16), r.nextLong() | 1);
        Gen<List<EngineScenario.PageWrite>> writes = r -> {
            int n = 1 + r.nextInt(r.nextInt(8) == 0 ? 16 : 4);
            List<EngineScenario.PageWrite> ws = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ws.add(write.generate(r));
            }
            return List.copyOf(ws);
        };
        int crashWeight = (int) Math.round(faults.probability(FaultKind.CRASH) * 50);
        Gen<Action> g = Gen.frequency(
                Gen.weighted(60, r -> new Engine(new EngineScenario.Commit(writes.generate(r),
                        r.nextInt(10) == 0 ? -(1 + r.nextInt(15)) : 0))),
                Gen.weighted(2, r -> new Engine(new EngineScenario.RivalCommit(writes.generate(r)))),
                Gen.weighted(4, r -> new Engine(new EngineScenario.Read())),
                Gen.weighted(crashWeight, r -> new Engine(new EngineScenario.Crash())),
                Gen.weighted(crashWeight, r -> new CrashCompactor(r.nextInt(2))),
                Gen.weighted(crashWeight, r -> new LostUploadRestartStep(new EngineScenario.Commit(writes.generate(r),
                        0))),
                Gen.weighted(1, r -> new Engine(new EngineScenario.Restart())),
                Gen.weighted(20, r -> new Engine(new EngineScenario.Idle(1 + r.nextInt(800)))));
        return g.withSimplifier(a -> {
            if (a instanceof Engine e && e.action() instanceof EngineScenario.Commit c
                    && (c.writes().size() > 1 || c.resize() != 0)) {
                List<Action> out = new ArrayList<>();
                if (c.resize() != 0) {
                    out.add(new Engine(new EngineScenario.Commit(c.writes(), 0)));
                }
                if (c.writes().size() > 1) {
                    out.add(new Engine(new EngineScenario.Commit(List.of(c.writes().get(0)), c.resize())));
                }
                return out;
            }
            if (a instanceof LostUploadRestartStep l) {
                return List.of(new Engine(l.commit()));
            }
            if (a instanceof Engine e && e.action() instanceof EngineScenario.Idle i && i.millis() > 1) {
                return List.of(new Engine(new EngineScenario.Idle(i.millis() / 2)));
            }
            return List.of();
        });
    }

    @Override
    public void run(World world, List<Action> actions) throws Exception {
        new CompactionRun(world, bugs).execute(actions);
    }
}
