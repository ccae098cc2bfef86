package dev.ltx4j.vfs.engine;

import dev.ltx4j.pagestore.DirectMemoryException;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.syncer.ConflictAfterCommitException;
import dev.ltx4j.syncer.ConflictException;
import dev.ltx4j.syncer.ConflictInfo;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.syncer.ReadOnlyDatabaseException;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.syncer.WriteSession;
import dev.ltx4j.vfs.ReplicaConflictException;
import dev.ltx4j.vfs.VfsDatabase;
import dev.ltx4j.vfs.internal.NativeBridge;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;

/**
 * One SQLite connection's view of a shared engine {@link Database}.
 *
 * <p>Reads inside SQLite's SHARED lock come from a {@link ReadTransaction} pinned at {@link #beginRead()}, so a
 * read transaction sees one version however syncs, polls and other connections move the database. Inside a
 * write lock they come from the engine's single {@link WriteSession}, which sees its own writes. Reads with no
 * lock (SQLite reads the header at open) see the latest version.
 *
 * <p>A conflicted database cannot start a write session. Failing the lock would make SQLite's busy handler retry
 * until its timeout, so the connection instead writes into a private overlay that is never committed:
 * {@link #beforeCommit()} refuses it with {@link ReplicaConflictException} and SQLite rolls back at once. A
 * transaction whose session a conflict overtakes continues the same way (its session still serves the reads under
 * the overlay): SQLite cannot roll back cleanly from a failed page write, and kept the refused pages in its cache.
 *
 * <p>A page 1 stored in WAL format (every Litestream daemon replica) is shown to SQLite in rollback-journal format
 * ({@link PageOneView}); only reads change, writes are stored as SQLite writes them, and the engine (checksums
 * included) only ever sees stored bytes.
 */
public final class EngineVfsDatabase implements VfsDatabase {
    private final DatabaseRegistry.Handle handle;
    private final Database db;
    /** False only under the engine's {@code storedPageOne} fault point (the simulator's {@code wal-page-one}). */
    private final boolean pageOneView;
    /** The engine's {@code failConflictedWrites} fault point (the simulator's {@code conflicted-write-fails}). */
    private final boolean failConflictedWrites;
    /** False only under the engine's {@code writeOnStaleSnapshot} fault point (the simulator's {@code stale-snapshot-write}). */
    private final boolean staleSnapshotCheck;
    /** False only under the engine's {@code staleWriteWhileConflicted} fault point (the simulator's switch of that name). */
    private final boolean staleCheckWhileConflicted;
    private final Clock clock;
    /** PRAGMA litestream_time: this connection's view of the past (docs/time-travel.md). */
    private final ConnectionTimeTravel timeTravel;
    /** The pragmas, SQL functions and status this connection asks of the engine. */
    private final EngineCommands commands;
    /** Set when this connection must not write (see {@link JoinedSettings#readOnlyReason}); null: it may. */
    private volatile String readOnlyReason;
    /** This connection's read transaction (SQLite's SHARED lock). */
    private final PinnedRead reads;
    private WriteSession session;
    private boolean writeLocked;
    /** The transaction a replica conflict refused, and its writes (see the class comment). */
    private final DoomedWrites doomed = new DoomedWrites();
    private byte[] scratch = new byte[65536];
    /** Makes SQLite drop its cache of replaced content (a new lineage or a refresh). */
    private final ReplacedContentNotice notice;

    /**
     * One connection's view of an engine database. Takes ownership of {@code handle}: {@link #close()} releases
     * it. Public so embedders (the simulator) can serve a {@link dev.ltx4j.syncer.Database} they built themselves.
     */
    public EngineVfsDatabase(DatabaseRegistry.Handle handle, Clock clock) {
        this.handle = handle;
        this.db = handle.database();
        this.pageOneView = !db.faults().storedPageOne();
        this.failConflictedWrites = db.faults().failConflictedWrites();
        this.staleSnapshotCheck = !db.faults().writeOnStaleSnapshot();
        this.staleCheckWhileConflicted = !db.faults().staleWriteWhileConflicted();
        this.shown = new ShownProbe(db.faults().unalteredChangeCounter());
        this.clock = clock;
        this.timeTravel = new ConnectionTimeTravel(db, clock);
        this.reads = new PinnedRead(db, timeTravel);
        this.commands = new EngineCommands(db, clock, timeTravel);
        // What this connection's SQLite will cache (by reading or by its own writes) is of the content current now.
        this.notice = new ReplacedContentNotice(db.lineage(), db.refreshCount());
    }

