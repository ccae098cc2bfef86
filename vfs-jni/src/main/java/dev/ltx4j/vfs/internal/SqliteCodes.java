package dev.ltx4j.vfs.internal;

/** The SQLite result codes the Java side hands back to native code. */
final class SqliteCodes {
    static final int OK = 0;
    static final int ERROR = 1;
    static final int IOERR = 10;
    static final int CORRUPT = 11;
    static final int FULL = 13;
    static final int CANTOPEN = 14;
    static final int WARNING = 28;
    static final int IOERR_READ = IOERR | (1 << 8);
    static final int IOERR_WRITE = IOERR | (3 << 8);
    static final int IOERR_FSYNC = IOERR | (4 << 8);
    static final int IOERR_TRUNCATE = IOERR | (6 << 8);
    static final int IOERR_FSTAT = IOERR | (7 << 8);
    static final int IOERR_LOCK = IOERR | (15 << 8);
    static final int READONLY = 8;
    static final int IOERR_UNLOCK = IOERR | (8 << 8);
    static final int IOERR_CLOSE = IOERR | (16 << 8);
    static final int BUSY = 5;
    static final int BUSY_SNAPSHOT = BUSY | (2 << 8);
    /** See {@link dev.ltx4j.vfs.LitestreamUnconfirmedCommitException#SQLITE_IOERR_NOT_UPLOADED}. */
    static final int IOERR_NOT_UPLOADED = IOERR | (240 << 8);
    /** See {@link dev.ltx4j.vfs.LitestreamUnconfirmedCommitException#SQLITE_IOERR_OUTCOME_UNKNOWN}. */
    static final int IOERR_OUTCOME_UNKNOWN = IOERR | (241 << 8);
    static final int SYNC_FULL = 3;

    private SqliteCodes() {
    }
}
