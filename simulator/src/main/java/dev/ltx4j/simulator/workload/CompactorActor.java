package dev.ltx4j.simulator.workload;

import dev.ltx4j.compaction.CompactionFaults;
import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.compaction.Compactor;
import dev.ltx4j.compaction.LevelStatus;
import dev.ltx4j.compaction.RecentUploads;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One compactor process of the {@link CompactionRun}: a real {@link Compactor} stepped from its own clock, over
 * its own client (or, {@link #inWriter}, the writer's client stack, dying with the writer). Its
 * {@link CompactionFaults} are the scenario's: the bug switches, crash points that kill the process in the middle
 * of compaction (before or after a create) and of deletion (before a batch), and the race hook that runs a rival
 * compactor's whole step inside this one's, just before its create or delete. With {@link FaultKind#CLOCK_STEP} its
 * wall clock ({@link SteppingClock}) steps between steps while monotonic time runs on; it steps the compactor with
 * both, as the engine's lane does, and checks {@code schedule-elapsed}: no level, snapshot or retention runs twice
 * in one process within its interval of elapsed time (docs/simulator-structure.md, "Clock steps").
 */
final class CompactorActor {
    /** The process died at a crash point; thrown through the compactor, caught by {@link #step}. */
    static final class ProcessCrash extends Error {
        ProcessCrash(String where) {
            super("simulated crash " + where, null, false, false);
        }
    }

    final String name;
    final boolean inWriter;
    private final World world;
    private final Supplier<ReplicaClient> clients;
    private final CompactionSettings settings;
    private final SteppingClock clock;
    private final SimRandom random;
    /** The clock-step fault's own stream: drawing it leaves every other stream's draws as they were. */
    private final SimRandom steps;
    private final double stepChance;
    private final boolean deleteTooEarly;
    private final boolean compactAcrossGap;
    private final boolean wallClockSchedule;
    private final boolean wallClockWindow;
    private final double crashPerPoint;
    /** Per part (0 retention, 1..8 levels, 9 snapshots): the monotonic time of its last run in this process. */
    private final long[] ranAtNanos = new long[10];
    private final boolean[] ranHere = new boolean[10];
    /** This process's looks at its clock: {monotonic ns, offset ms} at each step (for the retention oracle). */
    private final List<long[]> looks = new ArrayList<>();
    /** The latest window start this process was entitled to at its steps since the oracle last asked (ms). */
    private long entitled = Long.MIN_VALUE;
    private SeverableReplicaClient client;
    private Compactor compactor;
    /** The writer's kept uploads (in-writer compactor only), and the store the compactor was last given. */
    private Supplier<RecentUploads> uploads;
    private boolean trustNames;
    private RecentUploads given;
    private CompactorActor rival;
    private boolean busy;
    private boolean crashed;
    private long downUntilNanos;
    private int incarnation;
    private Runnable onCrash = () -> { };
    private boolean crashPoints = true;
    /** Whether the last step ran retention to the end without an error (for the file-count bound). */
    boolean lastStepClean;

    CompactorActor(World world, String name, boolean inWriter, Supplier<ReplicaClient> clients,
            CompactionSettings settings, SteppingClock clock, Set<Bug> bugs) {
        this.world = world;
        this.name = name;
        this.inWriter = inWriter;
        this.clients = clients;
        this.settings = settings;
        this.clock = clock;
        this.random = world.random("compaction/" + name);
        this.steps = world.random("clock-step/" + name);
        this.stepChance = world.faults().probability(FaultKind.CLOCK_STEP);
        this.deleteTooEarly = bugs.contains(Bug.DELETE_TOO_EARLY);
        this.compactAcrossGap = bugs.contains(Bug.COMPACT_ACROSS_GAP);
        this.wallClockSchedule = bugs.contains(Bug.WALL_CLOCK_SCHEDULE);
        this.wallClockWindow = bugs.contains(Bug.WALL_CLOCK_WINDOW);
        this.crashPerPoint = world.faults().probability(FaultKind.CRASH) / 2;
    }

    /** Turns the crash points and clock steps on or off (off: the liveness phase). */
    void crashPoints(boolean on) {
        this.crashPoints = on;
    }

    /** This process's wall clock. */
    SteppingClock clock() {
        return clock;
    }

    /**
     * The latest retention window start (ms, a creation time) this process was entitled to use at its steps since the
     * last call, then forgets it ({@code Long.MIN_VALUE}: no step since).
     */
    long takeEntitledWindowStart() {
        long e = entitled;
        entitled = Long.MIN_VALUE;
        return e;
    }

    /**
     * The model of the window a correct compactor uses (docs/compaction.md, "Clock steps"), from this process's looks
     * alone: {@code wall - retention}, or what its wall clock read {@code retention} ago if earlier; a moment between
     * two looks that differ (a step fell between them) reads the earlier of the two, one before the first look the
     * first look's offset (a step before the process started is not known to it). Plus 1 ms: creation times are
     * whole milliseconds, the compactor's clock is not.
     */
    private void look(long nanos) {
        long offset = clock.offsetMillis();
        looks.add(new long[] {nanos, offset});
        long r = settings.retention().toMillis();
        if (r == 0) {
            return;
        }
        long at = nanos - settings.retention().toNanos();
        int before = -1;
        for (int i = looks.size() - 1; i >= 0; i--) {
            if (looks.get(i)[0] <= at) {
                before = i;
                break;
            }
        }
        long then = before < 0 ? looks.get(0)[1] : Math.min(looks.get(before)[1], looks.get(before + 1)[1]);
        if (before > 0) {
            looks.subList(0, before).clear(); // no later question reaches further back
        }
        long worldMillis = world.clock().millis();
        long start = Math.min(worldMillis + offset, worldMillis + then) - r + 1;
        entitled = Math.max(entitled, start);
    }

    /**
     * {@link FaultKind#CLOCK_STEP}: the wall clock jumps by 2 s to 3 days (log-uniform), back to where it belongs half
     * the time it is off (an NTP correction), else forward or back.
     */
    private void maybeStepClock() {
        if (stepChance == 0 || !crashPoints || !steps.chance(stepChance)) {
            return;
        }
        long delta;
        if (Math.abs(clock.offsetMillis() - clock.baseMillis()) >= 2_000 && steps.nextBoolean()) {
            delta = clock.baseMillis() - clock.offsetMillis();
        } else {
            double logMin = Math.log(2_000);
            double logMax = Math.log(Duration.ofDays(3).toMillis());
            delta = (long) Math.exp(logMin + steps.nextDouble() * (logMax - logMin));
            delta = steps.nextBoolean() ? delta : -delta;
        }
        stepClock(delta);
    }

    /** The wall clock jumps by {@code delta} ms now (the fault, or a workload's deliberate step). */
    void stepClock(long delta) {
        clock.step(delta);
        world.fired(FaultKind.CLOCK_STEP, name + " " + (delta > 0 ? "+" : "") + Duration.ofMillis(delta)
                + ", offset now " + Duration.ofMillis(clock.offsetMillis()));
    }

    /** Turns the clock back to its start offset (the liveness phase: an NTP correction; itself a step). */
    void correctClock() {
        long delta = clock.baseMillis() - clock.offsetMillis();
        if (Math.abs(delta) >= 2_000) { // less is drift to the compactor's timeline, which the oracle does not model
            clock.step(delta);
            world.reached("clock-corrected", name + " " + Duration.ofMillis(delta));
        }
    }

    /** Runs when the process crashes at a crash point (the in-writer compactor takes the writer down with it). */
    void onCrash(Runnable action) {
        this.onCrash = action;
    }

    /**
     * An in-writer compactor reuses the writer's kept uploads as the engine's own lane does ({@code trustNames}: the
     * {@code reuse-unverified-upload} switch).
     */
    void reuseUploads(Supplier<RecentUploads> store, boolean trustNames) {
        this.uploads = store;
        this.trustNames = trustNames;
    }

    /** The compactor that may step inside this one's step (a race), or null. */
    void rival(CompactorActor other) {
        this.rival = other;
    }

    /** One step at the process's clock; returns whether the process crashed in it. */
    boolean step() {
        long nanos = world.clock().nanoTime();
        if (nanos < downUntilNanos) {
            return false;
        }
        maybeStepClock();
        if (compactor == null) {
            start();
        }
        look(nanos);
        busy = true;
        lastStepClean = false;
        RecentUploads kept = uploads == null ? null : uploads.get();
        if (kept != given) { // the writer reopened (a new, empty store), or the compactor restarted
            compactor.reuseUploads(kept, trustNames);
            given = kept;
        }
        try {
            CompactionStatus before = compactor.status();
            CompactionStatus s = compactor.step(clock.instant(), nanos); // as the engine's lane: wall and monotonic
            record(before, s, nanos);
            return false;
        } catch (ProcessCrash c) {
            world.reached("compactor-crashed", name + " " + c.getMessage());
            kill(inWriter ? 0 : random.nextLong(2_000_000_000L));
            onCrash.run();
            return true;
        } finally {
            busy = false;
        }
    }

    /** Counts what the step did (the run's "sometimes" evidence) and whether every part succeeded. */
    private void record(CompactionStatus before, CompactionStatus after, long nanos) {
        boolean clean = true;
        for (LevelStatus l : after.levels()) {
            LevelStatus b = before.level(l.level());
            if (l.lastRun() != null && (b == null || !l.lastRun().equals(b.lastRun()))) {
                ran(l.level(), l.level() == 9 ? settings.snapshotInterval() : settings.interval(l.level()), nanos);
            }
            long created = l.filesCreated() - (b == null ? 0 : b.filesCreated());
            long already = l.alreadyCompacted() - (b == null ? 0 : b.alreadyCompacted());
            if (created > 0) {
                world.reached(l.level() == 9 ? "snapshot-created" : "compacted-L" + l.level(), name + " "
                        + (l.lastFile() == null ? "" : l.lastFile().range().filename()));
            }
            if (already > 0) {
                world.reached("already-compacted", name + " L" + l.level());
            }
            if (l.lastError() != null && (b == null || !l.lastError().equals(b.lastError())
                    || !java.util.Objects.equals(l.lastRun(), b.lastRun()))) {
                world.reached("compaction-failed", name + " L" + l.level() + ": " + l.lastError());
                clean = false;
            }
        }
        var r = after.retention();
        if (r.lastRun() != null && !r.lastRun().equals(before.retention().lastRun())) {
            ran(0, settings.interval(settings.levels()), nanos);
        }
        if (r.lastError() != null) {
            world.reached("retention-failed", name + ": " + r.lastError());
            clean = false;
        } else if (r.lastRun() != null && !r.lastRun().equals(before.retention().lastRun())
                && r.lastRunFilesDeleted() > 0) {
            world.reached("files-deleted", name + " " + r.lastRunFilesDeleted());
        }
        lastStepClean = clean;
    }

    /**
     * {@code schedule-elapsed}: {@code part} ran at monotonic time {@code nanos}; it must not have run in this process
     * less than {@code interval} before (the simulator's intervals are all shorter than {@link Compactor#FAILURE_RETRY}
     * and its replicas far below {@link Compactor#MAX_INPUTS} files, so neither shortens it).
     */
    private void ran(int part, Duration interval, long nanos) {
        if (ranHere[part] && nanos - ranAtNanos[part] < interval.toNanos()) {
            throw new InvariantViolation("schedule-elapsed", name + " ran " + (part == 0 ? "retention" : "L" + part)
                    + " again after " + Duration.ofNanos(nanos - ranAtNanos[part]) + " of elapsed time, interval "
                    + interval + " (wall clock offset " + Duration.ofMillis(clock.offsetMillis()) + ")");
        }
        ranHere[part] = true;
        ranAtNanos[part] = nanos;
    }

    private void start() {
        client = new SeverableReplicaClient(clients.get());
        compactor = new Compactor(client, settings, new Faults());
        given = null;
        crashed = false;
        Arrays.fill(ranHere, false);
        looks.clear();
        incarnation++;
        world.reached("compactor-started", name + " #" + incarnation);
    }

    /** The process dies now (between steps, or with the writer): its state is gone, it restarts after {@code downNanos}. */
    void kill(long downNanos) {
        if (client != null) {
            client.sever();
        }
        compactor = null;
        client = null;
        downUntilNanos = world.clock().nanoTime() + downNanos;
    }

    private void crashPoint(String where) {
        if (crashPoints && !crashed && random.chance(crashPerPoint)) {
            crashed = true;
            client.sever(); // whatever the compactor does after this, the dead process reaches no store
            throw new ProcessCrash(where);
        }
    }

    private void race(String where) {
        CompactorActor r = rival;
        if (r != null && !r.busy && !r.down() && random.chance(0.25)) {
            world.reached("compactor-race", r.name + " steps inside " + name + " " + where);
            r.step();
        }
    }

    private boolean down() {
        return compactor == null && world.clock().nanoTime() < downUntilNanos;
    }

    /** The scenario's hooks into the compactor. */
    private final class Faults implements CompactionFaults {
        @Override
        public boolean deleteTooEarly() {
            return deleteTooEarly;
        }

        @Override
        public boolean compactAcrossGap() {
            return compactAcrossGap;
        }

        @Override
        public boolean wallClockSchedule() {
            return wallClockSchedule;
        }

        @Override
        public boolean wallClockWindow() {
            return wallClockWindow;
        }

        @Override
        public void beforeCreate(LtxFileInfo file) {
            race("before creating L" + file.level() + "/" + file.range().filename());
            crashPoint("before creating L" + file.level() + "/" + file.range().filename());
        }

        @Override
        public void afterCreate(LtxFileInfo file) {
            crashPoint("after creating L" + file.level() + "/" + file.range().filename());
        }

        @Override
        public void beforeDelete(List<LtxFileInfo> files) {
            race("before deleting " + files.size() + " files");
            crashPoint("before deleting " + files.size() + " files");
        }
    }
}
