package dev.ltx4j.vfs.internal;

import dev.ltx4j.vfs.ReplicaConflictException;
import dev.ltx4j.vfs.VfsDatabase;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Java object behind one open main-database {@code sqlite3_file}. Every method called from C returns a
 * SQLite code and catches the database's exceptions, so only VM errors (e.g. OutOfMemoryError) can reach C,
 * which clears and maps them. Replies to PRAGMAs and SQL functions are strings whose first character says
 * what follows: {@code R} pragma result, {@code N} no result, {@code T} text, {@code I} integer,
 * {@code E} error message, {@code C} conflict message.
 */
final class NativeFile {
    private static final boolean DEBUG = System.getenv("LITESTREAM_VFS_DEBUG") != null;
    /** Test fault for the native memory check: refuse every larger scratch buffer, as an OutOfMemoryError would. */
    private static final boolean REFUSE_BUFFERS =
            String.valueOf(System.getenv("LITESTREAM_VFS_TEST_FAULTS")).contains("set-buffer");

    private final VfsDatabase db;
    private final String name;
    private final String lockPath;
    private ByteBuffer buffer;
    private volatile String lastError = "";
    private boolean walHeaderReported;
    /** Set at phase one of a commit across several databases (SQLite's super-journal), cleared at its end. */
    private boolean acrossDatabases;
    /** The corruption last named on stderr, so a CLI host hears of each once. */
    private String corruptionReported;

    NativeFile(VfsDatabase db, ByteBuffer buffer, String name) throws IOException {
        this.db = db;
        this.buffer = buffer;
        this.name = name;
        this.lockPath = db.lockPath();
        this.stamp = NativeBridge.stampFor(db);
        loadFailurePath(db);
    }

    private static volatile boolean failurePathLoaded;

    /**
     * Runs the failure path once per process while descriptors are free, so the classes it needs are loaded: at the
     * open-file limit a class not yet loaded from a class directory fails to load, and the NoClassDefFoundError
     * reached C as a bare I/O error with an empty last_error (docs/field-probes.md, round 7).
     */
    private static void loadFailurePath(VfsDatabase db) {
        if (failurePathLoaded) return;
        failurePathLoaded = true;
        try {
            // Not db.classify: a third party's VfsDatabase would see a phantom failure (the engine adapter preloads
            // its own classification, EngineCommands). Nor a JDK IOException, which would ask /proc for nothing.
            Class.forName(VfsDatabase.Failure.class.getName());
            Class.forName(SqliteCodes.class.getName());
            Class.forName(ReplicaConflictException.class.getName());
            NativeBridge.describe(new IllegalStateException("loading the failure path"), true, false);
            dev.ltx4j.replica.internal.OpenFileLimit.prime();
        } catch (RuntimeException | LinkageError | ClassNotFoundException ignored) {
            // only a preload: the real failure path reports whatever happens then
        }
    }

    /**
     * Read by C (GetField, no call): the database's version stamp in native memory (0: none), whether the read
     * transaction {@link #beginRead()} began may be kept while the stamp does not move, its size, and whether the
     * last change-counter probe's bytes may be repeated (docs/concurrent-readers.md).
     */
    private final long stamp;
    private boolean reusable;
    private long pinnedSize;
    private boolean probeRepeatable;
    /** Page 1 reads in the pin just offered show its stored bytes (litestreamvfs.c, "Pages of the last commit"). */
    private boolean pinShowsStored;

    /** What the last {@link #readDirect} that returned null did: bytes read into the buffer, or minus a SQLite code. */
    private int readResult;

    /**
     * xRead: the bytes as an array C copies straight into SQLite's buffer ({@link VfsDatabase#readPage}), or null
     * with the read done into the shared buffer and its outcome in {@link #readResult} (one crossing either way).
     */
    byte[] readDirect(long offset, int amount) {
        try {
            byte[] page = db.readPage(offset, amount);
            if (page != null) {
                if (page.length < amount) {
                    throw new IOException("readPage returned " + page.length + " bytes for a request of " + amount);
                }
                return page;
            }
        } catch (Exception | OutOfMemoryError e) {
            readResult = -fail("read", e, SqliteCodes.IOERR_READ);
            return null;
        }
        readResult = read(offset, amount);
        if (stamp != 0 && offset == 24 && amount == 16) probeRepeatable = db.lastReadRepeatable();
        return null;
    }

    /** Bytes read into the shared buffer, or minus a SQLite code. */
    int read(long offset, int amount) {
        try {
            buffer.clear().limit(amount);
            int n = db.read(buffer, offset);
            if (n < 0 || n > amount) {
                throw new IOException("read returned " + n + " for a request of " + amount + " bytes");
            }
            if (offset <= 19 && offset + n > 18 && !walHeaderReported) checkRollbackFormat(offset, n);
            return n;
        } catch (Exception | OutOfMemoryError e) {
            return -fail("read", e, SqliteCodes.IOERR_READ);
        }
    }

