package dev.ltx4j.compaction;

import dev.ltx4j.compaction.internal.CarriedListings;
import dev.ltx4j.compaction.internal.Chain;
import dev.ltx4j.compaction.internal.FaultCrash;
import dev.ltx4j.compaction.internal.Merger;
import dev.ltx4j.compaction.internal.ObservedClient;
import dev.ltx4j.compaction.internal.Spool;
import dev.ltx4j.compaction.internal.StatusTracker;
import dev.ltx4j.compaction.internal.Timeline;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compaction, snapshots and retention for one replica, as step functions: the owner (the engine's scheduler thread,
 * the CLI, a simulator actor) calls them with the current time. No threads, no sleeps, no clock of its own.
 * Not thread-safe: one owner calls it; {@link #status()} may be read from any thread.
 *
 * <p>Level compaction follows Litestream: into level N (1..8) from level N-1, {@code seek} = the newest max TXID at
 * level N plus one; the inputs are a contiguous chain of level N-1 files from {@code seek} (at the same start the
 * largest max wins); the chain stops at the first gap, never crossing it; the output {@code [first min, last max]}
 * is merged by {@link dev.ltx4j.ltx.LtxCompactor} (the newest version of each page wins, timestamp = newest
 * input's) and created only if absent. A file of that name already there with the same range and page size means
 * the work is done (a racing compactor); anything else is a {@link CompactionException} naming both.
 *
 * <p>Output files carry {@code NoChecksum} as Litestream's do, unless every input carries database checksums: then
 * the output keeps them (pre-apply of the first input, post-apply of the last), so ltx4j's continuity checks keep
 * working on compacted files. Either form is a correct file for the range.
 */
public final class Compactor {

    /** At most this many input files go into one output file; the rest wait for the next call. */
    public static final int MAX_INPUTS = 1024;

    /** Retention deletes in batches of this many files by default (S3's DeleteObjects limit). */
    public static final int DEFAULT_DELETE_BATCH = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(Compactor.class);

    /** How often retention runs when there are no compaction levels. */
    static final Duration RETENTION_INTERVAL_WITHOUT_LEVELS = Duration.ofMinutes(1);

    /** A part whose last run failed is retried after at most this long, not a whole (maybe daily) interval. */
    public static final Duration FAILURE_RETRY = Duration.ofMinutes(1);

    private final ReplicaClient client;
    private final CompactionSettings settings;
    private final CompactionFaults faults;
    private final StatusTracker tracker;
    private final boolean[] more = new boolean[ReplicaClient.MAX_LEVEL + 1];
    /** The source listing a capped compaction leaves for the call that continues it (linear backlogs). */
    private final CarriedListings carried = new CarriedListings();
    private Path spoolDirectory;
    /** Bytes of inputs and output held in memory per operation; beyond it they go to temporary files. */
    long spoolMemoryBudget = Spool.MEMORY_BUDGET;
    /** The wall clock against monotonic time, across clock steps: the snapshot interval and the retention grace. */
    private final Timeline timeline = new Timeline();
    private final SnapshotSchedule snapshots;
    /** When levels and retention are due, on monotonic time. */
    private final PartSchedule schedule;
    private final Retention retention;
    /**
     * Whether a caller ever gave monotonic time ({@link #step(Instant, long)}, {@link #observe}): the calls without it
     * then use the last observation rather than synthesize one from the wall clock, which would import a forward
     * step as elapsed time (the grace lost; later real times clamped, snapshots stopped).
     */
    private boolean monotonic;
    /** The writer's own recent uploads, served instead of downloads when proven to be the stored files; or null. */
    private RecentUploads uploads;
    /** Bug switch (simulator only): serve held uploads on name and size alone, without anchoring them. */
    private boolean trustNames;
    /**
     * Per destination level: where its last compaction's verified held run ended (the next one into that level may
     * start from it without a read).
     */
    private final ReusedInputs.Anchor[] anchors = new ReusedInputs.Anchor[ReplicaClient.MAX_LEVEL + 1];

    public Compactor(ReplicaClient client, CompactionSettings settings, CompactionFaults faults) {
        Objects.requireNonNull(client, "client");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.faults = Objects.requireNonNull(faults, "faults");
        this.tracker = new StatusTracker(settings);
        this.client = new ObservedClient(client, tracker);
        this.snapshots = new SnapshotSchedule(this.client, settings, tracker, timeline);
        this.schedule = new PartSchedule(timeline, faults.wallClockSchedule());
        this.retention = new Retention(this.client, settings, faults, tracker, timeline);
    }

    /**
     * Retention deletes at most {@code files} files per {@link ReplicaClient#deleteFiles} call (default
     * {@link #DEFAULT_DELETE_BATCH}); each batch is preceded by {@link CompactionFaults#beforeDelete}.
     */
    public void setDeleteBatchSize(int files) {
        if (files < 1) {
            throw new IllegalArgumentException("delete batch size must be at least 1: " + files);
        }
        retention.setDeleteBatch(files);
    }

    /**
     * Where inputs and outputs larger than the in-memory budget are spooled (default: the system temporary
     * directory). Files are deleted when the operation ends.
     */
    public void setSpoolDirectory(Path directory) {
        this.spoolDirectory = directory;
    }

    public CompactionSettings settings() {
        return settings;
    }

    /**
     * Serves compaction inputs from {@code store} (the bytes of this writer's own recent uploads) where they are
     * proven to be the stored files, instead of downloading them ({@link ReusedInputs}); null stops it.
     *
     * @param trustNames bug switch for the simulator: skip the proof (name and size alone decide); false in production
     */
    public void reuseUploads(RecentUploads store, boolean trustNames) {
        this.uploads = store;
        this.trustNames = trustNames;
        java.util.Arrays.fill(anchors, null);
    }

    /**
     * Runs whatever is due at {@code now}, in order: level 1..n compactions, the snapshot, retention. Each part
     * records its success or error in the status; a failing part does not stop the others, in this step or later
     * ones. Does nothing when the settings are disabled. Errors are not thrown (they are in the status), except
     * what a {@link CompactionFaults} crash point throws, which propagates at once (a crash).
     *
     * <p>Due: a level when its interval has passed since its last run here (first step: at once; at once again after
     * a run capped at {@link #MAX_INPUTS}); the snapshot when snapshots are on, an interval has passed since its last
     * run, the newest level-9 file is at least the interval old (or there is none; the age of one this compactor wrote
     * is monotonic time) and it does not already hold the latest TXID; retention when it is on and the highest level's
     * interval has passed since its last run (1 hour by default; 1 minute without levels). Intervals are monotonic
     * time (see {@link #step(Instant, long)}; without it, time synthesized from the wall clock that stands still when
     * it steps back). A part whose last run failed is due again after {@link #FAILURE_RETRY} when that is
     * shorter than its interval.
     */
    public CompactionStatus step(Instant now) {
        Objects.requireNonNull(now, "now");
        look(now);
        return stepObserved(now);
    }

    /**
     * As {@link #step(Instant)}, with the caller's monotonic time ({@code System.nanoTime()}, an engine clock's): the
     * snapshot interval and the retention grace are then measured on it, so a step of the wall clock (NTP, a corrected
     * RTC) neither delays a snapshot nor shortens the grace (docs/compaction.md, "Clock steps"). Without it only a
     * backward step is seen.
     */
    public CompactionStatus step(Instant now, long monotonicNanos) {
        Objects.requireNonNull(now, "now");
        observe(now, monotonicNanos);
        return stepObserved(now);
    }

    /**
     * Records the wall clock against the caller's monotonic time without stepping. The engine calls it on every tick
     * of its lane, also when there is nothing to step: fed only when a step ran, an idle hour let a later wall-clock
     * step of up to a thousandth of the gap (3.6 s) pass as slow drift (docs/compaction.md, "Clock steps").
     */
    public void observe(Instant now, long monotonicNanos) {
        Objects.requireNonNull(now, "now");
        timeline.observe(now, monotonicNanos);
        monotonic = true;
    }

    /** Feeds the timeline for a call without monotonic time: synthesized only if no caller ever gave it. */
    private void look(Instant now) {
        if (!monotonic) {
            timeline.observe(now, timeline.synthesize(now));
        }
    }

    private CompactionStatus stepObserved(Instant now) {
        if (!settings.enabled()) {
            return status();
        }
        try {
            return stepOrCrash(now);
        } catch (FaultCrash crash) {
            throw crash.rethrow();
        }
    }

    private CompactionStatus stepOrCrash(Instant now) {
        for (int level = 1; level <= settings.levels(); level++) {
            if (more[level] || levelDue(level)) {
                try {
                    compactLevelOrCrash(level, now);
                } catch (FaultCrash crash) {
                    throw crash;
                } catch (IOException | RuntimeException e) {
                    LOG.debug("compaction into L{} failed: {}", level, e.toString()); // the caller reports the streak
                }
            }
        }
        if (snapshots.due(now)) {
            try {
                snapshotOrCrash(now);
            } catch (FaultCrash crash) {
                throw crash;
            } catch (IOException | RuntimeException e) {
                LOG.debug("snapshot failed: {}", e.toString()); // the caller reports the streak
            }
        }
        if (settings.retentionEnabled()
                && schedule.due(PartSchedule.RETENTION, retry(retentionInterval(), tracker.retentionFailed()))) {
            try {
                retainOrCrash(now, true);
            } catch (FaultCrash crash) {
                throw crash;
            } catch (IOException | RuntimeException e) {
                LOG.debug("retention failed: {}", e.toString()); // the caller reports the streak
            }
        }
        return status();
    }

    private Duration retentionInterval() {
        int n = settings.levels();
        return n == 0 ? RETENTION_INTERVAL_WITHOUT_LEVELS : settings.interval(n);
    }

    /** The interval until a part runs again: {@link #FAILURE_RETRY} after a failure, if that is sooner. */
    static Duration retry(Duration interval, boolean failed) {
        return failed && FAILURE_RETRY.compareTo(interval) < 0 ? FAILURE_RETRY : interval;
    }

    /**
     * Whether level {@code level}'s interval (or {@link #FAILURE_RETRY} after a failure) has passed since its last run
     * in this compactor, on monotonic time as of the last observation ({@link #observe}): no step of the wall clock
     * moves it (docs/compaction.md, "Clock steps"). True before its first run. The engine's lane asks it before
     * stepping.
     */
    public boolean levelDue(int level) {
        return schedule.due(level, retry(settings.interval(level), tracker.failed(level)));
    }

    /**
     * Compacts level {@code level - 1} into {@code level} (1..8) now, whatever the schedule. Call again while
     * {@link CompactionResult#more()} for a replica with more than {@link #MAX_INPUTS} files waiting.
     *
     * @throws IOException {@link dev.ltx4j.replica.ReplicaException} on storage failures,
     *     {@link dev.ltx4j.ltx.LtxFormatException} for a malformed input, {@link CompactionException} for a
     *     conflicting file already there
     */
    public CompactionResult compactLevel(int level, Instant now) throws IOException {
        Objects.requireNonNull(now, "now");
        look(now); // the schedule records this run at the timeline's now: it must have seen this call's time
        try {
            return compactLevelOrCrash(level, now);
        } catch (FaultCrash crash) {
            throw crash.rethrow();
        }
    }

    private CompactionResult compactLevelOrCrash(int level, Instant now) throws IOException {
        Objects.requireNonNull(now, "now");
        if (level < 1 || level > CompactionSettings.MAX_COMPACTION_LEVEL) {
            throw new IllegalArgumentException("cannot compact into level " + level + ": levels 1.."
                    + CompactionSettings.MAX_COMPACTION_LEVEL + " are compacted, level 9 holds snapshots");
        }
        return run(level, now, () -> {
            boolean acrossGap = faults.compactAcrossGap();
            long seek = Chain.seek(client.listFiles(level, 0, false));
            // Continuing a capped chain: the previous call's listing (it holds the files overlapping the seek too).
            List<LtxFileInfo> src = carried.take(level, seek);
            if (src == null || acrossGap) {
                src = client.listFiles(level - 1, seek, false);
                if (seek != 0 && !acrossGap && !src.isEmpty() && src.get(0).minTxid() != seek) {
                    // Files wait beyond a hole at the seek position: only a file overlapping it (racing compactors)
                    // may continue. Nothing new at all (an idle database) costs no full listing of the lower level.
                    src = client.listFiles(level - 1, 0, false);
                }
            }
            Chain chain = Chain.select(src, seek, acrossGap, MAX_INPUTS);
            if (chain.inputs().isEmpty() && seek != 0 && !src.isEmpty()) {
                // A hole at the seek that levels N..8 and the snapshots already cover (retention removed files a
                // newer snapshot holds) is no gap: continue from the first file past the covered TXID.
                long covered = coveredFrom(level);
                if (Txid.compare(covered, seek) >= 0) {
                    chain = Chain.select(src, covered + 1, acrossGap, MAX_INPUTS);
                }
            }
            more[level] = chain.more();
            if (chain.inputs().isEmpty()) {
                return CompactionResult.nothing(level);
            }
            CompactionResult result = mergeReusing(level, chain.inputs(), acrossGap, chain.more(), true);
            carried.keep(level, src, chain);
            return result;
        });
    }

    /** How far levels {@code level}..8 and the snapshots reach contiguously from TXID 1. */
    private long coveredFrom(int level) throws IOException {
        List<LtxFileInfo> upper = new ArrayList<>(client.listFiles(ReplicaClient.SNAPSHOT_LEVEL, 0, false));
        for (int l = level; l < ReplicaClient.SNAPSHOT_LEVEL; l++) {
            upper.addAll(client.listFiles(l, 0, false));
        }
        return Chain.covered(upper);
    }

    /**
     * Writes a level-9 snapshot {@code [1, latest]} now, whatever the schedule: plans a restore of the latest TXID
     * with {@link RestorePlanner} and merges the plan, streaming (inputs are spooled one by one to memory or a
     * temporary file, never the whole database in memory). {@code NOTHING_TO_DO} when the replica is empty or the
     * newest snapshot already holds the latest TXID.
     *
     * @throws IOException as {@link #compactLevel}; a plan that cannot reach the latest TXID is a
     *     {@link CompactionException}
     */
    public CompactionResult snapshot(Instant now) throws IOException {
        Objects.requireNonNull(now, "now");
        look(now);
        return snapshotObserved(now);
    }

    /** As {@link #snapshot(Instant)}, with the caller's monotonic time (see {@link #step(Instant, long)}). */
    public CompactionResult snapshot(Instant now, long monotonicNanos) throws IOException {
        observe(now, monotonicNanos);
        return snapshotObserved(now);
    }

    private CompactionResult snapshotObserved(Instant now) throws IOException {
        try {
            return snapshotOrCrash(now);
        } catch (FaultCrash crash) {
            throw crash.rethrow();
        }
    }

    private CompactionResult snapshotOrCrash(Instant now) throws IOException {
        Objects.requireNonNull(now, "now");
        int level = ReplicaClient.SNAPSHOT_LEVEL;
        snapshots.started();
        CompactionResult result = run(level, now, () -> {
            LtxFileInfo newest = LtxFiles.newest(client.listFiles(level, 0, false));
            List<LtxFileInfo> plan;
            try {
                plan = new RestorePlanner(client).plan(RestoreTarget.latest());
            } catch (RestorePlanException e) {
                if (e instanceof RestorePlanException.TransactionNotAvailable t && t.replicaEmpty()) {
                    return CompactionResult.nothing(level);
                }
                throw new CompactionException("cannot snapshot: " + e.getMessage(), e);
            }
            LtxFileInfo last = plan.get(plan.size() - 1);
            if (newest != null && Txid.compare(newest.maxTxid(), last.maxTxid()) >= 0) {
                return CompactionResult.nothing(level);
            }
            if (plan.get(0).minTxid() != 1) {
                throw new CompactionException("cannot snapshot: the restore plan of the latest TXID starts at "
                        + plan.get(0) + ", not at TXID 1");
            }
            return mergeReusing(level, plan, false, false, false);
        });
        snapshots.finished(result.output());
        return result;
    }

    /**
     * Plans retention at {@code now} from a fresh listing of every level and, when {@code apply}, deletes
     * {@link RetentionPlan#delete()} in batches through {@link ReplicaClient#deleteFiles}. With retention
     * {@link Duration#ZERO} in the settings the plan deletes nothing. A dry run touches nothing and leaves the status
     * alone.
     *
     * @throws IOException a listing or delete failed ({@link dev.ltx4j.replica.ReplicaException}); files deleted by
     *     earlier batches stay deleted, and the replica still satisfies every restore point
     */
    public RetentionResult retain(Instant now, boolean apply) throws IOException {
        Objects.requireNonNull(now, "now");
        look(now);
        return retainObserved(now, apply);
    }

    /** As {@link #retain(Instant, boolean)}, with the caller's monotonic time (see {@link #step(Instant, long)}). */
    public RetentionResult retain(Instant now, boolean apply, long monotonicNanos) throws IOException {
        observe(now, monotonicNanos);
        return retainObserved(now, apply);
    }

    private RetentionResult retainObserved(Instant now, boolean apply) throws IOException {
        if (apply) {
            carried.clear();
        }
        try {
            return retainOrCrash(now, apply);
        } catch (FaultCrash crash) {
            throw crash.rethrow();
        }
    }

    private RetentionResult retainOrCrash(Instant now, boolean apply) throws IOException {
        Objects.requireNonNull(now, "now");
        if (apply) {
            schedule.ran(PartSchedule.RETENTION);
        }
        return retention.run(now, apply, uploads);
    }

    /**
     * Counts a file another part of this process created (the writer's level-0 uploads) in the status's files per
     * level, which otherwise moves only with this compactor's own listings, creates and deletes. May be called from any
     * thread.
     */
    public void noteCreated(LtxFileInfo file) {
        tracker.created(file.level());
    }

    /** The state as of the last call; never null. */
    public CompactionStatus status() {
        return tracker.snapshot();
    }

    private Merger merger() {
        return new Merger(client, faults, spoolDirectory, spoolMemoryBudget);
    }

    /**
     * Merges {@code inputs}, taking held uploads from {@link #uploads} where they are proven to be the stored files;
     * afterwards the inputs are forgotten there (the next level reads the output, not them). A level compaction's
     * own output is held there in turn (it is the next level's input: without it, compaction into L2 downloads again
     * the ten L1 files this compactor wrote in the last five minutes, into L3 the twelve L2 files of the hour).
     */
    private CompactionResult mergeReusing(int level, List<LtxFileInfo> inputs, boolean acrossGap, boolean more,
            boolean levelCompaction) throws IOException {
        RecentUploads store = uploads;
        if (store == null) {
            return merger().merge(level, inputs, acrossGap, more);
        }
        ReusedInputs.Plan plan = ReusedInputs.plan(inputs, store, client, levelCompaction ? anchors[level] : null,
                trustNames);
        store.counted(plan.served(), plan.refused());
        // Held only where a next level will read it (the top level's outputs wait a day for the snapshot).
        Merger merger = levelCompaction && level < settings.levels()
                ? new Merger(client, faults, spoolDirectory, spoolMemoryBudget, store::uploaded) : merger();
        CompactionResult result = merger.merge(level, inputs, plan.bytes(), acrossGap, more);
        if (levelCompaction) {
            anchors[level] = plan.end();
            for (LtxFileInfo f : inputs) {
                store.forget(f);
            }
        }
        return result;
    }

    /** Runs one level's work, recording the outcome; a crash point's exception leaves unchanged. */
    private CompactionResult run(int level, Instant now, Work work) throws IOException {
        if (level < ReplicaClient.SNAPSHOT_LEVEL) {
            schedule.ran(level); // the snapshot keeps its own schedule (SnapshotSchedule)
        }
        try {
            CompactionResult result = work.run();
            if (result.output() != null) {
                LOG.debug("L{}: {} {} from {} inputs", level, result.outcome(), result.output(),
                        result.inputs().size());
            }
            if (result.output() != null) {
                // Created here, or by a racing compactor moments ago: either way it exists since about now.
                retention.created(result.output(), now);
            }
            tracker.compacted(level, now, result);
            return result;
        } catch (FaultCrash crash) {
            tracker.failed(level, now, crash.getCause());
            throw crash;
        } catch (IOException | RuntimeException e) {
            tracker.failed(level, now, e);
            throw e;
        }
    }

    @FunctionalInterface
    private interface Work {
        CompactionResult run() throws IOException;
    }
}