    /** The engine's exceptions as the bridge understands them; the bridge itself knows no engine type. */
    @Override
    public Failure classify(Throwable failure) {
        return EngineCommands.classify(failure);
    }

    @Override
    public Exception outOfMemory(OutOfMemoryError e) {
        return DirectMemoryException.from(e); // other OutOfMemoryErrors are rethrown
    }

    /** The shared engine database behind this view. */
    public Database database() {
        return db;
    }

    /** The clock of status times. */
    public Clock clock() {
        return clock;
    }

    private byte[] scratch(int n) {
        if (scratch.length < n) scratch = new byte[n];
        return scratch;
    }

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        ReadTransaction pin = reads.tx();
        int len = dst.remaining();
        notice.reading();
        shown.reading();
        boolean header = pageOneView && PageOneView.touches(offset, len);
        // A header read without the format bytes (SQLite's 16 bytes at 24) is widened to hold them: still one read.
        long from = header ? Math.min(offset, PageOneView.FORMAT) : offset;
        int want = header ? (int) (Math.max(offset + len, PageOneView.FORMAT + 2) - from) : len;
        byte[] b = scratch(want);
        int n;
        DatabaseVersion version = null;
        long lineage = -1; // set where replaced content must be made visible to SQLite (pinned reads)
        long refreshes = 0;
        DatabaseVersion pinned = null; // set where SQLite's idea of page 1's bytes 24..39 is tracked (shown)
        if (session != null) {
            n = session.read(from, b, 0, want);
            if (doomed.active()) n = doomed.apply(from, b, want, n);
            if (header) version = pin != null ? pin.version() : db.current();
        } else if (pin != null && !doomed.active() && headerCopy.holds(pin.version(), from, want)
                && pin.lineage() == db.lineage()) { // (a replaced replica fails the read through pin.read below)
            n = headerCopy.copy(from, b, want, pin.sizeBytes()); // SQLite's probe of an unchanged version: no engine read
            lineage = pin.lineage();
            pinned = pin.version();
            refreshes = reads.refreshes();
            if (header) version = pin.version();
        } else if (pin != null) {
            n = pin.read(from, b, 0, want);
            if (doomed.active()) n = doomed.apply(from, b, want, n);
            else {
                lineage = pin.lineage();
                pinned = pin.version();
            }
            if (!doomed.active() && from == 0) headerCopy.keep(pin.version(), b, n); // stored bytes, before the view
            refreshes = reads.refreshes();
            if (header) version = pin.version();
        } else {
            refreshes = db.refreshCount();
            try (ReadTransaction t = db.beginRead()) {
                n = t.read(from, b, 0, want);
                version = t.version();
                lineage = t.lineage();
            }
        }
        if (header && PageOneView.holdsFormat(from, n)) {
            int i = (int) (PageOneView.FORMAT - from);
            PageOneView.present(from, b, n, PageOneView.isWal(b[i], b[i + 1]), version);
        }
        int skip = (int) (offset - from);
        int got = Math.max(0, Math.min(n - skip, len));
        if (lineage >= 0) notice.apply(offset, b, skip, got, lineage, refreshes); // on the bytes SQLite sees
        if (pinned != null && offset == ShownProbe.OFFSET && got == ShownProbe.SIZE) shown.probe(pinned, b, skip);
        else if (pinned != null && offset == 0 && got >= ShownProbe.OFFSET + ShownProbe.SIZE) {
            shown.seen(pinned, b, skip + ShownProbe.OFFSET);
        }
        dst.put(b, skip, got);
        return got;
    }

    /** This connection's copy of page 1's header, for SQLite's per-transaction probes of an unchanged version. */
    private final PageOneHeader headerCopy = new PageOneHeader();
    /** Page 1's bytes 24..39 as this connection's SQLite holds them, and the state of its cache. */
    private final ShownProbe shown;

    /**
     * A whole page of this connection's pinned read transaction without copying it here (the VFS copies the array
     * straight into SQLite's buffer). Page 1 and everything inside a write transaction go through {@link #read}:
     * the WAL-format view and the replaced-content notice change page 1's bytes, and a session sees its own writes.
     */
    @Override
    public byte[] readPage(long offset, int length) throws IOException {
        ReadTransaction pin = reads.tx();
        if (offset == 0 || session != null || pin == null || doomed.active()) return null;
        return pin.readPage(offset, length);
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        int len = src.remaining();
        if (writeLocked && session == null && !doomed.active()) startSession();
        if (doomed.active()) {
            byte[] copy = new byte[len];
            src.get(copy);
            doomed.put(offset, copy);
            return;
        }
        if (session == null) throw new IOException("write outside a write transaction at offset " + offset);
        byte[] b = scratch(len);
        src.get(b, 0, len);
        try {
            session.write(offset, b, 0, len);
            if (offset == 0) shown.wrote(b, len);
        } catch (ConflictException e) {
            // A conflict arrived inside this transaction. Failing the write (often SQLite's commit writing its
            // pages) makes SQLite's rollback fail too, leaving its cache holding the refused transaction and
            // the next commit on this connection acknowledged without reaching the engine. Instead the rest of
            // the transaction goes to the overlay (on top of the session's reads) and beforeCommit() refuses it.
            if (failConflictedWrites) throw conflict(e); // fault point, off
            doomed.doom(e.getMessage());
            doomed.put(offset, Arrays.copyOf(b, len));
        }
    }

    @Override
    public void truncate(long size) throws IOException {
        if (writeLocked && session == null && !doomed.active()) startSession();
        if (doomed.active()) return;
        if (session == null) throw new IOException("truncate outside a write transaction to " + size + " bytes");
        try {
            session.truncate(size);
        } catch (ConflictException e) {
            doomed.doom(e.getMessage()); // like a write: refused at beforeCommit(), not here
        }
    }

    @Override
    public long size() {
        if (session != null) return session.sizeBytes();
        if (reads.tx() != null) return reads.tx().sizeBytes();
        return db.current().sizeBytes();
    }

    /** Durability is the engine's: a commit is made durable by {@link WriteSession#commit()} itself. */
    @Override
    public void sync(boolean full) {
    }

    @Override
    public void beginRead() throws IOException {
        reads.begin();
    }

    @Override
    public void endRead() {
        reads.end();
    }

    /** Makes this connection read-only (a read-mode open that joined the writer), {@code reason} its error text. */
    void readOnly(String reason) {
        readOnlyReason = reason;
    }

    @Override
    public void beginWrite() throws IOException {
        if (readOnlyReason != null) throw new ReadOnlyDatabaseException(readOnlyReason);
        timeTravel.checkWritable(reads.tx() != null); // SQLITE_READONLY while litestream_time is set
        writeLocked = true;
        startSession();
        // Also when a conflict refused the session (doomed): a transaction that writes nothing would otherwise commit
        // on the stale snapshot, e.g. an UPDATE that found no row another connection has committed since (simulator
        // sql-readers seeds 642, 748). A refresh since the pin is refused at commit instead (startSession).
        boolean conflicted = doomed.active() && reads.refreshes() == db.refreshCount() && staleCheckWhileConflicted;
        if ((session != null || conflicted) && reads.tx() != null && staleSnapshotCheck
                && reads.tx().version().localSeq() != db.current().localSeq()) {
            // Readers hold no SHARED lock on the lock file (snapshotReads), so another connection may have committed
            // since this read transaction pinned its version: writing on top of what SQLite read here would lose
            // that commit. Refused like a stale WAL snapshot (SQLITE_BUSY_SNAPSHOT); an autocommit statement or
            // BEGIN IMMEDIATE is retried by SQLite on a fresh snapshot, an explicit transaction must retry itself.
            WriteSession s = session;
            session = null;
            writeLocked = false;
            doomed.clear();
            if (s != null) s.rollback();
            throw new StaleSnapshotException();
        }
    }

    private void startSession() throws IOException {
        try {
            session = db.beginWrite();
            doomed.lift();
        } catch (ConflictException e) {
            session = null;
            doomed.doom(e.getMessage());
            return;
        }
        if (reads.tx() != null && reads.refreshes() != db.refreshCount()) {
            // A refresh replaced the content while SQLite read the old one under its shared lock (refresh takes no
            // SQLite lock): writing on what it read would mix the two. Refuse like a stale WAL snapshot.
            WriteSession s = session;
            session = null;
            s.rollback();
            doomed.doom("the database was refreshed (PRAGMA litestream_refresh) while this transaction read it;"
                    + " retry the transaction");
        }
    }

    @Override
    public void beforeCommit() throws IOException {
        if (doomed.active()) throw new ReplicaConflictException(doomed.reason());
        ConflictInfo c = session != null ? db.conflict() : null; // per commit: no status report
        if (c != null) throw new ReplicaConflictException(c.message());
    }

    @Override
    public void beforeCommitAcrossDatabases() throws IOException {
        // The buffer's space reserve, which commit() would apply (docs/attached-databases.md).
        if (session != null) session.checkCommit();
    }

    @Override
    public void commit() throws IOException {
        if (doomed.active()) {
            String reason = doomed.reason(); // before clear(), which forgets it
            doomed.clear();
            throw new ReplicaConflictException("transaction not committed: " + reason);
        }
        WriteSession s = session;
        session = null;
        if (s == null) return;
        boolean committed = false;
        try {
            s.commit();
            committed = true;
        } catch (ConflictAfterCommitException e) {
            throw e; // committed locally: its own code (EngineCommands.classify), never "not committed"
        } catch (ConflictException e) {
            throw conflict(e);
        } finally {
            reads.repinAfterEnd();
            // The re-pin is the state this commit made (the write lock is still held): SQLite's cache is of it.
            if (committed) shown.committed(reads.tx() != null ? reads.tx().version() : null);
            else shown.unknown();
        }
    }

    @Override
    public void rollback() throws IOException {
        doomed.clear();
        shown.rolledBack();
        WriteSession s = session;
        session = null;
        try {
            if (s != null) s.rollback();
        } finally {
            reads.repinAfterEnd();
        }
    }

    @Override
    public void endWrite() throws IOException {
        writeLocked = false;
        shown.rolledBack(); // after a commit, nothing is left to forget
        doomed.clear();
        WriteSession s = session;
        session = null;
        if (s != null) s.rollback();
    }

    private static ReplicaConflictException conflict(ConflictException e) {
        ReplicaConflictException c = new ReplicaConflictException(e.getMessage());
        c.initCause(e);
        return c;
    }

    @Override
    public String pragma(String name, String value) throws IOException {
        return commands.pragma(name, value, reads.tx() != null, session != null, session != null || writeLocked);
    }

    @Override
    public String txid() {
        return commands.txid(reads.tx());
    }

    @Override
    public String time() {
        return commands.time(reads.tx());
    }

    @Override
    public long lag() {
        return commands.lag();
    }

    @Override
    public String syncNow() throws IOException {
        return commands.syncNow();
    }

    @Override
    public String statusJson() {
        return commands.statusJson();
    }

    /**
     * True: {@link WriteSession#commit()} makes a transaction visible and durable in one step (fsynced per commit
     * under durability local), and recovery of the write buffer drops a transaction that never committed, so
     * SQLite's journal has nothing to restore after a crash.
     */
    @Override
    public boolean atomicCommits() {
        return true;
    }

    /**
     * True: every read transaction pins a version ({@link #beginRead()}) and {@link #beginWrite()} refuses a
     * transaction whose pin is no longer the latest, so readers need no SHARED lock on the lock file and never block
     * a writer's commit (docs/concurrent-readers.md).
     */
    @Override
    public boolean snapshotReads() {
        return true;
    }

    /**
     * The shared engine database: the VFS keeps one version stamp per database, bumped by
     * {@link Database#onVersionChange} listeners, and lets a connection keep its pinned version across SQLite's read
     * transactions while the stamp has not moved (docs/concurrent-readers.md).
     */
    @Override
    public Object versionKey() {
        return db;
    }

    @Override
    public void onPagesChanging(PageChanges listener) {
        if (db.faults().staleVersionStamp()) return; // fault point: the VFS hears of no change at all
        db.onPagesChanging(new Database.PageChangeListener() {
            @Override
            public void changing(long[] pages) {
                listener.changing(pages);
            }

            @Override
            public void closed() {
                listener.closed();
            }
        });
    }

    @Override
    public void onVersionChange(Runnable changed) {
        if (!db.faults().staleVersionStamp()) db.onVersionChange(changed); // fault point: the stamp never moves
    }

    /** True unless this read transaction reads the past (time travel re-resolves at every transaction). */
    @Override
    public boolean snapshotReusable() {
        return reads.latest() && reads.tx() != null && session == null && !doomed.active();
    }

    @Override
    public boolean lastReadRepeatable() {
        return notice.lastReadRepeatable() && !shown.lastAltered();
    }

    /**
     * A probe of the re-pinned state shows stored bytes unless it is the first since replaced content (notice) or
     * it must be altered because SQLite holds the same bytes for another state (shown). C may then answer the probe
     * and page 1 itself, so SQLite is taken to hold this state's bytes from now on.
     */
    @Override
    public boolean committedHeaderShown() {
        ReadTransaction pin = reads.tx();
        if (pin == null || session != null || doomed.active() || !notice.current(pin.lineage(), reads.refreshes())) {
            return false;
        }
        if (ShownProbe.same(pin.version(), shown.state())) return true;
        byte[] h = new byte[ShownProbe.OFFSET + ShownProbe.SIZE];
        try {
            if (pin.read(0, h, 0, h.length) < h.length) return false; // an empty or short file: Java answers
        } catch (IOException e) {
            return false; // Java answers the probe, and reports the failure there
        }
        if (pageOneView) {
            PageOneView.present(0, h, h.length, PageOneView.isWal(h[PageOneView.FORMAT], h[PageOneView.FORMAT + 1]),
                    pin.version());
        }
        if (shown.mustAlter(pin.version(), h, ShownProbe.OFFSET)) return false;
        shown.seen(pin.version(), h, ShownProbe.OFFSET);
        return true;
    }

    @Override
    public int nativeFaults() {
        return (db.faults().keepOwnCommitBlindly() ? NativeBridge.FAULT_KEEP_OWN_COMMIT_BLINDLY : 0)
                | (db.faults().stalePageView() ? NativeBridge.FAULT_NO_COMMIT_PAGES : 0);
    }

    /**
     * Read mode: no file locks. A read-mode connection never reads a local database file (each read transaction
     * pins an engine version), so a lock would protect nothing and would only let a follower's long read
     * transaction block a writer that happens to use the same path. Write mode: the lock file sits next to the
     * write buffer, so the connections sharing one buffer, i.e. one writer's state per replica and database,
     * share the locks whatever their working directory (another process cannot own the buffer at the same time).
     * A buffer not on the file system (the simulator) keeps SQLite's default {@code <database>-lock}.
     */
    @Override
    public String lockPath() throws IOException {
        if (!db.isWriteMode()) return "";
        return db.sqliteLockFile().map(Path::toString).orElse(null);
    }

    @Override
    public String currentProblem() {
        return commands.currentProblem();
    }

    @Override
    public String conflict() {
        ConflictInfo c = db.conflict();
        return c == null ? null : c.message();
    }

    @Override
    public int deviceCharacteristics() {
        return 0x1000; // SQLITE_IOCAP_POWERSAFE_OVERWRITE: the engine stores whole pages
    }

    /** Process exit without a close: push what is committed, within the exit's bound, and name what stays. */
    @Override
    public void onHostExit() {
        onHostExit(new Object());
    }

    @Override
    public void onHostExit(Object exit) {
        ExitWait.flush(db, clock, NativeBridge.scriptHost(), exit);
    }

    @Override
    public void close() throws IOException {
        reads.release();
        doomed.clear();
        WriteSession s = session;
        session = null;
        try {
            if (s != null) s.rollback();
        } finally {
            // A script host closes its connections as it exits: its wait for the final sync is bounded (ExitWait)
            if (NativeBridge.scriptHost()) ExitWait.close(handle, db);
            else handle.close();
        }
    }
}
