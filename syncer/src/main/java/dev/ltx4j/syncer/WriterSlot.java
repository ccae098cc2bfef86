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

    /**
     * Takes the slot without a session, waiting at most {@code maxWait}; an interrupt neither ends the wait nor is
     * it taken for a busy slot (like {@link #acquireUninterruptibly()}): the flag is set again on return.
     */
    boolean tryAcquire(java.time.Duration maxWait) {
        long deadline = System.nanoTime() + maxWait.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return permit.tryAcquire(Math.max(0, deadline - System.nanoTime()),
                            java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
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
