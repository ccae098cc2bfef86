package dev.ltx4j.syncer;

import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.compaction.RecentUploads;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.replica.LocalPage;
import dev.ltx4j.pagestore.replica.PageReader;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.pagestore.BufferFailedException;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;

/**
 * The one state object of a database in this process (share it through {@link DatabaseRegistry}): page map
 * versions, page cache, and in write mode the write buffer and syncer; in read mode the poller.
 *
 * <p><b>Reading.</b> {@link #beginRead()} pins the current {@link DatabaseVersion}; the pin sees exactly that
 * state (pages and size) until closed, whatever commits, syncs and polls publish meanwhile. Publishing is a
 * copy-on-write of the changed map chunks, so pins are cheap. Committed, unsynced pages are referenced by their
 * record in the write buffer file ({@link LocalPage}), never held on the heap. A pin also counts a reference on the
 * buffer file generation its version points into, so a buffer rewrite after a sync never takes away what a pinned
 * reader may still read (the engine keeps its own read handle on each generation until the last pin is gone).
 *
 * <p><b>Writing</b> (write mode). {@link #beginWrite()} hands out the single {@link WriteSession}; its commit
 * goes to the crash-safe buffer and becomes visible to new readers at once. {@link #syncOnce} uploads committed
 * transactions as one LTX file (normally called by {@link #start()}'s scheduler every sync interval).
 *
 * <p><b>Threads.</b> Readers never block. One writer at a time. One sync or poll at a time ({@code syncLock});
 * uploads and listings run outside the state lock, which is held only to swap the published version. The sync and
 * poll steps return results that are applied here: the published version, the sync base and the buffer
 * generations by {@link PublishedVersions} (which owns the state lock), the write buffer and its synced sequence
 * number by {@link WriteSide}, the engine's bookkeeping by {@link #updateState}. Who owns what, the lock order and
 * the invariants (I1...): docs/engine-invariants.md.
 */
public final class Database implements AutoCloseable, MetricsSource {
    /** The engine's logger, looked up only when there is something to say (see {@link EngineLog}). */
    static Logger log() {
        return EngineLog.LOG;
    }

    /** The host's client under the engine's client stack (counted, see {@link EngineClientStack}). */
    final EngineClientStack client;
    /** Sync counters and sync logging, read by {@link #metrics()}. */
    final SyncEvents events = new SyncEvents();
    final String name;
    final EngineOptions options;
    final ReplicaIndex index;
    final boolean writeMode;
    /** One sync, poll or refresh at a time; buffer rewrites run only under it (lock order: docs/engine-invariants.md). */
    final ReentrantLock syncLock = new ReentrantLock();
    /** The writer slot: one {@link WriteSession} at a time; taken before {@code syncLock}. */
    final WriterSlot writer = new WriterSlot(this);
    /**
     * Held by a commit from its conflict check until its commit record is durable, and by a conflict while it
     * snapshots the held transactions and raises the conflict: every commit is either in that snapshot or fails
     * with the conflict. Never held while waiting for {@code syncLock} (order: syncLock, then commitGate). See
     * docs/engine-invariants.md I6.
     */
    final ReentrantLock commitGate = new ReentrantLock();
    /** Write mode: recognises and remembers this writer's uploads (relocations plan with them). */
    final OwnUploads ownUploads;
    final SyncEngine sync;
    /** The published version, the sync base, buffer generations, the page reader, the lineage; their one writer. */
    final PublishedVersions versions;
    final Follower follower;
    /** Reading the database as of a past time (docs/time-travel.md). */
    private final TimeTravel timeTravel = new TimeTravel(this);
    /** A writer's compaction, snapshots and retention, stepped on their own scheduler lane. */
    final CompactionLane compaction;

