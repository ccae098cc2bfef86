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
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

/**
 * One compactor process of the {@link CompactionRun}: a real {@link Compactor} stepped from its own clock, over
 * its own client (or, {@link #inWriter}, the writer's client stack, dying with the writer). Its
 * {@link CompactionFaults} are the scenario's: the bug switches, crash points that kill the process in the middle
 * of compaction (before or after a create) and of deletion (before a batch), and the race hook that runs a rival
 * compactor's whole step inside this one's, just before its create or delete.
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
    private final Clock clock;
    private final SimRandom random;
    private final boolean deleteTooEarly;
    private final boolean compactAcrossGap;
    private final double crashPerPoint;
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
            CompactionSettings settings, Clock clock, boolean deleteTooEarly, boolean compactAcrossGap) {
        this.world = world;
        this.name = name;
        this.inWriter = inWriter;
        this.clients = clients;
        this.settings = settings;
        this.clock = clock;
        this.random = world.random("compaction/" + name);
        this.deleteTooEarly = deleteTooEarly;
        this.compactAcrossGap = compactAcrossGap;
        this.crashPerPoint = world.faults().probability(FaultKind.CRASH) / 2;
    }

    /** Turns the crash points on or off (off: the liveness phase). */
    void crashPoints(boolean on) {
        this.crashPoints = on;
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
        if (compactor == null) {
            start();
        }
        busy = true;
        lastStepClean = false;
        RecentUploads kept = uploads == null ? null : uploads.get();
        if (kept != given) { // the writer reopened (a new, empty store), or the compactor restarted
            compactor.reuseUploads(kept, trustNames);
            given = kept;
        }
        try {
            CompactionStatus before = compactor.status();
            CompactionStatus s = compactor.step(clock.instant());
            record(before, s);
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
    private void record(CompactionStatus before, CompactionStatus after) {
        boolean clean = true;
        for (LevelStatus l : after.levels()) {
            LevelStatus b = before.level(l.level());
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
        if (r.lastError() != null) {
            world.reached("retention-failed", name + ": " + r.lastError());
            clean = false;
        } else if (r.lastRun() != null && !r.lastRun().equals(before.retention().lastRun())
                && r.lastRunFilesDeleted() > 0) {
            world.reached("files-deleted", name + " " + r.lastRunFilesDeleted());
        }
        lastStepClean = clean;
    }

    private void start() {
        client = new SeverableReplicaClient(clients.get());
        compactor = new Compactor(client, settings, new Faults());
        given = null;
        crashed = false;
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
