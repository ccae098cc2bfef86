package dev.ltx4j.vfs.engine;

/**
 * Page 1 as SQLite sees it through the VFS, versus page 1 as the replica stores it.
 *
 * <p>Every database the Litestream daemon replicates is in WAL mode, so page 1 of its replicas (and of
 * {@code ltx4j import} of a checkpointed WAL database) has file-format bytes 18 and 19 equal to 2. A SQLite that
 * reads that header opens the WAL, which needs {@code xShmMap}; the litestream VFS supports rollback-journal modes
 * only, so the open failed with a bare {@code SQLITE_CANTOPEN}. SQLite is therefore shown 1 (legacy, rollback
 * journal) wherever the stored byte is 2, and opens the database in rollback-journal mode.
 *
 * <p>Writes translate back: where SQLite writes 1 over a stored 2 (it writes page 1 back as it saw it), the stored
 * 2 is kept, so a WAL replica stays a WAL replica. A restore then gives back a database in the journal mode its
 * origin had (the daemon's replicas restore to WAL databases, as with the daemon alone), and the engine only ever
 * sees the stored bytes, so page checksums, the rolling database checksum and every pre-apply checksum are
 * computed over what the replica really holds. Any other value SQLite writes (a database it creates, or 2 itself
 * when the backup API copies a WAL database in) is stored as written.
 */
public final class PageOneView {
    /** SQLite's file format write version (offset 18) and read version (offset 19). */
    static final int FIRST = 18;
    static final int LAST = 19;
    private static final byte LEGACY = 1;
    private static final byte WAL = 2;

    /**
     * Test-only bug switch ({@code wal-page-one} in the simulator): when true, SQLite sees the stored bytes and
     * writes are stored as SQLite wrote them, as before the fix. Process-wide; never set outside tests.
     */
    public static volatile boolean disabledForTest;

    private PageOneView() {}

    /** Whether {@code len} bytes at {@code offset} of the database file overlap bytes 18..19. */
    static boolean overlaps(long offset, int len) {
        return len > 0 && offset <= LAST && offset + len > FIRST;
    }

    /** Stored to SQLite: in {@code b[0, n)}, the file's bytes from {@code offset}, each of 18/19 that is 2 becomes 1. */
    static void present(long offset, byte[] b, int n) {
        if (disabledForTest || !overlaps(offset, n)) return;
        for (int at = FIRST; at <= LAST; at++) {
            long i = at - offset;
            if (i >= 0 && i < n && b[(int) i] == WAL) b[(int) i] = LEGACY;
        }
    }

    /**
     * SQLite to stored: in {@code b[0, len)}, the bytes SQLite writes at {@code offset}, each of 18/19 where SQLite
     * writes 1 and {@code stored} (bytes 18 and 19 as stored now, or null when page 1 does not exist yet) has 2
     * becomes 2 again.
     */
    static void keepStored(long offset, byte[] b, int len, byte[] stored) {
        if (disabledForTest || stored == null || !overlaps(offset, len)) return;
        for (int at = FIRST; at <= LAST; at++) {
            long i = at - offset;
            if (i >= 0 && i < len && b[(int) i] == LEGACY && stored[at - FIRST] == WAL) b[(int) i] = WAL;
        }
    }
}