    // Write mode.
    /** Where the buffer, SQLite's lock file, the spool and conflict files live. */
    final LocalFiles files;
    final ConflictSaver conflicts = new ConflictSaver(this);
    final OpenReconciler reconciler;
    /** The write buffer and how much of it is synced; their one writer. */
    final WriteSide writes;
    /** The engine's bookkeeping, swapped only by {@link #updateState} (I1). */
    private final AtomicReference<EngineState> state = new AtomicReference<>(EngineState.INITIAL);
    private final Scheduler scheduler;
    /** Hydrated copy or disk page cache (docs/hydration.md), or null. */
    final LocalCopies localCopies;
    /** Parallel ranged reads of large replica files (docs/hydration.md). */
    final Fetches fetches;
    private volatile boolean closed;

    private Database(ReplicaClient client, String name, EngineOptions options) {
        this.client = EngineClientStack.of(client);
        this.name = name;
        this.options = options;
        this.index = new ReplicaIndex(this.client);
        index.trustUnverifiedChecksums(options.faults.trustUnverifiedChecksums); // a test switch, off in use
        this.writeMode = options.writeEnabled;
        this.follower = new Follower(this); // reads the options
        this.files = new LocalFiles(name, options);
        this.ownUploads = new OwnUploads(this.client, index);
        this.reconciler = new OpenReconciler(name, options, this.client, ownUploads);
        this.sync = new SyncEngine(this, ownUploads, conflicts);
        this.scheduler = new Scheduler((writeMode ? "ltx4j-sync-" : "ltx4j-poll-") + name, options.clock,
                options.background);
        scheduler.reportStepFailuresTo(this::reportError); // an Error from a step: in last_error, not only the log
        this.fetches = new Fetches(this);
        index.loadInParallel(fetches.executor(), Fetches.PLAN_READS_AHEAD); // a cold open of many files
        this.localCopies = LocalCopies.of(this, files);
        this.versions = new PublishedVersions(this);
        index.onWholeFile((f, bytes) -> { // no second download, by the verifier or the hydrator
            reader().verifier().offer(f.remoteFile(), bytes);
            if (localCopies != null) {
                localCopies.offer(f.remoteFile(), bytes);
            }
        });
        this.writes = new WriteSide(this);
        this.compaction = new CompactionLane(this, this.client);
    }

    /** Reads pages of the current lineage. */
    PageReader reader() {
        return versions.reader();
    }

    Scheduler scheduler() {
        return scheduler;
    }

    /** Which history of the replica the published state belongs to; a follower reload starts a new one. */
    public long lineage() {
        return versions.lineage();
    }

    /** The follower found the replica no longer contains its state: pinned reads fail, new ones are refused. */
    void enterDivergence(String why) {
        versions.enterDivergence(why);
    }

    /** Publishes the replica's new state as the current lineage, with an empty page cache (callers hold syncLock). */
    void installReloaded(DatabaseVersion v) {
        versions.installReloaded(v);
        follower.relistEverything();
    }

    /**
     * The file SQLite's locks of this database's connections go through (write mode with a write buffer on the
     * file system): {@code <buffer>.sqlite-lock}, next to the buffer, so it is shared exactly by the connections
     * sharing the buffer. Not the buffer's own {@code .lock} file: closing any descriptor of a file drops all of
     * the process's POSIX locks on it. Created empty and owner-only if absent (SQLite would create it 0644).
     */
    public Optional<Path> sqliteLockFile() throws IOException {
        return writeMode ? files.sqliteLockFile() : Optional.empty();
    }

    /**
     * Opens a database. Read mode: loads the replica's latest state (fails with {@link DatabaseNotFoundException}
     * on an empty replica, never hangs). Write mode: loads the replica (an empty one starts an empty database),
     * opens or recovers the buffer, and reconciles it: recovered transactions on the replica's TXID are kept for
     * the next sync; if the replica moved past them the database opens conflicted with nothing lost.
     */
    public static Database open(ReplicaClient client, String name, EngineOptions options) throws IOException {
        dev.ltx4j.replica.internal.OpenFileLimit.prime(); // read while a descriptor is free (an EMFILE names it)
        Database db = new Database(client, name, options);
        try {
            Lifecycle.load(db);
            db.logNewConflict();
        } catch (IOException | RuntimeException | Error e) {
            Lifecycle.afterFailedOpen(db, e); // a failed open must not keep the buffer (and its lock) held
            throw e;
        }
        return db;
    }

