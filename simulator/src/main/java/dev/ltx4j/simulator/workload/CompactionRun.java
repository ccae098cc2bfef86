package dev.ltx4j.simulator.workload;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.RetentionPlan;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.RetryPolicy;
import dev.ltx4j.replica.RetryTimer;
import dev.ltx4j.simulator.FaultKind;
import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.SimRandom;
import dev.ltx4j.simulator.World;
import dev.ltx4j.simulator.disk.SimDisk;
import dev.ltx4j.simulator.store.SimObjectStore;
import dev.ltx4j.simulator.store.StoreJournal;
import dev.ltx4j.syncer.EngineClientStack;
import dev.ltx4j.syncer.EngineFaults;
import dev.ltx4j.syncer.EngineOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One run of the {@link CompactionScenario}. The engine scenario's actors ({@link EngineWriter} with its sync step,
 * {@link EngineRival}) write; {@link CompactorActor}s (one inside the writer's process, zero to two separate
 * processes, racing when there are two) compact, snapshot and delete on intervals of seconds; read-mode
 * {@link CompactionFollower}s keep reading. The model is the {@link ReplicaAuditor} reading level 0's whole history
 * from the store's {@link StoreJournal} (so states stay known after their files are deleted). Properties: the
 * engine scenario's writer properties ({@code durability}, {@code read-your-writes}, {@code atomicity},
 * {@code no-fork}, {@code checksum-chain}, {@code lost-acknowledged-write}, conflicts); after every compactor step
 * and at the end the {@link RetentionChecker}'s {@code compaction-correct}, {@code retention},
 * {@code restore-equals-model} and {@code create-if-absent}; {@code file-count-bound} at the end (after a fault-free
 * window of steps; during the run it is counted after every clean step, {@code file-count-over-bound});
 * {@code follower-wrong-data} (a follower may lose a deleted file and reopen, never show a
 * wrong state); {@code liveness} (faults off: everything reaches the replica, compaction and retention settle,
 * every follower reaches the head).
 */
final class CompactionRun {
    static final String PREFIX = "db";
    /** Files older than the bound's window that may legitimately remain (a snapshot and chain per level, lag). */
    static final int OLD_FILE_SLACK = 12;

    /**
     * Whether a reader failing on a file that retention deleted breaks {@code read-availability} (the writer) or
     * {@code follower-availability} when retention promised the state it reads: a follower's TXID inside the
     * retention window, the writer's replica TXID inside the window or the replica's head. On by default;
     * {@code -Dltx4j.sim.strictReaders=false} only counts such failures ({@code writer-lost-file},
     * {@code follower-lost-file-in-window}) and answers them by a reopen. Failures retention did not promise against
     * are counted and answered so always: a writer left behind a rival's commits may lose its TXID to retention once
     * its file is older than the window (seed 1053). Wrong data always breaks a property.
     */
    static final boolean STRICT_READERS = !"false".equals(System.getProperty("ltx4j.sim.strictReaders"));

    /** Longest extra listing lag the compactors see ({@link StaleListingClient}). */
    static final Duration COMPACTOR_LISTING_LAG = Duration.ofSeconds(8);

    /** Bounded retries of the writer's (and the in-writer compactor's) client stack. */
    static final RetryPolicy RETRIES = new RetryPolicy(4, Duration.ofMillis(20), Duration.ofMillis(200),
            Duration.ofSeconds(2));

    private final World world;
    private final SimObjectStore store;
    private final StoreJournal journal = new StoreJournal();
    private final ReplicaAuditor auditor;
    private final EngineOracle oracle;
    private final EngineWriter writer;
    /** The writer's client, with the faults of the deliberate {@link LostUploadRestart} step. */
    private final LostCreateClient lostCreates;
    private final int pageSize;
    private final EngineRival rival;
    private final RetentionChecker checker;
    private final List<CompactorActor> compactors = new ArrayList<>();
    private final List<Duration> stepPeriods = new ArrayList<>();
    /** The window start the oracle last demanded (ms): it never moves back (see {@link #windowStartMillis}). */
    private long windowStart = Long.MIN_VALUE;
    private final List<CompactorActor> separate = new ArrayList<>();
    private CompactorActor inWriter;
    private final List<CompactionFollower> followers = new ArrayList<>();
    private final CompactionSettings settings;
    private final Duration syncInterval;
    private final EngineOptions writerOptions;
    /** The writer's options with a close timeout, for {@link CloseUnderClockStep}. */
    private final EngineOptions closingOptions;
    private final CloseUnderClockStep closeStep;
    private final Duration pollInterval;
    private final Path tempDir;
    private final SimRandom random;
    private final long boundWindowNanos;
    private int maxOld;
    private boolean faultsStopped;
    private int maxLive;

