package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.BufferDamagedException;
import dev.ltx4j.pagestore.BufferGeneration;
import dev.ltx4j.pagestore.BufferProbe;
import dev.ltx4j.pagestore.CommittedTransaction;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.replica.LoadedFile;
import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.replica.LoadedFile;
import dev.ltx4j.pagestore.replica.LocalPage;
import dev.ltx4j.pagestore.replica.PageCache;
import dev.ltx4j.pagestore.PageLocation;
import dev.ltx4j.pagestore.PageRecords;
import dev.ltx4j.pagestore.replica.PageMap;
import dev.ltx4j.pagestore.replica.PageRef;
import dev.ltx4j.pagestore.replica.PageReader;
import dev.ltx4j.pagestore.RecoveryReport;
import dev.ltx4j.pagestore.replica.RemotePage;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteBufferException;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.WriteTransaction;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * uploads and listings run outside the state lock, which is held only to swap the published version. This class is
 * the only writer of the engine's state: the sync and poll steps return results that it applies. Who owns what,
 * the lock order and the invariants (I1...): docs/engine-invariants.md.
 *
 * <p>Over 500 lines: it is the single writer of every engine field, and its buffer-generation block (openGeneration
 * ... relocate) is restructured separately in issue 9; moving that block out brings it under the limit.
 */
public final class Database implements AutoCloseable {
    /** Initialised on the first message only: SLF4J looks for providers (and may warn) when first used. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(Database.class);
    }

    /**
     * Looked up only when there is something to say (at the latest the first sync's debug line), so a quiet open
     * never initialises SLF4J.
     */
    static Logger log() {
        return Log.LOG;
    }
    /** The host's client under the engine's client stack (counted, see {@link EngineClientStack}). */
    final EngineClientStack client;
    /** Sync counters and sync logging, read by {@link #metrics()}. */
    final SyncEvents events = new SyncEvents();
    final String name;
    final EngineOptions options;
    final ReplicaIndex index;
    /** Reads pages; one per lineage (its own cache), so pages of a replaced replica's files never mix. */
    volatile PageReader reader;
    final boolean writeMode;
    /** Innermost engine lock: swaps the published version and generations; no replica I/O under it. */
    final Object stateLock = new Object();
    /** One sync, poll or refresh at a time; buffer rewrites run only under it (lock order: docs/engine-invariants.md). */
    final ReentrantLock syncLock = new ReentrantLock();
    /** The writer slot: one {@link WriteSession} at a time; taken before {@code syncLock}. */
    private final Semaphore writer = new Semaphore(1, true);
    /**
     * Held by a commit from its conflict check until its commit record is durable, and by a conflict while it
     * snapshots the held transactions and raises the conflict: every commit is either in that snapshot or fails
     * with the conflict. Never held while waiting for {@code syncLock} (order: syncLock, then commitGate). See
     * docs/engine-invariants.md I6.
     */
    final ReentrantLock commitGate = new ReentrantLock();
    private final SyncEngine sync;
    private volatile DatabaseVersion current;
    /** The buffer file generation {@link #current} points into (null without a buffer); guarded by stateLock. */
    private LocalGeneration currentGen;
    /** Generation a write transaction that begins now writes to; null while a buffer rewrite runs. */
    private volatile LocalGeneration writerGen;
    private final Object relocateLock = new Object();
    /**
     * Read mode: which history of the replica the published state belongs to. It changes when the follower finds
     * that the replica no longer contains its state; read transactions of an earlier lineage then fail.
     */
    private volatile long lineage;
    /** Read mode: why new read transactions are refused (diverged, new state not loaded yet), or null. */
    private volatile String readsRefused;
    final Follower follower = new Follower(this);
    private DatabaseVersion relocated;

    // Write mode.
    /** Where the buffer, SQLite's lock file, the spool and conflict files live. */
    final LocalFiles files;
    /** The buffer's name in {@link #storage()}. */
    private final String bufferName;
    private final OwnUploads ownUploads;
    private final ConflictSaver conflicts = new ConflictSaver(this);
    private final OpenReconciler reconciler;
    /** Written only by this class: at open, by establishPageSize, refresh and reopenFailedBuffer (I3). */
    private volatile WriteBuffer buffer;
    /** The replica state the unsynced transactions build on; written only by this class under syncLock (I3). */
    private volatile DatabaseVersion baseVersion;
    /** The buffer's last sequence number that is in the replica; written only by this class under syncLock (I3). */
    private volatile long syncedSeq;
    /** The engine's bookkeeping, swapped only by {@link #updateState} (I1). */
    private final AtomicReference<EngineState> state = new AtomicReference<>(EngineState.INITIAL);
    /** The conflict last logged, so each one is logged once however often it is seen. */
    private final AtomicReference<ConflictInfo> loggedConflict = new AtomicReference<>();
    /** For status: the last sync, poll or relocation error, or null; written only by this class (I3). */
    private volatile String lastError;
    private final Scheduler scheduler;
    private volatile boolean closed;