    // ------------------------------------------------------------------------------------------ state access

    /** The latest published version. */
    public DatabaseVersion current() {
        return versions.current();
    }

    /** The engine's bookkeeping: one immutable snapshot. */
    EngineState state() {
        return state.get();
    }

    /**
     * The one place the engine state is swapped (docs/engine-invariants.md I1): by this class when it applies an
     * open, a poll or a refresh, by {@link WriteSide} applying a sync round, and by {@link ConflictSaver} raising a
     * conflict under {@code commitGate} (I6). {@code change} must be a pure function (it may run more than once).
     */
    void updateState(UnaryOperator<EngineState> change) {
        state.updateAndGet(change);
    }

    /** The replica state the unsynced transactions build on (write mode). */
    DatabaseVersion baseVersion() {
        return versions.baseVersion();
    }

    /** The buffer's last sequence number already in the replica. */
    long syncedSeq() {
        return writes.syncedSeq();
    }

    /** The last sync, poll or relocation error, or null. */
    String lastError() {
        return state.get().lastError();
    }

    /** Sets the error status shows (a sync, poll or relocation error; null clears it). */
    void reportError(String error) {
        updateState(s -> Objects.equals(s.lastError(), error) ? s : s.withLastError(error));
    }

    WriteBuffer bufferOrNull() {
        return writes.bufferOrNull();
    }

    WriteBuffer buffer() throws IOException {
        return writes.buffer();
    }

    /** Pins the current version (see {@link PublishedVersions#pin()}). */
    Pin pin() {
        return versions.pin();
    }

    /** The generation the current version points into (tests). */
    LocalGeneration currentGeneration() {
        return versions.currentGeneration();
    }

    public boolean isWriteMode() {
        return writeMode;
    }

    public String name() {
        return name;
    }

    /** The options this database was opened with (a later open that joins it is checked against them). */
    public EngineOptions options() {
        return options;
    }

    long pendingCommits() {
        return writes.pendingCommits();
    }

    // ------------------------------------------------------------------------------------------ reading

    /**
     * Runs {@code listener} after every change of what {@link #beginRead()} pins (a commit, sync, poll, refresh,
     * reload, close), in the changing thread and before the change is acknowledged (a commit returns after it), so a
     * host may keep a read snapshot across transactions while it hears of no change (the VFS's version stamp,
     * docs/concurrent-readers.md). The listener must be quick and must not call back into this database.
     */
    public void onVersionChange(Runnable listener) {
        versions.onChange(listener);
    }

    /** Hears of each change before it is published (the VFS's native page view, docs/concurrent-readers.md). */
    public interface PageChangeListener {
        /**
         * A change is about to be published, in the changing thread under the engine's state lock: the contents of
         * {@code pages} change (null: any page may). The listener must be quick and must not call back.
         */
        void changing(long[] pages);

        /** The database closed: no change follows. */
        void closed();
    }

    /** Registers {@code listener}; every change it hears of is then also announced to {@link #onVersionChange}. */
    public void onPagesChanging(PageChangeListener listener) {
        versions.onPagesChanging(listener);
    }

    /** Pins the current version for one read transaction. */
    public ReadTransaction beginRead() {
        checkOpen();
        if (!writeMode) {
            follower.readStarted(); // a reader is here: an adaptive poll returns to the base interval
        }
        return new ReadTransaction(this, pin());
    }

    /** Time travel: resolving a past time to a TXID and pinning the state there (docs/time-travel.md). */
    public TimeTravel timeTravel() {
        return timeTravel;
    }

    // ------------------------------------------------------------------------------------------ writing

    /**
     * Starts the single write session, waiting while another one is open.
     *
     * @throws ReadOnlyDatabaseException in read mode
     * @throws ConflictException when conflicted (until {@link #refresh()})
     */
    public WriteSession beginWrite() throws IOException {
        return writer.begin();
    }

