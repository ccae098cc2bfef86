package dev.ltx4j.vfs.engine;

import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.ReadTransaction;

import java.io.IOException;

/**
 * A connection's read transaction: the engine version it pinned at SQLite's SHARED lock (the latest, or the past
 * {@code PRAGMA litestream_time} names) and the engine's refresh count then, which tells a write on top of it whether
 * a refresh replaced the content it read ({@link EngineVfsDatabase#beginWrite()}).
 */
final class PinnedRead {
    private final Database db;
    private final ConnectionTimeTravel timeTravel;
    private ReadTransaction tx;
    private long refreshes;
    /** It reads the latest state, so the VFS may keep it while nothing changes (see versionKey()). */
    private boolean latest;

    PinnedRead(Database db, ConnectionTimeTravel timeTravel) {
        this.db = db;
        this.timeTravel = timeTravel;
    }

    /** The pinned transaction, null outside a read transaction. */
    ReadTransaction tx() {
        return tx;
    }

    /** The engine's refresh count when the transaction was pinned. */
    long refreshes() {
        return refreshes;
    }

    boolean latest() {
        return latest;
    }

    void begin() throws IOException {
        release();
        refreshes = db.refreshCount();
        ReadTransaction past = timeTravel.beginRead(); // null: the latest state
        tx = past != null ? past : db.beginRead();
        latest = past == null;
    }

    void end() {
        timeTravel.endRead();
        release();
    }

    void release() {
        if (tx != null) {
            tx.close();
            tx = null;
        }
    }

    /**
     * After the connection's own commit or rollback, the rest of its read transaction sees the latest version. Run in
     * a commit's or rollback's {@code finally}: a failure here (e.g. the database closed by another thread while a
     * remote commit waited) must not replace the commit's outcome, neither its success nor its typed committed-locally
     * failure, with a plain I/O error that tells the application to run the transaction again. Without a pin the
     * connection's next read pins afresh.
     */
    void repinAfterEnd() {
        if (tx == null) return;
        try {
            tx.close();
            refreshes = db.refreshCount();
            tx = db.beginRead();
        } catch (RuntimeException e) {
            tx = null;
        }
    }
}