    /**
     * SQLite opens a page 1 whose file-format bytes 18/19 say 2 in WAL mode, which needs xShmMap, which this VFS
     * does not have; the pager then fails the open with a bare SQLITE_CANTOPEN and no VFS call that could say why.
     * The engine's databases present such a page in rollback format; any other {@link VfsDatabase} that does not
     * gets the reason named here.
     */
    private void checkRollbackFormat(long offset, int n) {
        for (int at = 18; at <= 19; at++) {
            long i = at - offset;
            if (i < 0 || i >= n || buffer.get((int) i) != 2) continue;
            walHeaderReported = true;
            lastError = "page 1 says the database is in WAL mode (file format bytes 18/19 = 2), but the litestream VFS"
                    + " supports rollback-journal modes only; SQLite will refuse to open it";
            NativeBridge.log(SqliteCodes.CANTOPEN, "litestream: " + name + ": " + lastError);
            tellHost(lastError);
            return;
        }
    }

    int write(long offset, int amount) {
        try {
            buffer.clear().limit(amount);
            db.write(buffer, offset);
            if (buffer.hasRemaining()) throw new IOException("write left " + buffer.remaining() + " bytes unwritten");
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            return fail("write", e, SqliteCodes.IOERR_WRITE);
        }
    }

    int truncate(long size) {
        try {
            db.truncate(size);
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            return fail("truncate", e, SqliteCodes.IOERR_TRUNCATE);
        }
    }

    /** The size, or minus a SQLite code. */
    long size() {
        try {
            return db.size();
        } catch (Exception | OutOfMemoryError e) {
            return -fail("size", e, SqliteCodes.IOERR_FSTAT);
        }
    }

    int sync(int flags) {
        try {
            db.sync((flags & 0x0F) == SqliteCodes.SYNC_FULL);
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            return fail("sync", e, SqliteCodes.IOERR_FSYNC);
        }
    }

    int beginRead() {
        try {
            db.beginRead();
            if (stamp != 0) offerPin();
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            return fail("beginRead", e, SqliteCodes.IOERR_LOCK);
        }
    }

    /**
     * Tells C (fields {@link #reusable}, {@link #pinnedSize}, {@link #pinShowsStored}) whether the read transaction
     * just pinned may be kept while the stamp does not move, its size, and whether page 1 reads in it show stored
     * bytes; true when it may be kept.
     */
    private boolean offerPin() throws IOException {
        reusable = false; // until the answer is complete
        boolean keep = db.snapshotReusable();
        pinnedSize = keep ? db.size() : -1;
        pinShowsStored = keep && db.committedHeaderShown();
        reusable = keep;
        return keep;
    }

    int endRead() {
        try {
            db.endRead();
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            return fail("endRead", e, SqliteCodes.IOERR_UNLOCK);
        }
    }

    int beginWrite() {
        try {
            db.beginWrite();
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            return fail("beginWrite", e, SqliteCodes.IOERR_LOCK);
        }
    }

    int beforeCommit() {
        acrossDatabases = false;
        try {
            db.beforeCommit();
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            return fail("beforeCommit", e, SqliteCodes.IOERR_FSYNC);
        }
    }

    /** Phase one of a commit across several databases: SQLite ignores what {@link #commit()} then returns. */
    int beforeCommitAcrossDatabases() {
        acrossDatabases = true;
        try {
            db.beforeCommitAcrossDatabases();
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            return fail("beforeCommit", e, SqliteCodes.IOERR_FSYNC);
        }
    }

    int commit() {
        boolean across = acrossDatabases;
        acrossDatabases = false;
        try {
            db.commit();
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            int rc = fail("commit", e, SqliteCodes.IOERR);
            if (across) {
                // SQLite returns SQLITE_OK for the transaction anyway (docs/attached-databases.md): say it here.
                String why = "SQLite reports this transaction across attached databases committed, but " + lastError;
                tellHost(why);
                try {
                    Warn.LOG.warn("litestream: {}: {}", name, why);
                } catch (LinkageError noSlf4j) {
                    // slf4j-api left off a class path: stderr above is all there is
                }
            }
            return rc;
        }
    }