    /** Like {@link #beginWrite()} but returns null at once when another session is open (SQLITE_BUSY). */
    public WriteSession tryBeginWrite() throws IOException {
        return writer.tryBegin();
    }

    /**
     * Marked under {@code syncLock}: a sync round running now (a {@code remote} commit's, which waits outside the
     * writer slot) ends before close releases the buffer, and every later one sees the close (WriteSide.syncLocked;
     * docs/engine-invariants.md I13).
     */
    private void markClosed() {
        syncLock.lock();
        try {
            closed = true;
            if (sync != null) {
                sync.releaseMemory(); // no round runs after this (I13)
            }
        } finally {
            syncLock.unlock();
        }
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("database \"" + name + "\" is closed");
        }
    }

    // ------------------------------------------------------------------------------------------ step functions

    /** One sync: uploads every committed, unsynced transaction as one LTX file (see {@link SyncEngine}). */
    public SyncOutcome syncOnce(Instant now) {
        return Steps.sync(this, now);
    }

    /** Logs a conflict at warn the first time it is seen (see {@link SyncEvents#conflictSeen}). */
    void logNewConflict() {
        events.conflictSeen(name, state.get().conflict());
    }

    /**
     * One complete poll (read mode): lists every level, re-reads the anchor and merges new files into a new
     * published version; what an explicit poll ({@code litestream_sync()} in read mode) runs, and it ends a
     * back-off. Write mode does not poll (a rival writer is detected by the sync's conflict check) and returns at
     * once.
     */
    public PollOutcome pollOnce(Instant now) {
        return Steps.poll(this, now, false);
    }

    /**
     * The scheduled poll (read mode; what {@link #start()} runs every poll interval): one request while the replica
     * is idle, the complete checks spread over later polls and run at once on any change, and nothing at all while
     * an adaptive poll backs off (docs/request-economy-follower.md). Null when it asked nothing.
     */
    public PollOutcome pollTick(Instant now) {
        return Steps.poll(this, now, true);
    }

    /**
     * Drops all local pending state and reloads the replica's latest state; clears the conflict. Nothing
     * acknowledged is dropped unpreserved: without a conflict the pending transactions are synced first, and
     * whatever the buffer still holds that is neither synced nor already saved under {@code conflicts/} is saved
     * there before it is dropped (if that save fails, refresh fails and drops nothing). Waits for the open write
     * session to end. A write buffer that stopped after an I/O failure is opened again here, so refresh is also
     * how a writer recovers from one without closing the database.
     */
    public void refresh() throws IOException {
        checkOpen();
        writer.acquireUninterruptibly();
        refreshHoldingSlot();
    }

    /**
     * {@link #refresh()} that waits at most {@code maxWait} for an open write session to end; false (nothing done)
     * when one still held the writer slot. For callers that must not wait without a bound: a virtual thread inside
     * SQLite's native code keeps its carrier while it waits (docs/virtual-threads.md).
     */
    public boolean refresh(java.time.Duration maxWait) throws IOException {
        checkOpen();
        if (!writer.tryAcquire(maxWait)) {
            return false;
        }
        refreshHoldingSlot();
        return true;
    }

    private void refreshHoldingSlot() throws IOException {
        syncLock.lock();
        try {
            Refresh.run(this);
        } finally {
            syncLock.unlock();
            writer.release();
        }
    }

    /**
     * How many refreshes completed. A refresh replaces the content without any SQLite lock (the local state is
     * dropped for the replica's), so a VFS connection whose cache or open read transaction predates a change of
     * this number must not trust it.
     */
    public long refreshCount() {
        return state.get().refreshes();
    }

    /** Counters and gauges for a metrics registry; see {@link EngineMetrics} and docs/metrics-and-logs.md. */
    public EngineMetrics metrics() {
        return StatusReport.metrics(this);
    }

    /** The sticky replica conflict, or null: a cheap check for every commit (no status report assembled). */
    public ConflictInfo conflict() {
        return state.get().conflict();
    }

    /**
     * Why committed transactions stay off the replica while this process runs: a write buffer an I/O failure stopped
     * still holds commits no sync of this process uploads (durability none: they succeeded unforced after what the
     * last open or sync forced; docs/write-buffer-recovery.md, "After a failed fsync"). Counts only the published
     * commits past what a sync may still upload (the durable prefix, or what was synced when that is further), so it
     * holds before a sync uploaded that prefix too. A {@link BufferFailedException} naming the count and the buffer's
     * failure (the message of the failure that stopped it), or null while every committed transaction can still reach the
     * replica.
     */
    public BufferFailedException unsyncableCommits() {
        WriteBuffer b = bufferOrNull();
        if (b == null || !b.stopped()) {
            return null;
        }
        long last = Math.min(b.lastCommittedSeq(), current().localSeq()); // a failed commit was never published
        long kept = last - Math.max(writes.syncedSeq(), b.uploadableSeq());
        return kept <= 0 ? null : new BufferFailedException(b.location(), kept + " committed transaction(s) of database"
                + " \"" + name + "\" are not on the replica and no sync of this process uploads them: "
                + b.failureMessage(), null);
    }

    /** Status for {@code litestream_status()}. */
    public DatabaseStatus status() {
        return StatusReport.status(this);
    }

    /** Hydration progress and state (docs/hydration.md), or null when hydration is off. */
    public dev.ltx4j.pagestore.replica.HydrationStatus hydrationStatus() {
        return localCopies == null ? null : localCopies.hydrationStatus();
    }

    /** The on-disk page cache's counters, or null when there is none. */
    public dev.ltx4j.pagestore.replica.DiskPageCache.Stats diskCacheStats() {
        return localCopies == null ? null : localCopies.diskCacheStats();
    }

    /** One hydration step (normally run by the hydration lane; the simulator drives it); null when off. */
    public dev.ltx4j.pagestore.replica.HydrationStatus hydrateOnce(Instant now) {
        return localCopies == null ? null : localCopies.hydrateOnce(now);
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    /** Starts the background scheduler: syncs every sync interval (write mode) or polls every poll interval. */
    public synchronized void start() {
        if (writeMode) {
            scheduler.start(options.syncInterval, this::syncOnce);
            if (compaction.enabled()) {
                scheduler.startLane("ltx4j-compact-" + name, compaction.tick(), this::compactOnce);
            }
        } else {
            scheduler.start(options.pollInterval, this::pollTick);
        }
        if (localCopies != null) {
            localCopies.start();
        }
    }

    /**
     * The bytes of this writer's recent uploads its compaction reuses (docs/compaction-upload-reuse.md); null in read
     * mode, with compaction off or {@code compaction_upload_cache=0}. For a host that runs its own compactor in this
     * process (the simulator).
     */
    public RecentUploads recentUploads() {
        return compaction.uploads();
    }

    /**
     * One compaction step (write mode with compaction on; else nothing): whatever level compaction, snapshot or
     * retention is due at {@code now} (normally called by {@link #start()}'s compaction lane; the simulator calls
     * it directly). Failures are in the returned status, never thrown.
     */
    public CompactionStatus compactOnce(Instant now) {
        checkOpen();
        return compaction.step(now);
    }

    /** The fault points this database was opened with (the VFS reads its own from here). */
    public EngineFaults faults() {
        return options.faults;
    }

    /** Background work that failed unexpectedly since open (each one was logged). */
    long backgroundFailures() {
        return scheduler.failures();
    }

    /**
     * Stops the scheduler, then (write mode, unless conflicted) syncs everything committed, retrying until the
     * close timeout; closes the buffer (never deletes it: whatever did not reach the replica is recovered on
     * the next open).
     *
     * @throws SyncFailedException when committed transactions could not be uploaded in time (they stay buffered)
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        Lifecycle.stop(this);
        IOException failure = null;
        try {
            failure = writeMode ? new FinalSync(this).run() : null;
        } finally {
            markClosed();
            failure = Lifecycle.release(this, failure);
        }
        if (failure != null) {
            throw failure;
        }
    }
}
