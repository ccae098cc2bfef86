package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.BufferPaths;
import dev.ltx4j.pagestore.BufferProbe;
import dev.ltx4j.pagestore.DatabaseVersion;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.PageCache;
import dev.ltx4j.pagestore.PageMap;
import dev.ltx4j.pagestore.PageReader;
import dev.ltx4j.pagestore.ReplicaIndex;
import dev.ltx4j.pagestore.SyncSnapshot;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.storage.FileLogStorage;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one state object of a database in this process (share it through {@link DatabaseRegistry}): page map
 * versions, page cache, and in write mode the write buffer and syncer; in read mode the poller.
 *
 * <p><b>Reading.</b> {@link #beginRead()} pins the current {@link DatabaseVersion}; the pin sees exactly that
 * state (pages and size) until closed, whatever commits, syncs and polls publish meanwhile. Publishing is a
 * copy-on-write of the changed map chunks, so pins are free.
 *
 * <p><b>Writing</b> (write mode). {@link #beginWrite()} hands out the single {@link WriteSession}; its commit
 * goes to the crash-safe buffer and becomes visible to new readers at once. {@link #syncOnce} uploads committed
 * transactions as one LTX file (normally called by {@link #start()}'s scheduler every sync interval).
 *
 * <p><b>Threads.</b> Readers never block. One writer at a time. One sync or poll at a time ({@code syncLock});
 * uploads and listings run outside the state lock, which is held only to swap the published version.
 */
public final class Database implements AutoCloseable {
    final ReplicaClient client;
    final String name;
    final EngineOptions options;
    final ReplicaIndex index;
    final PageReader reader;
    final boolean writeMode;
    final Object stateLock = new Object();
    final ReentrantLock syncLock = new ReentrantLock();
    private final Semaphore writer = new Semaphore(1, true);
    private final SyncEngine sync = new SyncEngine(this);
    private volatile DatabaseVersion current;

    // Write mode.
    private final LogStorage bufferStorage;
    private final String bufferName;
    private final Path bufferPath;
    final Path conflictDirectory;
    private volatile WriteBuffer buffer;
    volatile DatabaseVersion baseVersion;
    volatile boolean tracked;
    volatile long syncedSeq;
    volatile ConflictInfo conflict;

    volatile long lastSyncMillis = -1;
    volatile long lastPollMillis = -1;
    volatile String lastError;
    private Scheduler scheduler;
    private volatile boolean closed;

    private Database(ReplicaClient client, String name, EngineOptions options) {
        this.client = client;
        this.name = name;
        this.options = options;
        this.index = new ReplicaIndex(client);
        this.reader = new PageReader(client, new PageCache(options.cacheBytes), options.readAheadPages,
                (long) options.readAheadPages * 70_000);
        this.writeMode = options.writeEnabled;
        if (options.bufferStorage != null) {
            this.bufferStorage = options.bufferStorage;
            this.bufferName = options.bufferName;
            this.bufferPath = null;
        } else {
            Path p = (options.bufferPath != null ? options.bufferPath
                    : BufferPaths.defaultPath(options.replicaIdentity, name)).toAbsolutePath();
            this.bufferPath = p;
            this.bufferStorage = null;
            this.bufferName = p.getFileName().toString();
        }
        Path conflicts = options.conflictDirectory;
        if (conflicts == null) {
            conflicts = bufferPath != null ? bufferPath.getParent().resolve("conflicts")
                    : Path.of(System.getProperty("java.io.tmpdir"), "ltx4j-conflicts");
        }
        this.conflictDirectory = conflicts;
    }

    /**
     * Opens a database. Read mode: loads the replica's latest state (fails with {@link DatabaseNotFoundException}
     * on an empty replica, never hangs). Write mode: loads the replica (an empty one starts an empty database),
     * opens or recovers the buffer, and reconciles it: recovered transactions on the replica's TXID are kept for
     * the next sync; if the replica moved past them the database opens conflicted with nothing lost.
     */
    public static Database open(ReplicaClient client, String name, EngineOptions options) throws IOException {
        Database db = new Database(client, name, options);
        db.load();
        return db;
    }

    private void load() throws IOException {
        DatabaseVersion remote = loadRemote();
        if (!writeMode) {
            publish(remote);
            return;
        }
        tracked = remote.txid() == 0 || remote.checksum() != 0;
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
        try {
            return index.open(RestoreTarget.latest());
        } catch (RestorePlanException.TransactionNotAvailable e) {
            if (e.replicaEmpty() && writeMode) {
                return DatabaseVersion.EMPTY;
            }
            throw new DatabaseNotFoundException("cannot open database \"" + name + "\" in read mode: "
                    + (e.replicaEmpty() ? "replica " + options.replicaIdentity + " holds no LTX files (nothing to read;"
                            + " enable LITESTREAM_WRITE_ENABLED to create it)" : e.getMessage()), e);
        } catch (RestorePlanException e) {
            throw new DatabaseNotFoundException("cannot open database \"" + name + "\": " + e.getMessage(), e);
        }
    }

    private LogStorage storage() throws IOException {
        if (bufferStorage != null) {
            return bufferStorage;
        }
        Path dir = bufferPath.getParent();
        if (options.bufferPath == null) {
            Files.createDirectories(dir);
        }
        return new FileLogStorage(dir);
    }

    private void openBuffer(int pageSize, DatabaseVersion remote) throws IOException {
        WriteBufferOptions o = WriteBufferOptions.builder()
                .pageSize(pageSize)
                .durability(options.durability == Durability.NONE ? Durability.NONE : Durability.LOCAL)
                .initialBase(new BufferBase(remote.txid(), remote.checksum(), remote.commit()))
                .clock(options.clock)
                .random(() -> new SplittableRandom(options.seed))
                .build();
        if (bufferStorage != null) {
            buffer = WriteBuffer.open(bufferStorage, bufferName, o);
        } else if (options.bufferPath == null) {
            buffer = WriteBuffer.openDefault(options.replicaIdentity, name, o);
        } else {
            buffer = WriteBuffer.open(bufferPath, o);
        }
    }

    private void reconcile(DatabaseVersion remote) throws IOException {
        WriteBuffer buf = buffer;
        if (remote.pageSize() != 0 && remote.pageSize() != buf.pageSize()) {
            throw new PageSizeException("write buffer " + buf.location() + " has page size " + buf.pageSize()
                    + " but replica " + options.replicaIdentity + " has " + remote.pageSize());
        }
        while (true) {
            BufferBase base = buf.base();
            int held = buf.transactions().size();
            syncedSeq = buf.lastCommittedSeq() - held;
            if (base.txid() == remote.txid()) {
                baseVersion = remote;
                publish(overlay(remote, buf));
                return;
            }
            if (held == 0) {
                buf.reset(new BufferBase(remote.txid(), remote.checksum(), remote.commit()));
                syncedSeq = buf.lastCommittedSeq();
                baseVersion = remote;
                publish(withSeq(remote, buf.lastCommittedSeq()));
                return;
            }
            if (Long.compareUnsigned(remote.txid(), base.txid()) > 0 && sync.adoptOwnUpload(buf)) {
                continue;
            }
            baseVersion = remote;
            publish(withSeq(remote, buf.lastCommittedSeq()));
            sync.enterConflict(base, remote.txid(), options.clock.instant());
            return;
        }
    }

    /** The remote state with the buffer's recovered transactions on top. */
    private static DatabaseVersion overlay(DatabaseVersion remote, WriteBuffer buf) throws IOException {
        SyncSnapshot snap = buf.snapshot();
        if (snap.isEmpty()) {
            return withSeq(remote, buf.lastCommittedSeq());
        }
        PageMap.Builder b = remote.pages().edit();
        for (int i = 0; i < snap.pageCount(); i++) {
            byte[] data = new byte[snap.pageSize()];
            snap.readPage(i, data);
            b.put(snap.pgno(i), data);
        }
        b.truncate(snap.commitSize());
        return new DatabaseVersion(snap.pageSize(), snap.commitSize(), remote.txid(), snap.upToSeq(), 0, b.build());
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
        return new ReadTransaction(this, current);
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
        return new WriteSession(this, current);
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
        ConflictInfo c = conflict;
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
            } else if (buffer.pageSize() != pageSize) {
                throw new PageSizeException("write with page size " + pageSize + " but database \"" + name
                        + "\" uses " + buffer.pageSize());
            }
        }
    }

    void publishCommit(int pageSize, long commit, long floor, java.util.Map<Long, byte[]> pages, long seq) {
        synchronized (stateLock) {
            DatabaseVersion c = current;
            PageMap.Builder b = c.pages().edit();
            b.truncate(floor);
            pages.forEach(b::put);
            b.truncate(commit);
            current = new DatabaseVersion(pageSize, commit, c.txid(), seq, 0, b.build());
        }
    }

    void awaitRemoteIfRequired(long seq) throws IOException {
        if (options.durability != Durability.REMOTE) {
            return;
        }
        while (syncedSeq < seq) {
            ConflictInfo c = conflict;
            if (c != null) {
                throw new ConflictException(c);
            }
            syncLock.lock();
            try {
                if (syncedSeq >= seq) {
                    return;
                }
                SyncOutcome o = sync.syncLocked(options.clock.instant());
                if (o.status() == SyncOutcome.Status.CONFLICT) {
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
            return sync.syncLocked(now);
        } finally {
            syncLock.unlock();
        }
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
            ReplicaIndex.PollResult r = index.poll(current);
            publish(r.version());
            lastPollMillis = now.toEpochMilli();
            lastError = r.gap() ? "replica has files beyond a gap after TXID " + Txid.format(r.version().txid())
                    + "; relisting on the next poll" : null;
            return new PollOutcome(r.applied().size(), r.version().txid(), r.gap(), null);
        } catch (IOException | RuntimeException e) {
            lastError = "poll failed: " + e.getMessage();
            return new PollOutcome(0, current.txid(), false, e);
        } finally {
            syncLock.unlock();
        }
    }

    /**
     * Drops all local pending state (unsynced transactions; after a conflict they remain saved under
     * {@code conflicts/}) and reloads the replica's latest state; clears the conflict. Waits for the open write
     * session to end.
     */
    public void refresh() throws IOException {
        checkOpen();
        writer.acquireUninterruptibly();
        syncLock.lock();
        try {
            DatabaseVersion remote = loadRemote();
            WriteBuffer buf = buffer;
            if (buf != null) {
                if (remote.pageSize() != 0 && remote.pageSize() != buf.pageSize()) {
                    throw new PageSizeException("write buffer " + buf.location() + " has page size "
                            + buf.pageSize() + " but the replica now has " + remote.pageSize());
                }
                buf.reset(new BufferBase(remote.txid(), remote.checksum(), remote.commit()));
                syncedSeq = buf.lastCommittedSeq();
                remote = withSeq(remote, buf.lastCommittedSeq());
            }
            tracked = remote.txid() == 0 || remote.checksum() != 0;
            baseVersion = remote;
            publish(remote);
            conflict = null;
            lastError = null;
        } finally {
            syncLock.unlock();
            writer.release();
        }
    }

    /** Status for {@code litestream_status()}. */
    public DatabaseStatus status() {
        long now = options.clock.millis();
        long last = Math.max(lastPollMillis, lastSyncMillis);
        WriteBuffer b = buffer;
        DatabaseVersion v = current;
        String where = b != null ? b.location() : (writeMode ? (bufferPath != null ? bufferPath.toString()
                : bufferStorage.describe(bufferName)) : null);
        return new DatabaseStatus(writeMode ? "write" : "read", v.txid(), pendingCommits(), lastSyncMillis,
                last < 0 ? -1 : Math.max(0, now - last), conflict, where, v.pageSize(), v.commit(), lastError);
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    /** Starts the background scheduler: syncs every sync interval (write mode) or polls every poll interval. */
    public synchronized void start() {
        if (scheduler == null) {
            scheduler = writeMode
                    ? new Scheduler("ltx4j-sync-" + name, options.syncInterval, options.clock, this::syncOnce)
                    : new Scheduler("ltx4j-poll-" + name, options.pollInterval, options.clock, this::pollOnce);
        }
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
        synchronized (this) {
            if (scheduler != null) {
                scheduler.close();
                scheduler = null;
            }
        }
        IOException failure = null;
        try {
            if (writeMode && buffer != null && conflict == null) {
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
                            options.pause.pause(java.time.Duration.ofMillis(100));
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
            WriteBuffer b = buffer;
            if (b != null) {
                writer.acquireUninterruptibly();
                try {
                    b.close();
                } finally {
                    writer.release();
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