    private Database(ReplicaClient client, String name, EngineOptions options) {
        this.client = EngineClientStack.of(client);
        this.name = name;
        this.options = options;
        this.index = new ReplicaIndex(this.client);
        this.reader = newReader(0);
        this.writeMode = options.writeEnabled;
        this.files = new LocalFiles(name, options);
        this.bufferName = files.bufferName();
        this.ownUploads = new OwnUploads(client, index);
        this.reconciler = new OpenReconciler(name, options, client, ownUploads);
        this.sync = new SyncEngine(this, ownUploads, conflicts);
        this.scheduler = new Scheduler((writeMode ? "ltx4j-sync-" : "ltx4j-poll-") + name, options.clock,
                options.background);
    }

    /** A page reader with an empty cache whose relocations serve lineage {@code of} only. */
    private PageReader newReader(long of) {
        PageReader r = new PageReader(client, new PageCache(options.cacheBytes), options.readAheadPages,
                (long) options.readAheadPages * 70_000, !options.faults.skipPageVerification);
        r.setRelocator((v, pgno, missing) -> lineage == of ? relocate(v, pgno, missing) : null);
        return r;
    }

    /** Which history of the replica the published state belongs to; a follower reload starts a new one. */
    public long lineage() {
        return lineage;
    }

    /** The follower found the replica no longer contains its state: pinned reads fail, new ones are refused. */
    void enterDivergence(String why) {
        synchronized (stateLock) {
            lineage++;
            readsRefused = why;
        }
    }

    /** Publishes the replica's new state as the current lineage, with an empty page cache (callers hold syncLock). */
    void installReloaded(DatabaseVersion v) {
        synchronized (relocateLock) {
            relocated = null;
        }
        synchronized (stateLock) {
            reader = newReader(lineage);
            current = v;
            readsRefused = null;
        }
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
        Database db = new Database(client, name, options);
        try {
            db.load();
            db.logNewConflict();
        } catch (IOException | RuntimeException | Error e) {
            db.releaseResources(e); // a failed open must not keep the buffer (and its lock) held
            throw e;
        }
        return db;
    }

    private void load() throws IOException {
        if (!writeMode) {
            ReplicaIndex.OpenedState opened = loadRemoteState();
            follower.start(opened);
            publish(opened.version());
            return;
        }
        DatabaseVersion remote = loadRemote();
        boolean tracked = remote.txid() == 0 || remote.checksum() != 0;
        updateState(s -> s.withTracked(tracked));
        OptionalInt existing = BufferProbe.pageSize(storage(), bufferName);
        if (existing.isPresent()) {
            openBuffer(existing.getAsInt(), remote);
        } else if (remote.pageSize() != 0) {
            openBuffer(remote.pageSize(), remote);
        }
        if (buffer == null) {
            baseVersion = remote;
            publish(remote);
            return;
        }
        reconcile(remote);
    }

    private DatabaseVersion loadRemote() throws IOException {
        return loadRemoteState().version();
    }

    private ReplicaIndex.OpenedState loadRemoteState() throws IOException {
        return reconciler.loadRemoteState(index, writeMode);
    }

    private LogStorage storage() throws IOException {
        return files.storage();
    }

    private void openBuffer(int pageSize, DatabaseVersion remote) throws IOException {
        WriteBufferOptions o = WriteBufferOptions.builder()
                .pageSize(pageSize)
                .durability(options.durability == Durability.NONE ? Durability.NONE : Durability.LOCAL)
                .initialBase(new BufferBase(remote.txid(), remote.checksum(), remote.commit()))
                .clock(options.clock.wallClock())
                .random(() -> new SplittableRandom(options.seed))
                .recovery(options.bufferRecovery)
                .faults(options.faults.buffer())
                .build();
        try {
            if (files.injectedStorage() != null) {
                buffer = WriteBuffer.open(files.injectedStorage(), bufferName, o);
            } else if (options.bufferPath == null) {
                buffer = WriteBuffer.openDefault(options.replicaIdentity, name, o);
            } else {
                buffer = WriteBuffer.open(files.bufferPath(), o);
            }
        } catch (BufferDamagedException e) {
            log().error("database \"{}\": {}", name, e.getMessage()); // hosts like sqlite3 may show only a code
            throw e;
        }
        reportRecovery(buffer);
    }

    /** Makes what opening the buffer dropped or found visible: the log at warn, and litestream_status(). */
    private void reportRecovery(WriteBuffer opened) {
        RecoveryReport r = opened.recovery();
        if (r.noteworthy()) {
            String what = r.describe(opened.location());
            updateState(s -> s.withBufferRecovery(what));
            log().warn("database \"{}\": {}", name, what);
        }
        files.afterBufferOpen();
    }

