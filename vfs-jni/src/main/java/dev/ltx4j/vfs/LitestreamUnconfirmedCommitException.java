package dev.ltx4j.vfs;

import java.sql.SQLException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * With {@code durability=remote}, a commit that SQLite reports as failed although it <b>is committed</b>: it is in
 * the local write buffer, visible to every connection, and a later sync makes it reach the replica exactly once.
 * Only the replica's confirmation is missing. Never run such a transaction again: it would be stored twice. To wait
 * for the replica, run {@code PRAGMA litestream_sync} (or {@code select litestream_sync()}) until it succeeds.
 *
 * <p>Two cases, told apart by {@link #getErrorCode()} (an extended result code in SQLite's {@code SQLITE_IOERR}
 * family, which SQLite itself does not use):
 * <ul>
 *   <li>{@link #SQLITE_IOERR_NOT_UPLOADED}: the replica does not hold it: the upload failed before the replica could
 *       have stored it (a refused or unreachable store) and the sync retries it; or the commit's sync found another
 *       writer's file first ("conflict after commit"): it is saved under {@code conflicts/}, stays visible until a
 *       refresh and is never uploaded; or the database was closed (next open uploads it) or refreshed (dropped,
 *       saved under {@code conflicts/}) while the commit waited. The message says which;</li>
 *   <li>{@link #SQLITE_IOERR_OUTCOME_UNKNOWN}: an upload was sent but its answer was lost and the replica could not
 *       be read back (after three paced attempts): it may or may not hold the transaction; the next sync finds out
 *       and adopts or uploads it (docs/remote-durability-unknown-outcome.md).</li>
 * </ul>
 * Every other {@code SQLITE_IOERR} from the VFS means the transaction did <em>not</em> commit (it may be run again).
 *
 * <p>{@link LitestreamDataSource} connections throw this exception, with the VFS's reason appended. A connection made
 * otherwise (plain sqlite-jdbc) throws sqlite-jdbc's {@code SQLiteException} with {@code unknown error:61450} or
 * {@code unknown error:61706} in its message (sqlite-jdbc knows no name for these codes); {@link #codeOf} finds the
 * code in either. The sqlite3 CLI reports the primary code, {@code disk I/O error (10)}, with the reason and the
 * extended code's name and number on stderr; Python 3.11+ raises {@code sqlite3.OperationalError} with the code in
 * {@code sqlite_errorcode}. The reason is in {@code PRAGMA litestream_last_error} everywhere.
 */
public class LitestreamUnconfirmedCommitException extends SQLException {
    private static final long serialVersionUID = 1L;
    /** Committed locally; the replica does not hold it (the message says why) ({@code SQLITE_IOERR | (240 << 8)}). */
    public static final int SQLITE_IOERR_NOT_UPLOADED = 10 | (240 << 8);
    /** Committed locally; whether the replica holds it is unknown ({@code SQLITE_IOERR | (241 << 8)}). */
    public static final int SQLITE_IOERR_OUTCOME_UNKNOWN = 10 | (241 << 8);
    /** sqlite-jdbc's message for a code it has no name for: {@code [UNKNOWN_ERROR] unknown error:61706 (...)}. */
    private static final Pattern DRIVER_CODE = Pattern.compile("unknown error:(" + SQLITE_IOERR_NOT_UPLOADED + "|"
            + SQLITE_IOERR_OUTCOME_UNKNOWN + ")(?!\\d)");

    /**
     * @param message what failed and why (the VFS's reason)
     * @param code {@link #SQLITE_IOERR_NOT_UPLOADED} or {@link #SQLITE_IOERR_OUTCOME_UNKNOWN}
     * @param cause the driver's exception
     */
    public LitestreamUnconfirmedCommitException(String message, int code, SQLException cause) {
        super(message, cause == null ? null : cause.getSQLState(), code, cause);
        if (code != SQLITE_IOERR_NOT_UPLOADED && code != SQLITE_IOERR_OUTCOME_UNKNOWN) {
            throw new IllegalArgumentException("not an unconfirmed-commit code: " + code);
        }
    }

    /** True when the replica may already hold the transaction ({@link #SQLITE_IOERR_OUTCOME_UNKNOWN}). */
    public boolean outcomeUnknown() {
        return getErrorCode() == SQLITE_IOERR_OUTCOME_UNKNOWN;
    }

    /**
     * {@link #SQLITE_IOERR_NOT_UPLOADED} or {@link #SQLITE_IOERR_OUTCOME_UNKNOWN} when {@code e} (or a cause) reports
     * an unconfirmed commit, from any connection (this exception, or sqlite-jdbc's {@code unknown error:<code>}
     * message); else 0.
     */
    public static int codeOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                int c = s.getErrorCode();
                if (c == SQLITE_IOERR_NOT_UPLOADED || c == SQLITE_IOERR_OUTCOME_UNKNOWN) return c;
                Matcher m = DRIVER_CODE.matcher(String.valueOf(s.getMessage()));
                if (m.find()) return Integer.parseInt(m.group(1));
            }
            if (t.getCause() == t) break;
        }
        return 0;
    }
}
