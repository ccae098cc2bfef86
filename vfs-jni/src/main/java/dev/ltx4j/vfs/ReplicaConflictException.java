package dev.ltx4j.vfs;

import java.io.IOException;

/**
 * The replica was changed by a rival writer, so this connection's writes cannot be applied.
 *
 * <p>Thrown by a {@link VfsDatabase} method, it reaches SQLite as {@code SQLITE_BUSY_SNAPSHOT} (517, primary
 * code {@code SQLITE_BUSY}), which applications recognise by its extended code (sqlite-jdbc:
 * {@code SQLiteException.getResultCode() == SQLiteErrorCode.SQLITE_BUSY_SNAPSHOT}; python: {@code
 * sqlite_errorcode == 517} on 3.11+). The reason (this message) is readable on the same connection with
 * {@code PRAGMA litestream_last_error}, and is passed to {@code sqlite3_log}.
 *
 * <p>Where to throw it: from {@link VfsDatabase#beforeCommit()} (SQLite then rolls the transaction back, the
 * cleanest outcome) or from {@link VfsDatabase#beginWrite()} (the write is refused before it starts; note that
 * SQLite's busy handler retries lock errors whose primary code is BUSY until its busy timeout expires).
 */
public class ReplicaConflictException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param reason what conflicted, e.g. the TXIDs involved */
    public ReplicaConflictException(String reason) {
        super(reason);
    }
}