    /** Publishes what restart recovery found ({@link OpenReconciler}); at open, before the database is shared. */
    private void reconcile(DatabaseVersion remote) throws IOException {
        WriteBuffer buf = buffer;
        OpenReconciler.Reconciled r = reconciler.reconcile(buf, remote);
        syncedSeq = r.syncedSeq();
        baseVersion = remote;
        BufferGeneration gen = installFirstGeneration();
        publish(r.kind() == OpenReconciler.Kind.ON_BASE ? overlay(remote, buf.pageSize(), gen)
                : withSeq(remote, buf.lastCommittedSeq()));
        if (r.kind() == OpenReconciler.Kind.CONFLICT) {
            String error = conflicts.raise(r.conflictBase(), remote.txid(), options.clock.instant()).error();
            if (error != null) {
                lastError = error;
            }
        }
    }

    /** The remote state with the buffer's held transactions on top (as records in generation {@code gen}). */
    private static DatabaseVersion overlay(DatabaseVersion remote, int pageSize, BufferGeneration gen) {
        if (gen.isEmpty()) {
            return withSeq(remote, gen.lastSeq());
        }
        PageMap.Builder b = remote.pages().edit();
        PageRecords latest = gen.latest(gen.lastSeq());
        for (int i = 0; i < latest.size(); i++) {
            b.put(latest.pgno(i), new LocalPage(gen.generation(), latest.offset(i)), 0);
        }
        b.truncate(gen.commitSize());
        return new DatabaseVersion(pageSize, gen.commitSize(), remote.txid(), gen.lastSeq(), 0, b.build());
    }

    private static DatabaseVersion withSeq(DatabaseVersion v, long seq) {
        return new DatabaseVersion(v.pageSize(), v.commit(), v.txid(), seq, v.checksum(), v.pages());
    }

    // ------------------------------------------------------------------------------------------ state access

    /** The latest published version. */
    public DatabaseVersion current() {
        return current;
    }

    void publish(DatabaseVersion v) {
        synchronized (stateLock) {
            current = v;
        }
    }

    /** The engine's bookkeeping: one immutable snapshot. */
    EngineState state() {
        return state.get();
    }

    /**
     * The one place the engine state is swapped (docs/engine-invariants.md I1): by this class when it applies an
     * open, a sync round, a poll or a refresh, and by {@link ConflictSaver} raising a conflict under
     * {@code commitGate} (I6). {@code change} must be a pure function (it may run more than once).
     */
    void updateState(UnaryOperator<EngineState> change) {
        state.updateAndGet(change);
    }

    /** The replica state the unsynced transactions build on (write mode). */
    DatabaseVersion baseVersion() {
        return baseVersion;
    }

    /** The buffer's last sequence number already in the replica. */
    long syncedSeq() {
        return syncedSeq;
    }

    /** The last sync, poll or relocation error, or null. */
    String lastError() {
        return lastError;
    }

    // ------------------------------------------------------------------------------------------ generations

    Pin pin() {
        synchronized (stateLock) {
            String refused = readsRefused;
            if (refused != null) {
                throw new ReplicaDivergedException(refused);
            }
            LocalGeneration g = currentGen;
            if (g != null && !g.retain()) {
                throw new IllegalStateException("buffer generation " + g + " of the current version is closed");
            }
            return new Pin(current, g, reader, lineage);
        }
    }

    /** Generation a write transaction that has just begun writes to, or null when a rewrite may be running. */
    LocalGeneration writerGeneration() {
        return writerGen;
    }

    /** Opens the first generation after the buffer was opened (no reader or writer runs yet). */
    private BufferGeneration installFirstGeneration() throws IOException {
        return swapGeneration(buffer, (fresh, old) -> null);
    }

    /** A buffer operation that may rewrite the buffer file. */
    @FunctionalInterface
    interface Rewrite {
        void run() throws IOException;
    }

    /** The version to publish on a new generation (null: keep the current one), computed under stateLock. */
    @FunctionalInterface
    private interface NextVersion {
        DatabaseVersion on(BufferGeneration fresh, LocalGeneration old);
    }

    /**
     * Runs a buffer rewrite (markSynced, reset) and moves the published version onto the new file generation:
     * {@code replacement} when given, else the current version with its local pages re-pointed at their records
     * in the new file. Pins of older versions keep their generation open. Callers hold {@code syncLock} (or run
     * before the database is shared).
     */
    void rewriteBuffer(Rewrite rewrite, DatabaseVersion replacement) throws IOException {
        rewriteBuffer(rewrite, (fresh, old) -> replacement != null ? replacement : repoint(current, fresh, old));
    }

