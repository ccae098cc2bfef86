package dev.ltx4j.vfs;

import java.sql.SQLException;

/**
 * A write was refused because the replica moved under this writer: another writer synced first (the database is
 * then conflicted until refreshed), or a refresh replaced the content this transaction had read.
 *
 * <p>After a rival's sync every later write fails the same way until the application recovers; retrying alone
 * never helps. Recover with {@link LitestreamDatabase#refresh()} (or {@code PRAGMA litestream_refresh} on any
 * connection), then run the transaction again, or let {@link LitestreamDatabase#retryOnConflict} do both. The
 * unsynced transactions that lost are saved under {@code conflicts/} next to the write buffer before the refresh
 * drops them (the message names the file). SQLite itself reports the refusal as {@code SQLITE_BUSY_SNAPSHOT}; the
 * original exception is the cause, its SQL state and error code are kept.
 */
public class LitestreamConflictException extends SQLException {
    private static final long serialVersionUID = 1L;
    /** How to recover, appended to every message. */
    public static final String RECOVERY = "recover with LitestreamDatabase.refresh() (or PRAGMA litestream_refresh)"
            + " and run the transaction again, e.g. with LitestreamDatabase.retryOnConflict";

    /**
     * How to recover when another connection of this process committed after the transaction began reading (not a
     * replica conflict): a refresh would sync, drop the cache and reload the replica for nothing.
     */
    public static final String RETRY = "run the transaction again (no refresh needed: the replica did not move);"
            + " BEGIN IMMEDIATE (sqlite-jdbc: transaction_mode=IMMEDIATE) takes the write lock when the transaction"
            + " starts and avoids this; LitestreamDatabase.retryOnConflict retries it";

    /** @param reason what conflicted (the engine's message: TXIDs, where the lost transactions were saved) */
    public LitestreamConflictException(String reason, SQLException cause) {
        this(reason, cause, RECOVERY);
    }

    /** @param recovery {@link #RECOVERY} or {@link #RETRY}, appended to the reason */
    LitestreamConflictException(String reason, SQLException cause, String recovery) {
        super(reason + "; " + recovery, cause == null ? null : cause.getSQLState(),
                cause == null ? 5 : cause.getErrorCode(), cause);
    }

    /**
     * Whether {@code e} (or a cause) reports a replica conflict: this exception, or sqlite-jdbc's
     * {@code SQLITE_BUSY_SNAPSHOT} from a connection not made by {@link LitestreamDataSource}.
     */
    public static boolean isConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof LitestreamConflictException) return true;
            if (t instanceof SQLException s && s.getErrorCode() == 5
                    && String.valueOf(s.getMessage()).contains("SQLITE_BUSY_SNAPSHOT")) return true;
            if (t.getCause() == t) break;
        }
        return false;
    }
}