    CompactionRun(World world, Set<Bug> bugs) throws IOException {
        this.world = world;
        Set<Bug> b = bugs.isEmpty() ? EnumSet.noneOf(Bug.class) : EnumSet.copyOf(bugs);
        this.store = new SimObjectStore(world);
        store.setCorruptibleFrom(Integer.MAX_VALUE); // damage at rest is the uploader scenario's subject
        store.setJournal(journal);
        // No log-file reuse here: this scenario is about compaction and retention, and its seeded cases (the corpus,
        // CompactionScenarioTest's fork seed) predate reuse, which shifts every trace; the engine, sql, hydration and
        // log-writer scenarios run the buffer on a reusing disk (docs/sync-cost.md).
        SimDisk disk = new SimDisk(world, "disk", false);
        SimRandom config = world.random("compaction/config");
        this.random = world.random("compaction/run");
        int pick = config.nextInt(20);
        int pageSize = pick < 9 ? 512 : pick < 17 ? 4096 : 65536;
        int maxPages = pageSize == 512 ? 48 : pageSize == 4096 ? 24 : 6;
        int d = config.nextInt(10);
        Durability durability = d < 5 ? Durability.LOCAL : d < 7 ? Durability.NONE : Durability.REMOTE;
        this.syncInterval = Duration.ofMillis(100 + config.nextInt(300));
        this.pollInterval = Duration.ofMillis(150 + config.nextInt(600));
        long cache = config.nextBoolean() ? 0 : 8L * pageSize;
        this.settings = settings(config);
        this.auditor = new ReplicaAuditor(store, PREFIX, pageSize, EngineRun.RIVAL_NODE, journal);
        this.tempDir = Files.createTempDirectory("ltx4j-sim-compaction-");
        SqliteView sqliteView = new SqliteView(world.clock());
        long writerOffset = config.nextInt(4001) - 2000;
        // Reads as Clock.offset(world, writerOffset) until a deliberate step moves it (CloseUnderClockStep).
        SteppingClock writerClock = new SteppingClock(world.clock(), writerOffset);
        // The production client stack with bounded retries timed by the simulated clock: the subject here is
        // compaction, and a writer whose every sync fails on the first transient error makes few files to compact.
        ReplicaClient writerClient = EngineClientStack.build(store.client(PREFIX), RETRIES, simTimer(world),
                config.nextLong());
        EngineFaults engineFaults = EngineFaults.builder()
                .relocateFromListingOnly(b.contains(Bug.RELOCATE_FROM_LISTING_ONLY))
                .forgetOwnStateAfterRestart(b.contains(Bug.FORGET_OWN_STATE_AFTER_RESTART))
                .skipSyncCheck(b.contains(Bug.SKIP_SYNC_CHECK))
                .reuseUnverifiedUpload(b.contains(Bug.REUSE_UNVERIFIED_UPLOAD))
                .forgetLandedAdoption(b.contains(Bug.FORGET_LANDED_ADOPTION))
                .closeRetriesOnWallClock(b.contains(Bug.CLOSE_RETRIES_ON_WALL_CLOCK)).build();
        LostCreateClient lostCreates = new LostCreateClient(writerClient);
        CloseUnderClockStep.OutageClient outage = new CloseUnderClockStep.OutageClient(lostCreates);
        CloseUnderClockStep[] closeStep = {null};
        EngineOptions.Builder writerBuilder = EngineOptions.builder().writeEnabled(true).durability(durability)
                .syncInterval(syncInterval).clock(EngineClock.of(writerClock, () -> closeStep[0].writerNanoTime(),
                        pause -> closeStep[0].paused(pause)))
                .seed(config.nextLong()).bufferStorage(disk, "db.buffer")
                .conflictDirectory(tempDir.resolve("conflicts")).cacheBytes(cache).closeTimeout(Duration.ZERO)
                .replicaIdentity("sim://" + PREFIX).faults(engineFaults).background(Runnable::run)
                .compaction(settings); // the deployment's grace bounds the sync check's horizon; the lane is not stepped
        EngineOptions writerOptions = writerBuilder.build();
        this.closingOptions = writerBuilder.closeTimeout(CloseUnderClockStep.CLOSE_TIMEOUT).build();
        this.writerOptions = writerOptions;
        this.closeStep = closeStep[0] = new CloseUnderClockStep(world, writerClock, outage);
        this.oracle = new EngineOracle(world, store, disk, auditor, sqliteView, pageSize, tempDir);
        // The relocate-from-listing-only switch's failures are lost files to a tolerant reader: runs with it are strict.
        boolean strict = STRICT_READERS || b.contains(Bug.RELOCATE_FROM_LISTING_ONLY);
        oracle.tolerateLostFiles(e -> lostFile(e) && (!strict || writerStateUnpromised()));
        this.lostCreates = lostCreates;
        this.pageSize = pageSize;
        this.writer = new EngineWriter(world, disk, auditor, oracle, pageSize, maxPages, durability, syncInterval,
                writerOptions, outage, writerClock);
        this.rival = new EngineRival(world, auditor, store.client(PREFIX), world.random("engine/phantom"), pageSize,
                maxPages);
        this.checker = new RetentionChecker(world, store, journal, auditor, PREFIX, pageSize);
        checker.planner(files -> {
            RetentionPlan p = RetentionPlan.of(files, Instant.ofEpochMilli(world.clock().millis()), settings.retention(),
                    settings.retentionGrace());
            return "; RetentionPlan over these files now keeps " + p.keep().size() + " and deletes " + p.delete().size();
        });

        boolean hasInWriter = config.nextInt(4) != 0;
        int nSeparate = hasInWriter ? config.nextInt(3) : 1 + config.nextInt(2);
        if (hasInWriter) {
            long salt = config.nextLong();
            // The writer's LTX timestamps keep its own, unstepped clock (docs/simulator-structure.md, "Clock steps").
            inWriter = new CompactorActor(world, "compactor-w", true, () -> stale(writerClient, salt), settings,
                    new SteppingClock(world.clock(), writerOffset), b);
            inWriter.onCrash(() -> world.scheduler().at(world.clock().nanoTime(), "writer", "crash with compactor",
                    n -> writer.crash()));
            inWriter.reuseUploads(writer::recentUploads, b.contains(Bug.REUSE_UNVERIFIED_UPLOAD));
            add(inWriter, config);
        }
        for (int i = 0; i < nSeparate; i++) {
            long offset = config.nextInt(4001) - 2000;
            // Half the separate processes retry as the CLI's client stack does; the others meet every fault.
            boolean retries = config.nextBoolean();
            long jitter = config.nextLong();
            long salt = config.nextLong();
            Supplier<ReplicaClient> clients = retries
                    ? () -> stale(EngineClientStack.build(store.client(PREFIX), RETRIES, simTimer(world), jitter), salt)
                    : () -> stale(store.client(PREFIX), salt);
            CompactorActor c = new CompactorActor(world, "compactor" + i, false, clients, settings,
                    new SteppingClock(world.clock(), offset), b);
            separate.add(c);
            add(c, config);
        }
        if (compactors.size() >= 2) {
            for (int i = 0; i < compactors.size(); i++) {
                compactors.get(i).rival(compactors.get((i + 1) % compactors.size()));
            }
        }
        int nFollowers = 1 + config.nextInt(2);
        for (int i = 0; i < nFollowers; i++) {
            Clock c = Clock.offset(world.clock(), Duration.ofMillis(config.nextInt(4001) - 2000));
            followers.add(new CompactionFollower(world, "follower" + i, store.client(PREFIX),
                    SimFollower.options(PREFIX, c, world, pollInterval, cache, i, engineFaults), auditor, oracle,
                    this::insideWindow, strict, pageSize));
        }
        store.setRival((prefix, level, min, max) -> rival.phantomRival(level, min, max));
        long maxInterval = settings.levelIntervals().stream().mapToLong(Duration::toNanos).max().orElse(0);
        long maxStep = stepPeriods.stream().mapToLong(Duration::toNanos).max().orElse(0);
        this.boundWindowNanos = settings.retention().toNanos() + settings.retentionGrace().toNanos()
                + settings.snapshotInterval().toNanos() + maxInterval + 2 * maxStep + Duration.ofSeconds(7).toNanos();
        world.record("compaction", "page size " + pageSize + ", " + durability + ", sync every "
                + syncInterval.toMillis() + " ms, " + settings + ", compactors " + compactors.stream()
                .map(c -> c.name).toList() + " stepping every " + stepPeriods + ", " + nFollowers + " followers"
                + (b.isEmpty() ? "" : ", bugs " + b));
    }

