package dev.ltx4j.syncer;

import java.io.IOException;
import java.util.concurrent.Semaphore;

/**
 * A database's writer slot: one {@link WriteSession} at a time, handed out in arrival order; taken before {@code
 * syncLock} (docs/engine-invariants.md). A refresh and the buffer's close take it too, so no session writes into
 * a buffer they replace or close.
 */
final class WriterSlot {
    private final Database db;
    private final Semaphore permit = new Semaphore(1, true);

    WriterSlot(Database db) {
        this.db = db;
    }

    /** See {@link Database#beginWrite()}. */
    WriteSession begin() throws IOException {
        checkWritable();
        permit.acquireUninterruptibly();
        return start();
    }

    /** See {@link Database#tryBeginWrite()}: null when another session is open. */
    WriteSession tryBegin() throws IOException {
        checkWritable();
        if (!permit.tryAcquire()) {
            return null;
        }
        return start();
    }

    /** Whether a session may write now: the database is open, in write mode and not conflicted. */
    void checkWritable() throws EngineException {
        db.checkOpen();
        if (!db.writeMode) {
            throw new ReadOnlyDatabaseException("database \"" + db.name + "\" is open in read mode (attempt to write"
                    + " a readonly database; set LITESTREAM_WRITE_ENABLED=true to write)");
        }
        ConflictInfo c = db.conflict();
        if (c != null) {
            throw new ConflictException(c);
        }
    }

    /** Takes the slot without a session (refresh, closing the buffer). */
    void acquireUninterruptibly() {
        permit.acquireUninterruptibly();
    }

    /** Takes the slot without a session, waiting at most {@code maxWait} (an interrupt is kept and ends the wait). */
    boolean tryAcquire(java.time.Duration maxWait) {
        try {
            return permit.tryAcquire(maxWait.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void release() {
        permit.release();
    }

    /** The slot is held: checks again (a conflict may have come while waiting) and starts the session. */
    private WriteSession start() throws IOException {
        try {
            checkWritable();
        } catch (IOException | RuntimeException e) {
            permit.release();
            throw e;
        }
        return new WriteSession(db, db.pin());
    }
}