    /**
     * {@link #commit()} and, when it succeeded, {@link #endWrite()}, in one crossing: the pager lets go of the write
     * lock right after a commit (except under locking_mode=EXCLUSIVE, where C calls {@link #commit()} alone), so the
     * unlock then needs no crossing of its own. A failed endWrite is logged and leaves the commit standing.
     */
    int commitEndingWrite() {
        int rc = commit();
        if (rc != SqliteCodes.OK) return rc;
        endWrite();
        if (stamp != 0) {
            // The commit re-pinned the latest state: C may keep it for the next statement (litestreamvfs.c,
            // keep_after_commit), with its size, and answer its change-counter probe from the page 1 it wrote.
            try {
                probeRepeatable = offerPin() && pinShowsStored;
            } catch (Exception e) {
                reusable = false;
                probeRepeatable = false;
                fail("commit (keeping the snapshot)", e, SqliteCodes.IOERR); // logged; the commit stands, not kept
            }
        }
        return rc;
    }

    int rollback() {
        acrossDatabases = false; // a rolled-back phase one: the next commit is a single database's unless told again
        try {
            db.rollback();
            return SqliteCodes.OK;
        } catch (Exception e) {
            return fail("rollback", e, SqliteCodes.IOERR);
        }
    }

    /** For tests: whether the next {@link #commit()} is the second phase of a commit across databases. */
    boolean commitsAcrossDatabases() {
        return acrossDatabases;
    }

    int endWrite() {
        try {
            db.endWrite();
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            return fail("endWrite", e, SqliteCodes.IOERR);
        }
    }

    String pragma(byte[] rawName, byte[] rawValue) {
        String pragma = NativeBridge.utf8(rawName).toLowerCase(Locale.ROOT);
        String value = rawValue == null ? null : NativeBridge.utf8(rawValue);
        try {
            switch (pragma) {
                case "litestream_txid": return readOnly(pragma, value, db.txid());
                case "litestream_time": if (value == null) return "R" + db.time(); break;
                case "litestream_lag": return readOnly(pragma, value, Long.toString(db.lag()));
                case "litestream_status": return readOnly(pragma, value, db.statusJson());
                case "litestream_last_error": return readOnly(pragma, value, lastError());
                default: break;
            }
            String result = db.pragma(pragma, value);
            return result == null ? "N" : "R" + result;
        } catch (Exception e) {
            int code = fail("PRAGMA " + pragma, e, SqliteCodes.ERROR);
            return (code == SqliteCodes.BUSY ? "B" : "E") + NativeBridge.describe(e);
        }
    }

    private static String readOnly(String pragma, String value, String result) {
        if (value != null) return "EPRAGMA " + pragma + " is read-only";
        return "R" + result;
    }

    /** SQL functions, in the order of FUNCTIONS[] in litestreamvfs.c. */
    String function(int which) {
        try {
            switch (which) {
                case 0: return "T" + db.txid();
                case 1: return "T" + db.time();
                case 2: return "I" + db.lag();
                case 3: return "T" + db.syncNow();
                case 4: return "T" + db.statusJson();
                default: return "Eunknown litestream function " + which;
            }
        } catch (Exception e) {
            int code = fail("SQL function", e, SqliteCodes.ERROR);
            return (code == SqliteCodes.BUSY_SNAPSHOT ? "C" : "E") + NativeBridge.describe(e);
        }
    }

    int close() {
        NativeBridge.closed(this);
        try {
            db.close();
            return SqliteCodes.OK;
        } catch (Exception | OutOfMemoryError e) {
            return fail("close", e, SqliteCodes.IOERR_CLOSE);
        }
    }

    /** The scratch buffer C shares with us: a larger one, or null when C is about to free it (close). */
    void setBuffer(ByteBuffer larger) {
        if (larger != null && REFUSE_BUFFERS) throw new IllegalStateException("test fault: set-buffer");
        buffer = larger;
    }

    /**
     * This connection's last failure; without one, the database's current problem (a conflict a background sync
     * detected, a failed sync or poll), so the pragma tells what {@code litestream_status()} knows before any
     * statement of this connection fails.
     */
    private String lastError() {
        String own = lastError;
        if (!own.isEmpty()) return own;
        try {
            String problem = db.currentProblem();
            return problem == null ? "" : problem;
        } catch (RuntimeException e) {
            return "";
        }
    }

    int sectorSize() {
        return db.sectorSize();
    }

    int deviceCharacteristics() {
        return db.deviceCharacteristics();
    }

    boolean atomicCommits() {
        return db.atomicCommits();
    }

    boolean snapshotReads() {
        return db.snapshotReads();
    }

    /** See {@link VfsDatabase#lockPath()}; resolved by {@link NativeBridge#open}, so a failure has its reason. */
    String lockPath() {
        return lockPath;
    }

    void hostExit(Object exit) {
        try {
            db.onHostExit(exit);
        } catch (RuntimeException e) {
            fail("onHostExit", e, SqliteCodes.ERROR);
        }
    }

    /** Records and logs the failure; the code SQLite should see. */
    /** What SQLite cannot say itself goes to stderr on sqlite3/python hosts (and with LITESTREAM_VFS_DEBUG). */
    private void tellHost(String message) {
        if (DEBUG || NativeBridge.embedded()) System.err.println("litestream: " + name + ": " + message);
    }