    private void rewriteBuffer(Rewrite rewrite, NextVersion next) throws IOException {
        WriteBuffer buf = buffer;
        writerGen = null;
        try {
            rewrite.run();
        } catch (IOException | RuntimeException e) {
            try {
                moveToNewGeneration(buf, null); // the rewrite may or may not have replaced the file
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        swapGeneration(buf, next);
    }

    /**
     * Records an own upload found on the replica (its outcome was lost or the buffer could not record it): marks
     * the buffered transactions up to {@code upToSeq} synced on the file's TXID and rebuilds the published
     * version as the file applied to the sync base with the remaining transactions on top. Callers hold
     * {@code syncLock}.
     */
    void adoptUpload(long upToSeq, LoadedFile file) throws IOException {
        WriteBuffer buf = buffer;
        long txid = file.header().maxTxid();
        long post = file.header().noChecksum() ? 0 : file.postApplyChecksum();
        DatabaseVersion oldBase = baseVersion;
        // A sync that installed this file but failed to rewrite the buffer already advanced the base.
        DatabaseVersion newBase = oldBase.txid() == txid ? oldBase : ReplicaIndex.apply(oldBase, file);
        rewriteBuffer(() -> buf.markSynced(upToSeq, txid, post), (fresh, old) -> {
            baseVersion = newBase;
            return overlay(newBase, buf.pageSize(), fresh);
        });
        syncedSeq = upToSeq;
    }

    private void moveToNewGeneration(WriteBuffer buf, DatabaseVersion replacement) throws IOException {
        swapGeneration(buf, (fresh, old) -> replacement != null ? replacement : repoint(current, fresh, old));
    }

    /**
     * The one generation swap: opens the buffer's current file and publishes {@code next}'s version on it, making
     * it the generation of the current version and of the next write transaction; the engine's reference on the
     * previous generation is dropped (pins keep it open while they need it).
     */
    private BufferGeneration swapGeneration(WriteBuffer buf, NextVersion next) throws IOException {
        BufferGeneration fresh = buf.openGeneration(scheduler);
        LocalGeneration old;
        synchronized (stateLock) {
            old = currentGen;
            DatabaseVersion v = next.on(fresh, old);
            if (v != null) {
                current = v;
            }
            currentGen = fresh.generation();
            writerGen = currentGen;
        }
        if (old != null) {
            old.release();
        }
        return fresh;
    }

    /** {@code v} with every local page of generation {@code from} pointed at its record in {@code to}. */
    private static DatabaseVersion repoint(DatabaseVersion v, BufferGeneration to, LocalGeneration from) {
        PageRecords latest = to.latest(v.localSeq());
        PageMap.Builder b = v.pages().edit();
        for (int i = 0; i < latest.size(); i++) {
            long p = latest.pgno(i);
            if (p <= v.commit() && v.pages().get(p) instanceof LocalPage lp && lp.generation() == from) {
                b.put(p, new LocalPage(to.generation(), latest.offset(i)), v.pages().checksum(p));
            }
        }
        return new DatabaseVersion(v.pageSize(), v.commit(), v.txid(), v.localSeq(), v.checksum(), b.build());
    }

    /** The generation the current version points into (tests). */
    LocalGeneration currentGeneration() {
        synchronized (stateLock) {
            return currentGen;
        }
    }

    // ------------------------------------------------------------------------------------------ relocation

    /**
     * A replica file the page map points at is gone: rebuilds the page map at the pinned version's TXID from the
     * current restore plan and answers the page's location there. Versions at that TXID (the current one, the
     * sync base) are patched so later reads go straight to the new file.
     */
    private RemotePage relocate(DatabaseVersion v, long pgno, RemotePage missing) throws IOException {
        if (v.txid() == 0) {
            return null;
        }
        DatabaseVersion rebuilt;
        synchronized (relocateLock) {
            rebuilt = relocated;
            if (rebuilt == null || rebuilt.txid() != v.txid() || containsFile(rebuilt, missing, v.commit())) {
                try {
                    rebuilt = index.open(RestoreTarget.txid(v.txid()));
                } catch (RestorePlanException e) {
                    lastError = "page " + pgno + " of TXID " + Txid.format(v.txid()) + " is gone with replica file "
                            + missing.file() + " and no restore plan reaches that TXID: " + e.getMessage();
                    return null;
                }
                if (rebuilt.txid() != v.txid()) {
                    return null;
                }
                if (!writeMode && (v.checksum() == 0 || rebuilt.checksum() == 0) && !follower.anchorNotContradicted()) {
                    // No checksums to compare: rebuild only while the file that proves the held state is there.
                    lastError = "page " + pgno + " of TXID " + Txid.format(v.txid()) + " is gone with replica file "
                            + missing.file() + " and the replica may hold another history now (no checksums to"
                            + " tell); the next poll decides";
                    return null;
                }
                if (v.checksum() != 0 && rebuilt.checksum() != 0 && rebuilt.checksum() != v.checksum()) {
                    lastError = "page " + pgno + " of TXID " + Txid.format(v.txid()) + " is gone with replica file "
                            + missing.file() + " and the replica's state at that TXID is a different database"
                            + " (checksum " + Long.toHexString(rebuilt.checksum()) + ", held "
                            + Long.toHexString(v.checksum()) + ")";
                    return null;
                }
                relocated = rebuilt;
            }
        }
        synchronized (stateLock) {
            DatabaseVersion c = current;
            if (c.txid() == rebuilt.txid()) {
                current = patch(c, rebuilt, missing);
            }
            DatabaseVersion base = baseVersion;
            if (base != null && base.txid() == rebuilt.txid()) {
                baseVersion = patch(base, rebuilt, missing);
            }
        }
        return rebuilt.pages().get(pgno) instanceof RemotePage rp ? rp : null;
    }

    private static boolean containsFile(DatabaseVersion v, RemotePage missing, long commit) {
        for (long p = 1; p <= Math.min(commit, v.commit()); p++) {
            if (v.pages().get(p) instanceof RemotePage rp && rp.file().equals(missing.file())) {
                return true;
            }
        }
        return false;
    }

    /** {@code v} with its entries in the missing file replaced by the rebuilt map's entries. */
    private static DatabaseVersion patch(DatabaseVersion v, DatabaseVersion rebuilt, RemotePage missing) {
        PageMap.Builder b = v.pages().edit();
        boolean changed = false;
        for (long p = 1; p <= v.commit(); p++) {
            if (v.pages().get(p) instanceof RemotePage rp && rp.file().equals(missing.file())) {
                PageRef now = rebuilt.pages().get(p);
                b.put(p, now instanceof RemotePage ? now : null, v.pages().checksum(p));
                changed = true;
            }
        }
        return changed ? new DatabaseVersion(v.pageSize(), v.commit(), v.txid(), v.localSeq(), v.checksum(),
                b.build()) : v;
    }

    WriteBuffer bufferOrNull() {
        return buffer;
    }

    WriteBuffer buffer() throws IOException {
        WriteBuffer b = buffer;
        if (b == null) {
            throw new PageSizeException("database \"" + name + "\" has no page size yet: write page 1 first");
        }
        return b;
    }

    public boolean isWriteMode() {
        return writeMode;
    }

    public String name() {
        return name;
    }

    long pendingCommits() {
        WriteBuffer b = buffer;
        return b == null ? 0 : Math.max(0, b.lastCommittedSeq() - syncedSeq);
    }

    // ------------------------------------------------------------------------------------------ reading

    /** Pins the current version for one read transaction. */
    public ReadTransaction beginRead() {
        checkOpen();
        return new ReadTransaction(this, pin());
    }

    // ------------------------------------------------------------------------------------------ writing

    /**
     * Starts the single write session, waiting while another one is open.
     *
     * @throws ReadOnlyDatabaseException in read mode
     * @throws ConflictException when conflicted (until {@link #refresh()})
     */
    public WriteSession beginWrite() throws IOException {
        checkWritable();
        writer.acquireUninterruptibly();
        return startSession();
    }

    /** Like {@link #beginWrite()} but returns null at once when another session is open (SQLITE_BUSY). */
    public WriteSession tryBeginWrite() throws IOException {
        checkWritable();
        if (!writer.tryAcquire()) {
            return null;
        }
        return startSession();
    }

    private WriteSession startSession() throws IOException {
        try {
            checkWritable();
        } catch (IOException | RuntimeException e) {
            writer.release();
            throw e;
        }
        return new WriteSession(this, pin());
    }

    void releaseWriter() {
        writer.release();
    }

    void checkWritable() throws EngineException {
        checkOpen();
        if (!writeMode) {
            throw new ReadOnlyDatabaseException("database \"" + name + "\" is open in read mode (attempt to write"
                    + " a readonly database; set LITESTREAM_WRITE_ENABLED=true to write)");
        }
        ConflictInfo c = state.get().conflict();
        if (c != null) {
            throw new ConflictException(c);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("database \"" + name + "\" is closed");
        }
    }

    /** Creates the buffer of a new database once its page size is known (the first write). */
    void establishPageSize(int pageSize) throws IOException {
        synchronized (stateLock) {
            if (buffer == null) {
                openBuffer(pageSize, DatabaseVersion.EMPTY);
                syncedSeq = buffer.lastCommittedSeq();
                DatabaseVersion v = new DatabaseVersion(pageSize, 0, 0, buffer.lastCommittedSeq(), 0, PageMap.EMPTY);
                baseVersion = v;
                current = v;
                installFirstGeneration();
            } else if (buffer.pageSize() != pageSize) {
                throw new PageSizeException("write with page size " + pageSize + " but database \"" + name
                        + "\" uses " + buffer.pageSize());
            }
        }
    }

    /**
     * Publishes a committed transaction: its pages become {@link LocalPage}s in the generation it wrote to.
     *
     * @param gen   the generation observed right after the transaction began (null: a rewrite was running)
     * @param pages page number to LTX page checksum of every page the transaction wrote
     */
    void publishCommit(int pageSize, long commit, long floor, WriteTransaction tx, Map<Long, Long> pages, long seq,
            LocalGeneration gen) throws IOException {
        synchronized (stateLock) {
            if (gen != null && gen == currentGen) {
                // No rewrite moved the current version off the generation the transaction wrote to.
                publishLocked(pageSize, commit, floor, pages, seq, gen, tx::recordOffset);
                return;
            }
        }
        // A rewrite ran while the transaction was open or before it was published: its records were copied into
        // the newest generation; read their offsets there. No rewrite can start while syncLock is held.
        syncLock.lock();
        try {
            if (writerGen == null) {
                // The last rewrite could not open its new generation: do it now (no rewrite runs under syncLock).
                moveToNewGeneration(buffer, null);
            }
            CommittedTransaction mine = null;
            for (CommittedTransaction t : buffer.transactions()) {
                if (t.seq() == seq) {
                    mine = t;
                }
            }
            if (mine == null) {
                throw new IllegalStateException("committed transaction " + seq + " is not held by write buffer "
                        + buffer.location());
            }
            Map<Long, Long> offsets = new java.util.HashMap<>();
            for (PageLocation loc : mine.pages()) {
                offsets.put(loc.pgno(), loc.offset());
            }
            synchronized (stateLock) {
                publishLocked(pageSize, commit, floor, pages, seq, currentGen, offsets::get);
            }
        } finally {
            syncLock.unlock();
        }
    }

    private void publishLocked(int pageSize, long commit, long floor, Map<Long, Long> pages, long seq,
            LocalGeneration gen, java.util.function.LongFunction<Long> offsetOf) {
        DatabaseVersion c = current;
        PageMap.Builder b = c.pages().edit();
        b.truncate(floor);
        long[] pgnos = new long[pages.size()];
        int n = 0;
        for (long p : pages.keySet()) {
            pgnos[n++] = p;
        }
        Arrays.sort(pgnos);
        for (long p : pgnos) {
            if (p > commit) {
                continue;
            }
            Long offset = offsetOf.apply(p);
            if (offset == null || offset < 0) {
                throw new IllegalStateException("write buffer holds no record of page " + p + " of transaction " + seq);
            }
            b.put(p, new LocalPage(gen, offset), pages.get(p));
        }
        b.truncate(commit);
        current = new DatabaseVersion(pageSize, commit, c.txid(), seq, 0, b.build());
    }

    void awaitRemoteIfRequired(long seq) throws IOException {
        if (options.durability != Durability.REMOTE) {
            return;
        }
        while (syncedSeq < seq) {
            ConflictInfo c = state.get().conflict();
            if (c != null) {
                throw new ConflictException(c);
            }
            syncLock.lock();
            try {
                if (syncedSeq >= seq) {
                    return;
                }
                SyncOutcome o = syncLocked(options.clock.instant()).outcome();
                if (o.status() == SyncOutcome.Status.CONFLICT) {
                    logNewConflict();
                    throw (ConflictException) o.error();
                }
                if (o.status() == SyncOutcome.Status.FAILED) {
                    throw new SyncFailedException("transaction " + seq + " is committed locally but its upload"
                            + " failed (a later sync retries it): " + o.error().getMessage(), o.error());
                }
                if (o.status() == SyncOutcome.Status.NOTHING_TO_SYNC && syncedSeq < seq) {
                    throw new IllegalStateException("transaction " + seq + " is neither synced nor pending");
                }
            } finally {
                syncLock.unlock();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ step functions

    /** One sync: uploads every committed, unsynced transaction as one LTX file (see {@link SyncEngine}). */
    public SyncOutcome syncOnce(Instant now) {
        if (!writeMode) {
            return new SyncOutcome(SyncOutcome.Status.NOTHING_TO_SYNC, current.txid(), 0, 0, null);
        }
        syncLock.lock();
        try {
            long started = options.clock.millis();
            Synced done = syncLocked(now);
            events.record(name, done.outcome(), done.uploadBytes(), Math.max(0, options.clock.millis() - started));
            return done.outcome();
        } finally {
            syncLock.unlock();
            logNewConflict();
        }
    }

    /** What a sync step did, and the LTX bytes it uploaded (0 when it adopted, failed or had nothing to do). */
    private record Synced(SyncOutcome outcome, long uploadBytes) {}

    /**
     * Runs sync rounds and applies each one's result (docs/engine-invariants.md I4). Each round either finishes,
     * or adopts one file this writer uploaded earlier (its outcome was lost, or the buffer could not record it) and
     * goes on with what is left; the base advances every round. Callers hold {@code syncLock}.
     */
    private Synced syncLocked(Instant now) {
        SyncOutcome adopted = null;
        while (true) {
            SyncEngine.Round r = sync.round(now);
            if (r.adopt() != null) {
                LoadedFile own = r.adopt().file();
                try {
                    adoptUpload(r.adopt().upToSeq(), own);
                } catch (IOException | RuntimeException e) {
                    lastError = "sync failed: " + e.getMessage();
                    // The own upload sits on the base TXID + 1.
                    return new Synced(new SyncOutcome(SyncOutcome.Status.FAILED, own.header().minTxid() - 1, 0, 0,
                            e), 0);
                }
                adopted = new SyncOutcome(SyncOutcome.Status.SYNCED, current().txid(), syncedSeq, 0, null);
                updateState(s -> s.withLastSync(now.toEpochMilli()));
                lastError = null;
                continue;
            }
            SyncOutcome o = r.outcome();
            long bytes = r.uploadBytes();
            boolean setsError = r.setsError();
            String error = r.error();
            if (r.install() != null) {
                try {
                    install(r.install());
                } catch (IOException | RuntimeException e) {
                    // The upload is on the base TXID + 1.
                    o = new SyncOutcome(SyncOutcome.Status.FAILED, o.txid() - 1, 0, 0, e);
                    bytes = 0;
                    setsError = true;
                    error = "sync failed: " + e.getMessage();
                }
            }
            if (o.status() == SyncOutcome.Status.SYNCED) {
                updateState(s -> s.withLastSync(now.toEpochMilli()));
            }
            if (setsError) {
                lastError = error;
            }
            return o.status() == SyncOutcome.Status.NOTHING_TO_SYNC && adopted != null ? new Synced(adopted, 0)
                    : new Synced(o, bytes);
        }
    }

    /**
     * Publishes an uploaded file (its synced pages become remote entries), advances the base, then trims the buffer
     * and moves the remaining local pages to its new file; the synced sequence number moves last (I2).
     */
    private void install(SyncEngine.Install in) throws IOException {
        synchronized (stateLock) {
            publish(in.merge().apply(current));
            baseVersion = in.newBase();
        }
        rewriteBuffer(in.trim(), (DatabaseVersion) null);
        syncedSeq = in.upToSeq();
    }

    /**
     * Logs a conflict at warn the first time it is seen, when the sync (or the open) detects it: the application
     * may never look at the status, and SQLite only reports "database is locked" at the next commit.
     */
    private void logNewConflict() {
        ConflictInfo c = state.get().conflict();
        ConflictInfo logged = loggedConflict.get();
        if (c == null || c == logged || !loggedConflict.compareAndSet(logged, c)) {
            return;
        }
        events.conflicts.incrementAndGet();
        Log.LOG.warn("database \"{}\": {}", name, c.message());
    }

    /**
     * One poll (read mode): lists every level and merges new files into a new published version. Write mode
     * does not poll (a rival writer is detected by the sync's conflict check) and returns at once.
     */
    public PollOutcome pollOnce(Instant now) {
        if (writeMode) {
            return new PollOutcome(0, current.txid(), false, null);
        }
        syncLock.lock();
        try {
            Follower.Step step = follower.poll(now);
            if (step.publish() != null) {
                publish(step.publish());
            }
            lastError = step.lastError();
            return step.outcome();
        } finally {
            syncLock.unlock();
        }
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
        syncLock.lock();
        try {
            if (!writeMode) {
                // Read mode reloads from scratch as a new lineage: the replica may be another history by now.
                ReplicaIndex.OpenedState opened = loadRemoteState();
                enterDivergence("refreshing");
                follower.start(opened);
                installReloaded(opened.version());
                follower.forgetDivergence();
                lastError = null;
                return;
            }
            if (state.get().conflict() == null && pendingCommits() > 0) {
                syncLocked(options.clock.instant()); // upload what can be; a conflict saves the rest
            }
            DatabaseVersion remote = loadRemote();
            WriteBuffer buf = buffer;
            if (buf != null) {
                if (remote.pageSize() != 0 && remote.pageSize() != buf.pageSize()) {
                    throw new PageSizeException("write buffer " + buf.location() + " has page size "
                            + buf.pageSize() + " but the replica now has " + remote.pageSize());
                }
                BufferBase fresh = new BufferBase(remote.txid(), remote.checksum(), remote.commit());
                WriteBuffer reset;
                try {
                    keepUnsaved(buf);
                    reset = resetBuffer(buf, fresh, remote);
                } catch (WriteBufferException e) {
                    // A buffer stopped by an I/O failure (or closed by a reopen that failed) recovers by opening
                    // its file again; what recovery finds there is saved before refresh drops it.
                    WriteBuffer reopened = reopenFailedBuffer(buf, remote, e);
                    keepUnsaved(reopened);
                    reset = resetBuffer(reopened, fresh, remote);
                }
                remote = withSeq(remote, reset.lastCommittedSeq());
                syncedSeq = reset.lastCommittedSeq();
                long synced = syncedSeq;
                updateState(s -> s.withSavedThrough(synced));
            }
            boolean tracked = remote.txid() == 0 || remote.checksum() != 0;
            updateState(s -> s.withTracked(tracked));
            baseVersion = remote;
            publish(remote);
            sync.relistEverything();
            follower.relistEverything();
            reader.verifier().forgetFailures(); // a replaced corrupt file is verified again
            updateState(EngineState::refreshed);
            lastError = null;
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

    /** Saves the held transactions no sync and no conflict save covers yet, before a refresh drops them. */
    private void keepUnsaved(WriteBuffer buf) throws IOException {
        long saved;
        try {
            saved = conflicts.saveUnsaved(buf, options.clock.instant());
        } catch (WriteBufferException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new IOException("refresh of database \"" + name + "\" keeps its unsynced transactions in the"
                    + " write buffer: saving them under " + files.conflictDirectory() + " failed: " + e.getMessage(),
                    e);
        }
        if (saved >= 0) {
            updateState(s -> s.withSavedThrough(saved));
        }
    }

    /** Starts {@code buf} over on {@code fresh} and publishes {@code remote} on the rewritten file. */
    private WriteBuffer resetBuffer(WriteBuffer buf, BufferBase fresh, DatabaseVersion remote) throws IOException {
        // No session is open (the caller holds the writer slot), so the sequence number does not move.
        rewriteBuffer(() -> buf.reset(fresh), withSeq(remote, buf.lastCommittedSeq()));
        return buf;
    }

    /**
     * Closes a buffer that stopped after an I/O failure and opens its file again (recovery replays what reached
     * the file). Callers hold the writer slot and {@code syncLock}.
     */
    private WriteBuffer reopenFailedBuffer(WriteBuffer failed, DatabaseVersion remote, IOException cause)
            throws IOException {
        try {
            failed.close();
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
        try {
            openBuffer(failed.pageSize(), remote);
        } catch (IOException | RuntimeException e) {
            e.addSuppressed(cause);
            throw e;
        }
        return buffer;
    }

    /**
     * Releases the generation and closes the buffer (releasing its lock), whatever state they are in: a close
     * whose final sync failed, or an open that failed half-way, must leave the buffer reopenable.
     *
     * @param into a failure already being reported, which gets release problems as suppressed exceptions
     * @return the release problem when there is no {@code into}, else null
     */
    private IOException releaseResources(Throwable into) {
        IOException problem = null;
        LocalGeneration gen;
        synchronized (stateLock) {
            gen = currentGen;
            currentGen = null;
            writerGen = null;
        }
        // Pins taken before close keep their generation readable until they are closed.
        if (gen != null) {
            gen.release();
        }
        WriteBuffer b = buffer;
        if (b != null) {
            writer.acquireUninterruptibly();
            try {
                b.close();
            } catch (IOException | RuntimeException e) {
                if (into != null) {
                    into.addSuppressed(e);
                } else {
                    problem = e instanceof IOException io ? io
                            : new IOException("closing the write buffer of database \"" + name + "\" failed", e);
                }
            } finally {
                writer.release();
            }
        }
        return problem;
    }

    /** Counters and gauges for a metrics registry; see {@link EngineMetrics} and docs/metrics-and-logs.md. */
    public EngineMetrics metrics() {
        return StatusReport.metrics(this);
    }

    /** Status for {@code litestream_status()}. */
    public DatabaseStatus status() {
        return StatusReport.status(this);
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    /** Starts the background scheduler: syncs every sync interval (write mode) or polls every poll interval. */
    public synchronized void start() {
        if (writeMode) {
            scheduler.start(options.syncInterval, this::syncOnce);
        } else {
            scheduler.start(options.pollInterval, this::pollOnce);
        }
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
        scheduler.close();
        IOException failure = null;
        try {
            if (writeMode && buffer != null && state.get().conflict() == null) {
                long deadline = options.clock.millis() + options.closeTimeout.toMillis();
                SyncOutcome o = syncOnce(options.clock.instant());
                while (o.status() == SyncOutcome.Status.FAILED || (o.status() == SyncOutcome.Status.SYNCED
                        && pendingCommits() > 0)) {
                    if (options.clock.millis() >= deadline) {
                        failure = new SyncFailedException("close of database \"" + name + "\" timed out with "
                                + pendingCommits() + " unsynced transaction(s) kept in " + buffer.location(),
                                o.error());
                        break;
                    }
                    if (o.status() == SyncOutcome.Status.FAILED) {
                        try {
                            options.clock.sleep(Duration.ofMillis(100));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            break;
                        }
                    }
                    o = syncOnce(options.clock.instant());
                }
            }
        } finally {
            closed = true;
            IOException released = releaseResources(failure);
            if (failure == null) {
                failure = released;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
