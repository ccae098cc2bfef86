package dev.ltx4j.vfs;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One SQLite connection's handle on a database served by the litestream VFS: the Java side of the main
 * database file.
 *
 * <h2>Threading</h2>
 * A handle belongs to one connection. SQLite never calls it concurrently, but successive calls may come from
 * different threads (connection pools, python threads), so keep no thread-local state. State shared with other
 * handles of the same database must be thread-safe.
 *
 * <h2>Errors</h2>
 * Any exception is caught at the JNI boundary and reported to SQLite; no exception ever reaches native code.
 * A {@link ReplicaConflictException} becomes {@code SQLITE_BUSY_SNAPSHOT}; so does whatever
 * {@link #classify(Throwable)} calls a {@link Failure#CONFLICT} ({@link Failure#READ_ONLY}: {@code SQLITE_READONLY},
 * {@link Failure#CORRUPT}: {@code SQLITE_CORRUPT}); anything else becomes the operation's own code: {@code SQLITE_IOERR_READ}, {@code _WRITE}, {@code _TRUNCATE}, {@code _FSYNC},
 * {@code _FSTAT}, {@code _LOCK} ({@link #beginWrite()}), {@code _CLOSE}, or {@code SQLITE_IOERR} for the
 * transaction callbacks. The last error message of the connection is readable with
 * {@code PRAGMA litestream_last_error}.
 *
 * <h2>Transaction boundaries</h2>
 * Rollback-journal mode only (WAL is refused by the VFS). For each write transaction SQLite produces:
 * <pre>
 *   beginWrite()                      write lock taken (RESERVED)
 *   write()/truncate()*               pages (also earlier, when SQLite's cache spills)
 *   beforeCommit()                    all pages written; last chance to refuse the commit
 *   sync()                            unless PRAGMA synchronous=OFF
 *   commit()                          the transaction is committed
 *   endWrite()                        write lock released
 * </pre>
 * {@link #beforeCommit()}, {@link #commit()} and {@link #rollback()} are only called for transactions that wrote
 * at least one page or truncated the file: N autocommit INSERTs give N {@code commit()} calls, an explicit
 * transaction gives one. Under {@code PRAGMA locking_mode=EXCLUSIVE} the write lock is kept, so {@code beginWrite()}
 * and {@code endWrite()} come once around many transactions, while {@code commit()} still comes once per
 * transaction.
 */
public interface VfsDatabase extends AutoCloseable {

    /**
     * Reads bytes at {@code offset} into {@code dst}, from its position up to its limit.
     *
     * <p>{@code dst} is a direct buffer owned by the VFS, positioned at 0 with the limit set to the requested
     * length; it is valid only during this call. Reading fewer bytes than requested means end of file: the VFS
     * zero-fills the rest and reports {@code SQLITE_IOERR_SHORT_READ}, as SQLite requires.
     *
     * @return the number of bytes read, 0 at or past the end
     */
    int read(ByteBuffer dst, long offset) throws IOException;

    /**
     * Optional fast path of {@link #read}: the {@code length} bytes at {@code offset} as an array holding exactly
     * them from index 0, which the VFS copies straight into SQLite's buffer (one copy, no scratch buffer). The array
     * may be shared (e.g. a cache's page): the VFS never writes into it and is done with it when the call after
     * this one begins. Return null to have the bytes read through {@link #read} instead (the default).
     */
    default byte[] readPage(long offset, int length) throws IOException {
        return null;
    }

    /**
     * Whether SQLite's reader locks (SHARED) are unnecessary for this database: every read transaction
     * ({@link #beginRead()} .. {@link #endRead()}) already sees one fixed version however other connections
     * commit, and a write transaction refuses to start ({@link #beginWrite()} throwing
     * {@link ReplicaConflictException}) when its read transaction's version is no longer the latest. The VFS then
     * keeps a connection's SHARED lock inside the process instead of the lock file, so readers never block a
     * writer's commit and a commit never makes a reader wait. Asked once at open. See docs/concurrent-readers.md.
     */
    default boolean snapshotReads() {
        return false;
    }

    /**
     * For {@link #snapshotReads()} databases: an object shared by every connection of the same underlying database
     * (the VFS keeps one version stamp per key), or null (the default) when the database cannot announce changes.
     * With a key, a read transaction that found nothing changed since this connection's last one
     * ({@link #onVersionChange}) keeps that transaction's snapshot: no {@link #endRead()} / {@link #beginRead()} pair,
     * and SQLite's size and change-counter probe are answered from what they were (docs/concurrent-readers.md).
     * With a key, SQLite's locks are kept in this process (per key), not in a lock file: a database with a key must
     * have a single owner process ({@link #lockPath()} is then not used; docs/group-commit.md, "Locks in the process").
     */
    default Object versionKey() {
        return null;
    }

    /**
     * Registers {@code changed}, run synchronously after every change of what a new {@link #beginRead()} would see
     * (a commit of any connection, a sync, a poll, a refresh, a reload), before the change is acknowledged. Called
     * once per {@link #versionKey()}.
     */
    default void onVersionChange(Runnable changed) {
    }

    /** Hears of each change before it is published, with the pages it changes (see {@link #onPagesChanging}). */
    interface PageChanges {
        /** A change of {@code pages} (null: of any page) is about to be published; quick, no call back. */
        void changing(long[] pages);

        /** The underlying database closed. */
        void closed();
    }

    /**
     * Registers {@code listener}, run synchronously before every change {@link #onVersionChange} hears of is
     * published, naming the pages whose contents change (null when unknown), so the VFS may serve whole pages of an
     * unchanged snapshot from native memory (docs/concurrent-readers.md, "Native page view"). Called once per
     * {@link #versionKey()}, before {@link #onVersionChange}. The default never calls it: no page view.
     */
    default void onPagesChanging(PageChanges listener) {
    }

    /**
     * Whether the read transaction {@link #beginRead()} just began may be kept across SQLite's transactions while
     * nothing changes (false e.g. while the connection reads the past). Asked after each {@link #beginRead()}.
     */
    default boolean snapshotReusable() {
        return false;
    }

    /**
     * Whether the bytes the last {@link #read} returned are what this snapshot always returns there (false when they
     * were altered once, e.g. to make SQLite drop a cache of replaced content). Asked after SQLite's change-counter
     * probe, before the VFS keeps its answer for the snapshot's later transactions.
     */
    default boolean lastReadRepeatable() {
        return false;
    }

    /**
     * Asked right after a pin (the start of a read transaction, or the re-pin after this connection's own commit; with
     * {@link #snapshotReusable()}): whether a read of page 1 in that read transaction would return its stored bytes
     * (after a commit: the bytes the committed transaction wrote there), unaltered. The VFS then answers SQLite's
     * change-counter probe of a state a commit made, and its read of page 1, from the committed bytes itself.
     */
    default boolean committedHeaderShown() {
        return false;
    }

    /**
     * Test faults the native VFS re-introduces for the simulator's bug switches (bits of {@code NativeBridge}); 0,
     * the default, in every real use. Read once per database, when its version stamp is created.
     */
    default int nativeFaults() {
        return 0;
    }

    /**
     * Writes all bytes of {@code src} (position to limit) at {@code offset}, extending the database as needed.
     * {@code src} is valid only during the call. A partial write must throw.
     */
    void write(ByteBuffer src, long offset) throws IOException;

    /** Shrinks (or, rarely, extends) the database to exactly {@code size} bytes. */
    void truncate(long size) throws IOException;

    /** The current size of the database in bytes, as seen by this connection. */
    long size() throws IOException;

    /**
     * Makes the writes so far durable locally (SQLite's {@code xSync} on the database file).
     *
     * @param full true for {@code SQLITE_SYNC_FULL} (synchronous=FULL/EXTRA), false for NORMAL
     */
    void sync(boolean full) throws IOException;

    /**
     * A read transaction starts: SQLite took its SHARED lock (from no lock). Until {@link #endRead()}, reads and
     * {@link #size()} must see one consistent version of the database, whatever other connections, syncs and
     * polls publish meanwhile. A write transaction ({@link #beginWrite()}) always happens inside a read
     * transaction.
     */
    default void beginRead() throws IOException {
    }

    /** The read transaction ended: SQLite released its last lock. The pinned version may be dropped. */
    default void endRead() throws IOException {
    }

    /**
     * This connection took the write lock; the other connections and processes using the litestream VFS on the
     * same path are now locked out of writing. Throw {@link ReplicaConflictException} to refuse writing (the
     * lock is given back).
     */
    default void beginWrite() throws IOException {
    }

    /**
     * All pages of the current transaction have been written and SQLite is about to make the commit durable.
     * Throw {@link ReplicaConflictException} (or another exception) to refuse it: SQLite then rolls the
     * transaction back from its journal (the undo writes arrive through {@link #write}), calls
     * {@link #rollback()}, and the statement fails. Also called when SQLite makes a journal rollback durable.
     */
    default void beforeCommit() throws IOException {
    }

    /**
     * Called after {@link #beforeCommit()} when the transaction spans several databases (ATTACH; SQLite's
     * super-journal). SQLite ignores a failure of {@link #commit()} there and reports the whole transaction
     * committed, so what can refuse the commit should refuse it here, where every database still rolls back
     * (docs/attached-databases.md).
     */
    default void beforeCommitAcrossDatabases() throws IOException {
    }

    /**
     * The transaction that wrote since the last {@code commit()}/{@code rollback()} is committed locally. An
     * exception here fails the COMMIT statement although the transaction stays committed; report conflicts in
     * {@link #beforeCommit()} instead.
     */
    void commit() throws IOException;

    /**
     * The transaction that wrote since the last {@code commit()}/{@code rollback()} ended without committing;
     * SQLite has already written the original pages back. Under {@code locking_mode=EXCLUSIVE} a rollback is
     * reported only when the lock is finally released (connection close), because SQLite signals nothing else.
     */
    void rollback() throws IOException;

    /** The write lock was released. */
    default void endWrite() throws IOException {
    }

    /**
     * Handles {@code PRAGMA litestream_<x>} and {@code PRAGMA litestream_<x> = value} (names are passed lower
     * case as written, value unquoted, or null when the PRAGMA has no value). The VFS answers
     * {@code litestream_txid}, {@code _time}, {@code _lag}, {@code _status} and {@code _last_error} itself from
     * {@link #txid()}, {@link #time()}, {@link #lag()}, {@link #statusJson()}; everything else comes here.
     *
     * @return the single result value, or null for no result row
     * @throws IllegalArgumentException for an unknown pragma or a bad value; the message becomes the SQL error
     */
    default String pragma(String name, String value) throws IOException {
        throw new IllegalArgumentException("unknown pragma " + name);
    }

    /** {@code litestream_txid()}: the TXID this connection's snapshot is at, 16 lower-case hex digits. */
    String txid();

    /** {@code litestream_time()}: the time of that TXID (RFC 3339), or {@code "latest"} when unknown. */
    String time();

    /**
     * {@code litestream_lag()} in whole seconds: read mode, since the follower was last known to be current (-1 if
     * never); write mode, how long the oldest commit not yet in the replica has waited (0 when all is synced).
     */
    long lag();

    /**
     * {@code litestream_sync()}: pushes committed local changes to the replica now and waits.
     *
     * @return the TXID now on the replica, 16 lower-case hex digits
     */
    String syncNow() throws IOException;

    /** {@code litestream_status()}: a JSON object describing this database; it has at least {@code "mode"}. */
    String statusJson();

    /** Sector size reported to SQLite; asked once at open. */
    default int sectorSize() {
        return 4096;
    }

    /** SQLite {@code SQLITE_IOCAP_*} bits reported to SQLite; asked once at open. */
    default int deviceCharacteristics() {
        return 0;
    }

    /**
     * Whether {@link #commit()} alone makes each transaction atomic (and as durable as this database promises),
     * so that after a crash at any point the database shows exactly its last committed transaction and never
     * pages of a later, unfinished one. Asked once at open.
     *
     * <p>When true, SQLite's rollback journal is needed only inside the process (ROLLBACK, savepoints, a refused
     * commit). The VFS then unlinks the journal as soon as it is created, never fsyncs it, never treats a
     * leftover {@code <db>-journal} as hot, and skips {@link #sync(boolean)}. Returning true for a database
     * that can be left half-written (like a plain file) would let a crash corrupt it.
     */
    default boolean atomicCommits() {
        return false;
    }

    /**
     * Which file carries SQLite's locks for this database, asked once at open: {@code null} for
     * {@code <database>-lock} next to the database (every process opening that path shares the locks), an empty
     * string for no file locks at all (the database keeps its connections consistent itself, e.g. pinned
     * read-only versions), or the path of the lock file to use.
     */
    default String lockPath() throws IOException {
        return null;
    }

    /**
     * The database's own current problem, if any, for {@code PRAGMA litestream_last_error} when the connection
     * has no failure of its own to report: e.g. a replica conflict a background sync detected. Null if none.
     */
    default String currentProblem() {
        return null;
    }

    /**
     * The replica conflict the database is in (a rival writer advanced the replica; sticky until a refresh), as a
     * message saying what happened and what to do; null when it is in none (the default). Asked when a call of this
     * handle failed as {@link Failure#CONFLICT}: a sqlite3/python host, where SQLite reports the refusal only as
     * "database is locked", gets this message once per conflict on stderr. A refusal while the database is in no
     * conflict (a stale snapshot between connections of one process, which SQLite retries) is not named there.
     */
    default String conflict() {
        return null;
    }

    /**
     * The host process (sqlite3 CLI, python) is exiting while this handle is still open. There, the JVM is
     * never shut down and Java shutdown hooks do not run, so this is the last chance to flush. Must not block
     * for long and must not call {@code System.exit}. In a JVM host it is called from a shutdown hook.
     */
    default void onHostExit() {
    }

    /**
     * {@link #onHostExit()} for one exit: {@code exit} is the same object for every handle that exit flushes, so
     * they can share one deadline and flush a database once; a later exit passes another.
     */
    default void onHostExit(Object exit) {
        onHostExit();
    }

    /** What a failure means to SQLite beyond "this operation's I/O failed" (see {@link #classify(Throwable)}). */
    enum Failure {
        /** A rival writer changed the replica: {@code SQLITE_BUSY_SNAPSHOT}. */
        CONFLICT,
        /** The database cannot be written (e.g. opened in read mode): {@code SQLITE_READONLY}. */
        READ_ONLY,
        /** Stored data is damaged, retrying cannot help: {@code SQLITE_CORRUPT}. */
        CORRUPT,
        /** The local disk is full (or over quota), as SQLite's own VFS reports it: {@code SQLITE_FULL}. */
        FULL,
        /**
         * Committed locally, and the replica does not hold it (its upload failed, or a conflict after the commit):
         * {@link dev.ltx4j.vfs.LitestreamUnconfirmedCommitException#SQLITE_IOERR_NOT_UPLOADED}.
         */
        NOT_UPLOADED,
        /**
         * Committed locally, and whether the replica holds it is unknown (durability {@code remote}):
         * {@link dev.ltx4j.vfs.LitestreamUnconfirmedCommitException#SQLITE_IOERR_OUTCOME_UNKNOWN}.
         */
        OUTCOME_UNKNOWN,
        /** Another connection's transaction kept the operation from running; running it again later can work: {@code SQLITE_BUSY}. */
        BUSY,
        /** The operation's own I/O error code. */
        IO
    }

    /**
     * Classifies an exception this handle threw, so the bridge can give SQLite the right result code without
     * knowing the storage engine's exception types: the engine adapter maps its own. The default knows only
     * {@link ReplicaConflictException}.
     */
    default Failure classify(Throwable failure) {
        return failure instanceof ReplicaConflictException ? Failure.CONFLICT : Failure.IO;
    }

    /**
     * An {@link OutOfMemoryError} one of this handle's calls threw, as the exception the bridge records and reports
     * (an Error reaching C would become a bare {@code SQLITE_IOERR} with no last error): the engine adapter turns the
     * JVM's direct memory limit into a failure naming it. The default rethrows {@code e}.
     */
    default Exception outOfMemory(OutOfMemoryError e) {
        throw e;
    }

    /** The connection closed the file. No call follows. */
    @Override
    void close() throws IOException;
}
