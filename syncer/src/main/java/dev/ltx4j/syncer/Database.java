package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.BufferPaths;
import dev.ltx4j.pagestore.BufferProbe;
import dev.ltx4j.pagestore.CommittedTransaction;
import dev.ltx4j.pagestore.DatabaseVersion;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.LocalPage;
import dev.ltx4j.pagestore.PageCache;
import dev.ltx4j.pagestore.PageLocation;
import dev.ltx4j.pagestore.PageMap;
import dev.ltx4j.pagestore.PageReader;
import dev.ltx4j.pagestore.RemotePage;
import dev.ltx4j.pagestore.RecoveryReport;
import dev.ltx4j.pagestore.ReplicaIndex;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteTransaction;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.storage.FileLogStorage;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.pagestore.storage.SecureFiles;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 * uploads and listings run outside the state lock, which is held only to swap the published version.
 */
public final class Database implements AutoCloseable {
    /** Initialised on the first message only: SLF4J looks for providers (and may warn) when first used. */
    private static final class Log {
        static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Database.class);
    }

    /**
     * Looked up only when there is something to say (at the latest the first sync's debug line), so a quiet open
     * never initialises SLF4J.
     */
    static org.slf4j.Logger log() {
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
    final Object stateLock = new Object();
    final ReentrantLock syncLock = new ReentrantLock();
    private final Semaphore writer = new Semaphore(1, true);
    /**
     * Held by a commit from its conflict check until its commit record is durable, and by a conflict while it
     * snapshots the held transactions and raises the conflict: every commit is either in that snapshot or fails
     * with the conflict. Never held while waiting for {@code syncLock} (order: syncLock, then commitGate).
     */
    final ReentrantLock commitGate = new ReentrantLock();
    private final SyncEngine sync = new SyncEngine(this);
    private volatile DatabaseVersion current;
    /** The buffer file generation {@link #current} points into (null without a buffer); guarded by stateLock. */
    private LocalGeneration currentGen;
    /** Generation a write transaction that begins now writes to; null while a buffer rewrite runs. */
    private volatile LocalGeneration writerGen;
    private long generationCount;
    final ReplicaIndex.ListingPositions pollPositions = new ReplicaIndex.ListingPositions();
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
    private final LogStorage bufferStorage;
    private final String bufferName;
    private final Path bufferPath;
    final Path conflictDirectory;
    private volatile WriteBuffer buffer;
    volatile DatabaseVersion baseVersion;
    volatile boolean tracked;
    volatile long syncedSeq;
    volatile ConflictInfo conflict;
    /** The conflict last logged, so each one is logged once however often it is seen. */
    private final java.util.concurrent.atomic.AtomicReference<ConflictInfo> loggedConflict =
            new java.util.concurrent.atomic.AtomicReference<>();
    /** The last buffer sequence number saved under conflicts/ (refresh may drop what is synced or saved). */
    volatile long savedThroughSeq;
    /** Completed refreshes: each may replace the content under every connection (see {@link #refreshCount()}). */
    private volatile long refreshes;

    volatile long lastSyncMillis = -1;
    volatile long lastPollMillis = -1;
    volatile String lastError;
    /** What the last buffer open dropped or found (RecoveryReport), or null when it was new or ended cleanly. */
    volatile String bufferRecovery;
    private boolean volatileWarned;
    private Scheduler scheduler;
    private volatile boolean closed;
    private volatile boolean spoolSwept;

    private Database(ReplicaClient client, String name, EngineOptions options) {
        this.client = EngineClientStack.of(client);
        this.name = name;
        this.options = options;
        this.index = new ReplicaIndex(this.client);
        this.reader = newReader(0);
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

    /** A page reader with an empty cache whose relocations serve lineage {@code of} only. */
    private PageReader newReader(long of) {
        PageReader r = new PageReader(client, new PageCache(options.cacheBytes), options.readAheadPages,
                (long) options.readAheadPages * 70_000, !EngineTestHooks.skipPageVerification);
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
        pollPositions.clear();
    }

    /**
     * Where syncs spool large LTX files before upload: {@code <buffer>.spool/} next to a buffer file, a directory of
     * this buffer's own (buffers may share their directory), so whoever holds the buffer lock owns its contents.
     */
    Path spoolDirectory() {
        if (options.spoolDirectory != null) {
            return options.spoolDirectory;
        }
        return bufferPath != null ? bufferPath.resolveSibling(bufferPath.getFileName() + ".spool")
                : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Spool files of older builds, written straight into the buffer directory, are removed after this age. */
    static final long LEGACY_SPOOL_AGE_MILLIS = 3_600_000;

    /**
     * Removes the spool files a killed process left behind (a sync interrupted mid-upload): every one in this
     * buffer's spool directory, since holding the buffer lock proves no live process owns them, and spool files
     * of older builds in the buffer directory once they are an hour old (those were named per process, not per
     * buffer). Once, at the first buffer open; best effort.
     */
    private void removeDeadSpoolFiles() {
        if (spoolSwept || bufferPath == null || options.spoolDirectory != null) {
            return;
        }
        spoolSwept = true;
        int removed = deleteSpoolFiles(spoolDirectory(), Long.MAX_VALUE)
                + deleteSpoolFiles(bufferPath.getParent(), options.clock.millis() - LEGACY_SPOOL_AGE_MILLIS);
        if (removed > 0) {
            Log.LOG.info("database \"{}\": removed {} spool file(s) left by an interrupted sync", name, removed);
        }
    }

    private static int deleteSpoolFiles(Path dir, long modifiedBeforeMillis) {
        int removed = 0;
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(dir, "ltx4j-sync-*.ltx.tmp")) {
            for (Path f : files) {
                try {
                    if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                            && Files.getLastModifiedTime(f).toMillis() < modifiedBeforeMillis && Files.deleteIfExists(f)) {
                        removed++;
                    }
                } catch (IOException e) {
                    // Best effort: a file we cannot remove now is tried again at the next open.
                }
            }
        } catch (IOException e) {
            // No such directory (nothing ever spilled), or unreadable: nothing to do.
        }
        return removed;
    }

    /**
     * The file SQLite's locks of this database's connections go through (write mode with a write buffer on the
     * file system): {@code <buffer>.sqlite-lock}, next to the buffer, so it is shared exactly by the connections
     * sharing the buffer. Not the buffer's own {@code .lock} file: closing any descriptor of a file drops all of
     * the process's POSIX locks on it. Created empty and owner-only if absent (SQLite would create it 0644).
     */
    public java.util.Optional<Path> sqliteLockFile() throws IOException {
        if (!writeMode || bufferPath == null) {
            return java.util.Optional.empty();
        }
        Path lock = bufferPath.resolveSibling(bufferPath.getFileName() + ".sqlite-lock");
        try {
            Files.createFile(lock, SecureFiles.ownerOnlyFile(lock));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            SecureFiles.checkExistingFile(lock); // another connection made it, or a planted one: never a link
        }
        return java.util.Optional.of(lock);
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
        return loadRemoteState().version();
    }

    private ReplicaIndex.OpenedState loadRemoteState() throws IOException {
        try {
            return index.openState(RestoreTarget.latest());
        } catch (RestorePlanException.TransactionNotAvailable e) {
            if (e.replicaEmpty() && writeMode) {
                return new ReplicaIndex.OpenedState(DatabaseVersion.EMPTY, null);
            }
            throw new DatabaseNotFoundException("cannot open database \"" + name + "\" in read mode: "
                    + (e.replicaEmpty() ? "replica " + dev.ltx4j.replica.ReplicaUrl.redact(options.replicaIdentity) + " holds no LTX files (nothing to read;"
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
            SecureFiles.privateDirectory(dir, true); // shared temp dir: owner-only, and refused if another user's
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
                .recovery(options.bufferRecovery)
                .build();
        try {
            if (bufferStorage != null) {
                buffer = WriteBuffer.open(bufferStorage, bufferName, o);
            } else if (options.bufferPath == null) {
                buffer = WriteBuffer.openDefault(options.replicaIdentity, name, o);
            } else {
                buffer = WriteBuffer.open(bufferPath, o);
            }
        } catch (dev.ltx4j.pagestore.BufferDamagedException e) {
            log().error("database \"{}\": {}", name, e.getMessage()); // hosts like sqlite3 may show only a code
            throw e;
        }
        reportRecovery(buffer);
    }

    /** Makes what opening the buffer dropped or found visible: the log at warn, and litestream_status(). */
    private void reportRecovery(WriteBuffer opened) {
        RecoveryReport r = opened.recovery();
        if (r.noteworthy()) {
            bufferRecovery = r.describe(opened.location());
            log().warn("database \"{}\": {}", name, bufferRecovery);
        }
        if (bufferPath != null && options.durability != Durability.NONE && !volatileWarned
                && BufferPaths.onVolatileStorage(bufferPath.getParent())) {
            volatileWarned = true;
            log().warn("database \"{}\": write buffer {} is on memory-backed storage (tmpfs): commits survive a"
                    + " process crash but not a reboot or power loss until synced; set LITESTREAM_BUFFER_PATH to a"
                    + " persistent directory", name, bufferPath);
        }
        removeDeadSpoolFiles();
    }

    private void reconcile(DatabaseVersion remote) throws IOException {
        WriteBuffer buf = buffer;
        if (remote.pageSize() != 0 && remote.pageSize() != buf.pageSize()) {
            throw new PageSizeException("write buffer " + buf.location() + " has page size " + buf.pageSize()
                    + " but replica " + dev.ltx4j.replica.ReplicaUrl.redact(options.replicaIdentity) + " has " + remote.pageSize());
        }
        while (true) {
            BufferBase base = buf.base();
            int held = buf.transactions().size();
            syncedSeq = buf.lastCommittedSeq() - held;
            if (base.txid() == remote.txid()) {
                baseVersion = remote;
                LocalGeneration gen = installFirstGeneration();
                publish(overlay(remote, buf, gen));
                return;
            }
            if (Long.compareUnsigned(remote.txid(), base.txid()) < 0 && baseIsReadable(base.txid())) {
                // The buffer recorded that the replica reached its base; a listing that ends earlier lags.
                throw new dev.ltx4j.replica.ReplicaTransientException("the replica listing of database \"" + name
                        + "\" ends at TXID " + Txid.format(remote.txid()) + " but the write buffer's base TXID "
                        + Txid.format(base.txid()) + " is readable: the listing lags behind; open again later");
            }
            if (held == 0) {
                buf.reset(new BufferBase(remote.txid(), remote.checksum(), remote.commit()));
                syncedSeq = buf.lastCommittedSeq();
                baseVersion = remote;
                installFirstGeneration();
                publish(withSeq(remote, buf.lastCommittedSeq()));
                return;
            }
            if (Long.compareUnsigned(remote.txid(), base.txid()) > 0 && sync.adoptOwnUpload(buf)) {
                continue;
            }
            if (Long.compareUnsigned(remote.txid(), base.txid()) > 0 && adoptOwnUploadPastLostTail(buf)) {
                continue;
            }
            baseVersion = remote;
            installFirstGeneration();
            publish(withSeq(remote, buf.lastCommittedSeq()));
            sync.enterConflict(base, remote.txid(), options.clock.instant());
            return;
        }
    }

    /**
     * With durability NONE a crash may drop the tail of the held commits, including commits an upload at base + 1
     * already carried: no held prefix re-encodes to it, yet it is this buffer's own file (our NodeID on our base).
     * Those commits were never acknowledged and the file holds a later state of the same history, so the buffer
     * restarts on it rather than report a conflict with itself. Runs at open only, where the held commits are
     * what survived the crash. Other durabilities keep every acknowledged commit, so a mismatch there stays a
     * conflict (which saves the local state).
     */
    private boolean adoptOwnUploadPastLostTail(WriteBuffer buf) throws IOException {
        if (options.durability != Durability.NONE) {
            return false;
        }
        dev.ltx4j.pagestore.LoadedFile own = sync.ownFileAtNext(buf);
        if (own == null) {
            return false;
        }
        dev.ltx4j.ltx.LtxHeader h = own.header();
        buf.reset(new BufferBase(h.maxTxid(), h.noChecksum() ? 0 : own.postApplyChecksum(), h.commitPages()));
        return true;
    }

    /** Whether L0 file {@code txid} can be read directly (a read is consistent where a listing may lag). */
    private boolean baseIsReadable(long txid) throws IOException {
        if (txid == 0) {
            return false;
        }
        try {
            client.readRange(0, txid, txid, 0, 1);
            return true;
        } catch (dev.ltx4j.replica.ReplicaNotFoundException e) {
            return false;
        }
    }

    /** The remote state with the buffer's recovered transactions on top (as locations in generation {@code gen}). */
    private static DatabaseVersion overlay(DatabaseVersion remote, WriteBuffer buf, LocalGeneration gen) {
        List<CommittedTransaction> txns = buf.transactions();
        if (txns.isEmpty()) {
            return withSeq(remote, buf.lastCommittedSeq());
        }
        CommittedTransaction last = txns.get(txns.size() - 1);
        PageMap.Builder b = remote.pages().edit();
        Latest latest = Latest.of(txns, last.seq());
        for (int i = 0; i < latest.size(); i++) {
            b.put(latest.pgno(i), new LocalPage(gen, latest.offset(i)), 0);
        }
        b.truncate(last.commitSize());
        return new DatabaseVersion(buf.pageSize(), last.commitSize(), remote.txid(), last.seq(), 0, b.build());
    }

    /** The record of each page's latest image among transactions up to a sequence number, honouring shrinks. */
    record Latest(long[] pgnos, long[] offsets) {
        static Latest of(List<CommittedTransaction> txns, long upToSeq) {
            java.util.TreeMap<Long, Long> at = new java.util.TreeMap<>();
            for (CommittedTransaction t : txns) {
                if (t.seq() > upToSeq) {
                    break;
                }
                for (PageLocation loc : t.pages()) {
                    at.put(loc.pgno(), loc.offset());
                }
                at.tailMap(t.commitSize(), false).clear();
            }
            long[] p = new long[at.size()];
            long[] o = new long[at.size()];
            int i = 0;
            for (Map.Entry<Long, Long> e : at.entrySet()) {
                p[i] = e.getKey();
                o[i++] = e.getValue();
            }
            return new Latest(p, o);
        }

        int size() {
            return pgnos.length;
        }

        long pgno(int i) {
            return pgnos[i];
        }

        long offset(int i) {
            return offsets[i];
        }
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

    // ------------------------------------------------------------------------------------------ generations

    /** A pinned version and the buffer generation reference that keeps its local pages readable. */
    static final class Pin {
        final DatabaseVersion version;
        final PageReader reader;
        final long lineage;
        private LocalGeneration gen;

        Pin(DatabaseVersion version, LocalGeneration gen, PageReader reader, long lineage) {
            this.version = version;
            this.gen = gen;
            this.reader = reader;
            this.lineage = lineage;
        }

        void release() {
            LocalGeneration g = gen;
            gen = null;
            if (g != null) {
                g.release();
            }
        }
    }

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

    private LocalGeneration openGeneration() throws IOException {
        return LocalGeneration.open(storage(), bufferName, buffer.pageSize(), ++generationCount);
    }

    /** Opens the first generation after the buffer was opened (no reader or writer runs yet). */
    private LocalGeneration installFirstGeneration() throws IOException {
        LocalGeneration g = openGeneration();
        synchronized (stateLock) {
            LocalGeneration old = currentGen;
            currentGen = g;
            writerGen = g;
            if (old != null) {
                old.release();
            }
        }
        return g;
    }

    /** A buffer operation that may rewrite the buffer file. */
    @FunctionalInterface
    interface Rewrite {
        void run() throws IOException;
    }

    /**
     * Runs a buffer rewrite (markSynced, reset) and moves the published version onto the new file generation:
     * {@code replacement} when given, else the current version with its local pages re-pointed at their records
     * in the new file. Pins of older versions keep their generation open. Callers hold {@code syncLock} (or run
     * before the database is shared).
     */
    void rewriteBuffer(Rewrite rewrite, DatabaseVersion replacement) throws IOException {
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
        moveToNewGeneration(buf, replacement);
    }

    /**
     * Records an own upload found on the replica (its outcome was lost or the buffer could not record it): marks
     * the buffered transactions up to {@code upToSeq} synced on the file's TXID and rebuilds the published
     * version as the file applied to the sync base with the remaining transactions on top. Callers hold
     * {@code syncLock}.
     */
    void adoptUpload(long upToSeq, dev.ltx4j.pagestore.LoadedFile file) throws IOException {
        WriteBuffer buf = buffer;
        long txid = file.header().maxTxid();
        long post = file.header().noChecksum() ? 0 : file.postApplyChecksum();
        DatabaseVersion oldBase = baseVersion;
        // A sync that installed this file but failed to rewrite the buffer already advanced the base.
        DatabaseVersion newBase = oldBase.txid() == txid ? oldBase : ReplicaIndex.apply(oldBase, file);
        writerGen = null;
        try {
            buf.markSynced(upToSeq, txid, post);
        } catch (IOException | RuntimeException e) {
            try {
                moveToNewGeneration(buf, null);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        LocalGeneration fresh = openGeneration();
        LocalGeneration old;
        synchronized (stateLock) {
            old = currentGen;
            baseVersion = newBase;
            current = overlay(newBase, buf, fresh);
            currentGen = fresh;
            writerGen = fresh;
        }
        if (old != null) {
            old.release();
        }
        syncedSeq = upToSeq;
    }

    private void moveToNewGeneration(WriteBuffer buf, DatabaseVersion replacement) throws IOException {
        LocalGeneration fresh = openGeneration();
        LocalGeneration old;
        synchronized (stateLock) {
            old = currentGen;
            if (replacement != null) {
                current = replacement;
            } else {
                current = repoint(current, buf.transactions(), old, fresh);
            }
            currentGen = fresh;
            writerGen = fresh;
        }
        if (old != null) {
            old.release();
        }
    }

    /** {@code v} with every local page of generation {@code from} pointed at its record in {@code to}. */
    private static DatabaseVersion repoint(DatabaseVersion v, List<CommittedTransaction> txns, LocalGeneration from,
            LocalGeneration to) {
        Latest latest = Latest.of(txns, v.localSeq());
        PageMap.Builder b = v.pages().edit();
        for (int i = 0; i < latest.size(); i++) {
            long p = latest.pgno(i);
            if (p <= v.commit() && v.pages().get(p) instanceof LocalPage lp && lp.generation() == from) {
                b.put(p, new LocalPage(to, latest.offset(i)), v.pages().checksum(p));
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
                    rebuilt = index.open(dev.ltx4j.replica.RestoreTarget.txid(v.txid()));
                } catch (dev.ltx4j.replica.RestorePlanException e) {
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
                Object now = rebuilt.pages().get(p);
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
                currentGen = openGeneration();
                writerGen = currentGen;
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
            SyncOutcome o = sync.syncLocked(now);
            events.record(name, o, sync.lastUploadBytes, Math.max(0, options.clock.millis() - started));
            return o;
        } finally {
            syncLock.unlock();
            logNewConflict();
        }
    }

    /**
     * Logs a conflict at warn the first time it is seen, when the sync (or the open) detects it: the application
     * may never look at the status, and SQLite only reports "database is locked" at the next commit.
     */
    private void logNewConflict() {
        ConflictInfo c = conflict;
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
            PollOutcome o = follower.poll(now);
            lastPollMillis = now.toEpochMilli();
            return o;
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
                follower.divergence = null;
                lastError = null;
                return;
            }
            if (conflict == null && pendingCommits() > 0) {
                sync.syncLocked(options.clock.instant()); // upload what can be; a conflict saves the rest
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
                } catch (dev.ltx4j.pagestore.WriteBufferException e) {
                    // A buffer stopped by an I/O failure (or closed by a reopen that failed) recovers by opening
                    // its file again; what recovery finds there is saved before refresh drops it.
                    WriteBuffer reopened = reopenFailedBuffer(buf, remote, e);
                    keepUnsaved(reopened);
                    reset = resetBuffer(reopened, fresh, remote);
                }
                remote = withSeq(remote, reset.lastCommittedSeq());
                syncedSeq = reset.lastCommittedSeq();
                savedThroughSeq = syncedSeq;
            }
            tracked = remote.txid() == 0 || remote.checksum() != 0;
            baseVersion = remote;
            publish(remote);
            sync.relistEverything();
            pollPositions.clear();
            reader.verifier().forgetFailures(); // a replaced corrupt file is verified again
            conflict = null;
            lastError = null;
            refreshes++;
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
        return refreshes;
    }

    /** Saves the held transactions no sync and no conflict save covers yet, before a refresh drops them. */
    private void keepUnsaved(WriteBuffer buf) throws IOException {
        try {
            sync.saveUnsaved(buf, options.clock.instant());
        } catch (dev.ltx4j.pagestore.WriteBufferException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new IOException("refresh of database \"" + name + "\" keeps its unsynced transactions in the"
                    + " write buffer: saving them under " + conflictDirectory + " failed: " + e.getMessage(), e);
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
        DatabaseStatus st = status();
        WriteBuffer b = buffer;
        long pendingBytes = b == null ? 0 : b.pageRecordsAfter(syncedSeq) * Math.max(0, st.pageSize());
        dev.ltx4j.pagestore.PageCache cache = reader.cache();
        SyncEvents e = events;
        return new EngineMetrics(e.syncs.get(), e.syncMillis.get(), e.syncedBytes.get(), e.syncedPages.get(),
                e.failures.get(), e.conflicts.get(), st.pendingCommits(), pendingBytes, st.lagMillis(),
                b == null ? 0 : b.logSize(), cache.hits(), cache.misses(), client.requestsByKindAndOutcome(),
                client.retries());
    }

    /** Status for {@code litestream_status()}. */
    public DatabaseStatus status() {
        long now = options.clock.millis();
        WriteBuffer b = buffer;
        DatabaseVersion v = current;
        String where = b != null ? b.location() : (writeMode ? (bufferPath != null ? bufferPath.toString()
                : bufferStorage.describe(bufferName)) : null);
        // A stopped buffer (disk full, I/O error) fails every write until refresh or reopen: it outranks the last
        // sync or poll error, which a later successful sync would clear although writes still fail.
        String bufferFailure = b != null ? b.failureMessage() : null;
        if (!writeMode) {
            FollowerStatus f = follower.status(now);
            long asOf = f.currentAsOfMillis();
            return new DatabaseStatus("read", v.txid(), 0, lastSyncMillis, asOf < 0 ? -1 : Math.max(0, now - asOf),
                    null, null, v.pageSize(), v.commit(), lastError, null, f, reader.verifier().stats());
        }
        // Write-mode lag: how long the oldest commit not yet in the replica has waited; 0 when all is synced, so
        // an idle database does not look like it is falling behind.
        long oldest = b == null ? -1 : b.oldestCommitMillisAfter(syncedSeq);
        return new DatabaseStatus("write", v.txid(), pendingCommits(), lastSyncMillis,
                oldest < 0 ? 0 : Math.max(0, now - oldest), conflict, where, v.pageSize(), v.commit(),
                bufferFailure != null ? bufferFailure : lastError, bufferRecovery, null, reader.verifier().stats());
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