    private int fail(String operation, Throwable failure, int code) {
        // The direct memory limit as a failure naming it; any other OutOfMemoryError is rethrown to C as before.
        Exception e = failure instanceof OutOfMemoryError oom ? db.outOfMemory(oom) : (Exception) failure;
        // The database classifies its own exceptions (the engine adapter knows the engine's types; the bridge does
        // not). CORRUPT rather than IOERR_READ for damaged stored data: retrying cannot help, and SQLite does not
        // enter its sticky pager error state for it, so the connection works again once the file is repaired.
        // An if-chain, not a switch on the enum: that switch's synthetic class (NativeFile$1) would be loaded at the
        // first failure, and at the open-file limit loading it from a class directory fails (NoClassDefFoundError,
        // which reached C as a bare I/O error with no last_error: docs/field-probes.md, round 7).
        VfsDatabase.Failure kind = e instanceof ReplicaConflictException ? VfsDatabase.Failure.CONFLICT : db.classify(e);
        int rc = kind == VfsDatabase.Failure.CONFLICT ? SqliteCodes.BUSY_SNAPSHOT
                : kind == VfsDatabase.Failure.READ_ONLY ? SqliteCodes.READONLY
                : kind == VfsDatabase.Failure.CORRUPT ? SqliteCodes.CORRUPT
                : kind == VfsDatabase.Failure.FULL ? SqliteCodes.FULL
                : kind == VfsDatabase.Failure.NOT_UPLOADED ? SqliteCodes.IOERR_NOT_UPLOADED
                : kind == VfsDatabase.Failure.OUTCOME_UNKNOWN ? SqliteCodes.IOERR_OUTCOME_UNKNOWN
                : kind == VfsDatabase.Failure.BUSY ? SqliteCodes.BUSY
                : code;
        // Only an operation's own I/O error can be EMFILE/ENFILE: a conflict or a refusal does not ask /proc.
        lastError = operation + " failed: " + NativeBridge.describe(e, kind == VfsDatabase.Failure.IO);
        if (rc == SqliteCodes.CORRUPT) {
            NativeBridge.noteCorruptRead(lastError);
            // SQLite itself only says "database disk image is malformed": name the damaged file once on a CLI host.
            if (!lastError.equals(corruptionReported)) {
                corruptionReported = lastError;
                tellHost(lastError);
            }
        }
        if (rc == SqliteCodes.IOERR_NOT_UPLOADED || rc == SqliteCodes.IOERR_OUTCOME_UNKNOWN) {
            // SQLite only says "disk I/O error": say that the commit stands, with the extended code (CLI, python)
            tellHost(lastError + " [" + (rc == SqliteCodes.IOERR_NOT_UPLOADED ? "SQLITE_IOERR_NOT_UPLOADED"
                    : "SQLITE_IOERR_OUTCOME_UNKNOWN") + ", extended result code " + rc + "]");
        }
        if (rc == SqliteCodes.BUSY_SNAPSHOT) reportConflict();
        if (DEBUG) e.printStackTrace();
        NativeBridge.log(rc, "litestream: " + name + ": " + lastError);
        return rc;
    }

    /**
     * Per database name, the replica conflict last named on stderr: shared by the connections of a process, so a
     * host hears of each conflict once, not at every statement the conflict refuses.
     */
    private static final ConcurrentHashMap<String, String> CONFLICT_REPORTED = new ConcurrentHashMap<>();

    /**
     * SQLite reports a refusal for a conflict as "database is locked" (SQLITE_BUSY_SNAPSHOT's primary code, all the
     * sqlite3 CLI and Python before 3.11 show): name the conflict once on stderr. A refusal while the database is in
     * no conflict is a stale snapshot between connections of this process, normal under concurrency: not named
     * (docs/conflicts-and-refresh.md, "What a host sees").
     */
    private void reportConflict() {
        if (!DEBUG && !NativeBridge.scriptHost()) return; // a JVM host has LitestreamConflictException
        String conflict;
        try {
            conflict = db.conflict();
        } catch (RuntimeException e) {
            return;
        }
        if (conflict == null || conflict.equals(CONFLICT_REPORTED.put(name, conflict))) return;
        tellHost("replica conflict: writes are refused (SQLite says \"database is locked\": SQLITE_BUSY_SNAPSHOT,"
                + " extended result code " + SqliteCodes.BUSY_SNAPSHOT + ") until a refresh; " + conflict
                + "; then run the refused transactions again");
    }

    /**
     * Looked up at the first warning only (the module requires SLF4J; a host class path that left slf4j-api out
     * fails here, caught as a LinkageError, rather than at the first open).
     */
    private static final class Warn {
        static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(NativeFile.class);
    }
}
