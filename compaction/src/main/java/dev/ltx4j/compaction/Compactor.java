package dev.ltx4j.compaction;

import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.time.Instant;
import java.util.Objects;

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

    private final ReplicaClient client;
    private final CompactionSettings settings;
    private final CompactionFaults faults;

    public Compactor(ReplicaClient client, CompactionSettings settings, CompactionFaults faults) {
        this.client = Objects.requireNonNull(client, "client");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.faults = Objects.requireNonNull(faults, "faults");
    }

    /**
     * Retention deletes at most {@code files} files per {@link ReplicaClient#deleteFiles} call (default
     * {@link #DEFAULT_DELETE_BATCH}); each batch is preceded by {@link CompactionFaults#beforeDelete}.
     */
    public void setDeleteBatchSize(int files) {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Where inputs and outputs larger than the in-memory budget are spooled (default: the system temporary
     * directory). Files are deleted when the operation ends.
     */
    public void setSpoolDirectory(java.nio.file.Path directory) {
        throw new UnsupportedOperationException("not yet");
    }

    public CompactionSettings settings() {
        return settings;
    }

    /**
     * Runs whatever is due at {@code now}, in order: level 1..n compactions, the snapshot, retention. Each part
     * records its success or error in the status; a failing part does not stop the others, in this step or later
     * ones. Does nothing when the settings are disabled. Errors are not thrown (they are in the status), except
     * what a {@link CompactionFaults} crash point throws, which propagates at once (a crash).
     *
     * <p>Due: a level when {@code now >= its last run + its interval} (first step: at once); the snapshot when
     * snapshots are on, {@code now >= last run + interval}, the newest level-9 file is at least the interval old
     * (or there is none) and it does not already hold the latest TXID; retention when it is on and
     * {@code now >= last run + the level-1 interval} (1 minute without levels).
     */
    public CompactionStatus step(Instant now) {
        throw new UnsupportedOperationException("not yet");
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
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Writes a level-9 snapshot {@code [1, latest]} now, whatever the schedule: plans a restore of the latest TXID
     * with {@link dev.ltx4j.replica.RestorePlanner} and merges the plan, streaming (inputs are spooled one by one to
     * memory or a temporary file, never the whole database in memory). {@code NOTHING_TO_DO} when the replica is
     * empty or the newest snapshot already holds the latest TXID.
     *
     * @throws IOException as {@link #compactLevel}; a plan that cannot reach the latest TXID is a
     *     {@link CompactionException}
     */
    public CompactionResult snapshot(Instant now) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /**
     * Plans retention at {@code now} from a fresh listing of every level and, when {@code apply}, deletes
     * {@link RetentionPlan#delete()} in batches through {@link ReplicaClient#deleteFiles}. With retention
     * {@link java.time.Duration#ZERO} in the settings the plan deletes nothing. A dry run touches nothing.
     *
     * @throws IOException a listing or delete failed ({@link dev.ltx4j.replica.ReplicaException}); files deleted by
     *     earlier batches stay deleted, and the replica still satisfies every restore point
     */
    public RetentionResult retain(Instant now, boolean apply) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** The state as of the last call; never null. */
    public CompactionStatus status() {
        throw new UnsupportedOperationException("not yet");
    }
}