    /**
     * Whether {@code e} says a replica file a reader planned with is gone: a not-found from the store, or the
     * engine's clear error for a TXID that retention removed ({@code TxidUnavailableException}, by name: it comes
     * with the readers' re-planning).
     */
    static boolean lostFile(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ReplicaNotFoundException || t.getClass().getSimpleName().equals("TxidUnavailableException")) {
                return true;
            }
        }
        return false;
    }

    /** Retry waits that pass simulated time. */
    static RetryTimer simTimer(World world) {
        return new RetryTimer() {
            @Override
            public long nanoTime() {
                return world.clock().nanoTime();
            }

            @Override
            public void sleep(Duration d) {
                world.clock().advance(d);
            }
        };
    }

    /** A compactor's client: {@code c} with the compactors' longer listing lag, until faults stop. */
    private ReplicaClient stale(ReplicaClient c, long salt) {
        return new StaleListingClient(c, world, journal, PREFIX, salt, COMPACTOR_LISTING_LAG, () -> !faultsStopped);
    }

    /** Short intervals (seconds), so one run sees many compactions, snapshots and deletions. */
    private static CompactionSettings settings(SimRandom config) {
        long l1 = 300 + config.nextInt(1200);
        long l2 = l1 * (2 + config.nextInt(3));
        long l3 = l2 * (2 + config.nextInt(3));
        Duration snapshot = Duration.ofMillis(2000 + config.nextInt(8000));
        Duration retention = config.nextInt(10) == 0 ? Duration.ZERO : Duration.ofMillis(3000 + config.nextInt(12000));
        Duration grace = Duration.ofMillis(config.nextInt(3) == 0 ? 0 : config.nextInt(2500));
        return new CompactionSettings(true, List.of(Duration.ofMillis(l1), Duration.ofMillis(l2),
                Duration.ofMillis(l3)), snapshot, retention, grace);
    }

    private void add(CompactorActor c, SimRandom config) {
        compactors.add(c);
        stepPeriods.add(Duration.ofMillis(150 + config.nextInt(650)));
    }

    /**
     * The latest start of a retention window any compactor may have used so far, as a creation time (ms): TXIDs whose
     * level-0 file was created at or after it must stay restorable. Without clock steps that is {@code now + the
     * largest clock offset - retention}, as before; a compactor whose clock stepped is bounded by the windows it was
     * entitled to at its steps ({@link CompactorActor#takeEntitledWindowStart}: the model of docs/compaction.md,
     * "Clock steps"). It never moves back: what one compactor was entitled to delete stays deletable when its clock
     * steps back later.
     */
    long windowStartMillis() {
        if (settings.retention().isZero()) {
            return Long.MIN_VALUE;
        }
        long now = world.clock().millis();
        long start = Long.MIN_VALUE;
        for (CompactorActor c : compactors) {
            long s = now + c.clock().offsetMillis() - settings.retention().toMillis();
            if (c.clock().stepped()) {
                s = Math.min(s, c.takeEntitledWindowStart());
            }
            start = Math.max(start, s);
        }
        windowStart = Math.max(windowStart, start);
        return windowStart;
    }

    /**
     * Whether retention may have removed the state the writer reads: its replica TXID is behind the head (a rival
     * moved on) and that TXID's level-0 file was created before the oldest retention window. A writer whose state is
     * promised (inside the window, or the head) must never lose a file.
     */
    private boolean writerStateUnpromised() {
        long txid = writer.replicaTxid();
        auditor.audit();
        return txid >= 0 && txid < auditor.head() && !insideWindow(txid);
    }

    private boolean insideWindow(long txid) {
        long start = windowStartMillis();
        for (StoreJournal.Landing l : journal.everLanded(PREFIX, 0)) {
            if (l.maxTxid() == txid) {
                return l.createdAtMillis() >= start;
            }
        }
        return false;
    }

    void execute(List<CompactionScenario.Action> actions) throws Exception {
        try {
            writer.start();
            world.scheduler().play(Duration.ofMillis(100), "writer", actions, this::apply);
            world.scheduler().every(syncInterval, "syncer", "sync", now -> writer.syncTick());
            for (CompactionFollower f : followers) {
                world.scheduler().every(pollInterval, f.name, "poll", now -> f.poll());
            }
            for (int i = 0; i < compactors.size(); i++) {
                CompactorActor c = compactors.get(i);
                world.scheduler().every(stepPeriods.get(i), c.name, "step", now -> step(c));
            }
            world.scheduler().run(Long.MAX_VALUE, Long.MAX_VALUE);
            liveness();
        } catch (IOException | RuntimeException e) {
            throw InvariantViolation.unexpected(e);
        } finally {
            TempDirs.deleteTree(tempDir);
        }
    }

    private void step(CompactorActor c) {
        c.step();
        world.stats().operations(1);
        checker.check(windowStartMillis(), c.name + " step");
        if (c.lastStepClean && !settings.retention().isZero()) {
            // Under faults a snapshot can fail for a long stretch, and then the chain from the last one legitimately
            // keeps older files: counted here, enforced once faults stop (liveness).
            int old = checker.oldFiles(world.clock().nanoTime() - boundWindowNanos);
            maxOld = Math.max(maxOld, old);
            if (old > OLD_FILE_SLACK) {
                world.reached("file-count-over-bound", c.name + " " + old + " old files");
            }
        }
        maxLive = Math.max(maxLive, store.keys().size());
    }

    private void apply(CompactionScenario.Action a) throws IOException {
        if (a instanceof CompactionScenario.CrashCompactor cc) {
            if (!separate.isEmpty()) {
                CompactorActor c = separate.get(cc.which() % separate.size());
                c.kill(random.nextLong(2_000_000_000L));
                world.reached("compactor-killed", c.name);
            }
            return;
        }
        if (a instanceof CompactionScenario.CloseUnderClockStep c) {
            closeStep.run(writer, c, closingOptions, writerOptions, pageSize);
            return;
        }
        if (a instanceof CompactionScenario.StepCompactorClock step) {
            if (step.which() == CompactionScenario.StepCompactorClock.ALL) {
                for (var c : compactors) {
                    c.stepClock(step.deltaMillis());
                }
            } else if (!compactors.isEmpty()) {
                compactors.get(step.which() % compactors.size()).stepClock(step.deltaMillis());
            }
            return;
        }
        if (a instanceof CompactionScenario.LostUploadRestartStep l) {
            LostUploadRestart.run(world, writer, lostCreates, auditor, oracle, inWriter, l.commit(), syncInterval,
                    pageSize);
            return;
        }
        EngineScenario.Action e = ((CompactionScenario.Engine) a).action();
        if (e instanceof EngineScenario.Commit c) {
            writer.commit(c);
        } else if (e instanceof EngineScenario.RivalCommit r) {
            rival.rival(r.writes());
        } else if (e instanceof EngineScenario.Read) {
            writer.checkVisible("read");
        } else if (e instanceof EngineScenario.Crash) {
            writer.crash();
            if (inWriter != null) {
                inWriter.kill(0);
            }
        } else if (e instanceof EngineScenario.Restart) {
            writer.restart();
            if (inWriter != null) {
                inWriter.kill(0);
            }
        } else if (e instanceof EngineScenario.Idle i) {
            world.clock().advance(Duration.ofMillis(i.millis()));
        }
    }

    // ------------------------------------------------------------------------------------------ liveness

    private void liveness() throws IOException {
        oracle.stopFaults();
        faultsStopped = true;
        compactors.forEach(c -> c.crashPoints(false));
        compactors.forEach(CompactorActor::correctClock);
        world.reached("faults-stopped", "");
        world.clock().advance(Duration.ofSeconds(1)); // listing-lag windows close
        writer.drain();
        // Compaction and retention settle: a whole bound window of fault-free steps.
        long end = world.clock().nanoTime() + boundWindowNanos;
        long step = stepPeriods.stream().mapToLong(Duration::toNanos).min().orElse(1);
        while (world.clock().nanoTime() < end) {
            world.clock().advanceNanos(step);
            for (CompactorActor c : compactors) {
                step(c);
            }
        }
        checker.check(windowStartMillis(), "liveness");
        int live = settings.retention().isZero() ? -1
                : checker.checkBound(world.clock().nanoTime() - boundWindowNanos, OLD_FILE_SLACK, "liveness");
        for (CompactionFollower f : followers) {
            for (int k = 0; k < 3 * EngineRun.LIVENESS_INTERVALS && f.seenTxid != auditor.head(); k++) {
                world.clock().advance(pollInterval);
                f.poll();
            }
            if (auditor.head() > 0 && f.seenTxid != auditor.head()) {
                throw new InvariantViolation("liveness", f.name + " stuck at TXID " + f.seenTxid + ", replica head "
                        + auditor.head());
            }
        }
        writer.close();
        for (CompactionFollower f : followers) {
            f.close();
        }
        world.reached("liveness", "head TXID " + auditor.head() + ", " + live + " files at the end, at most " + maxLive
                + " live and " + maxOld + " older than the bound's window after a clean step, " + checker.checks()
                + " checks, " + checker.restores() + " restores, " + journal.deletions().size() + " deletions");
    }
}
