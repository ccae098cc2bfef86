package dev.ltx4j.vfs.engine;

import dev.ltx4j.pagestore.replica.DatabaseVersion;

/**
 * Page 1 as SQLite sees it through the VFS when the replica stores it in WAL format.
 *
 * <p>Every database the Litestream daemon replicates is in WAL mode, so page 1 of its replicas (and of
 * {@code ltx4j import} of a checkpointed WAL database) has file-format bytes 18 and 19 equal to 2. A SQLite that
 * reads that header opens the WAL, which needs {@code xShmMap}; the litestream VFS supports rollback-journal modes
 * only, so the pager failed the open with a bare {@code SQLITE_CANTOPEN}. Two things are therefore shown
 * differently from what is stored, and only while the stored page 1 says WAL:
 * <ul>
 *   <li>bytes 18 and 19: 1 (legacy, rollback journal) wherever the stored byte is 2, so SQLite opens the database
 *       in rollback-journal mode and never looks for {@code -wal} or {@code -shm};</li>
 *   <li>the file change counter (bytes 24..27): in rollback-journal mode SQLite keeps its page cache across
 *       transactions while this counter is unchanged, but a WAL-mode writer does not advance it, so a daemon commit
 *       would leave every connection on stale cached pages. The counter is shown mixed with the version's TXID and
 *       local sequence, so it changes whenever the version does. It then differs from the version-valid-for number
 *       (bytes 92..95), so SQLite takes the size from {@code xFileSize}, which the engine knows exactly.</li>
 * </ul>
 *
 * <p>Writes are stored as SQLite writes them: its first commit writes page 1 in rollback format (1/1, its own
 * incremented counter), and from then on the replica says truthfully who maintains the counter, and readers keep
 * their caches across our own commits. The engine only ever sees stored bytes, so page checksums, the rolling
 * database checksum and every pre-apply checksum are computed over what the replica really holds.
 */
public final class PageOneView {
    /** SQLite's file format write version (offset 18) and read version (offset 19). */
    static final int FORMAT = 18;
    private static final int COUNTER = 24;
    private static final int COUNTER_END = 28;
    private static final byte LEGACY = 1;
    private static final byte WAL = 2;

    private PageOneView() {}

    /**
     * Whether {@code n} bytes at {@code offset} of the database file overlap the bytes this view may change. (The
     * engine's {@code storedPageOne} fault point, the simulator's {@code wal-page-one}, turns the view off.)
     */
    static boolean touches(long offset, int n) {
        return n > 0 && offset < COUNTER_END && offset + n > FORMAT;
    }

    /** Whether {@code n} bytes at {@code offset} hold both format bytes. */
    static boolean holdsFormat(long offset, int n) {
        return offset <= FORMAT && offset + n >= FORMAT + 2;
    }

    /** Whether the stored format bytes (18, 19) say WAL. */
    static boolean isWal(byte write, byte read) {
        return write == WAL || read == WAL;
    }

    /**
     * Stored to SQLite: {@code b[0, n)} holds the file's stored bytes from {@code offset}, of a page 1 in WAL format
     * ({@code wal}) or not, read from {@code version}.
     */
    static void present(long offset, byte[] b, int n, boolean wal, DatabaseVersion version) {
        if (!wal) return;
        for (int at = FORMAT; at <= FORMAT + 1; at++) {
            long i = at - offset;
            if (i >= 0 && i < n && b[(int) i] == WAL) b[(int) i] = LEGACY;
        }
        int mix = counterMix(version);
        for (int at = COUNTER; at < COUNTER_END; at++) {
            long i = at - offset;
            if (i >= 0 && i < n) b[(int) i] ^= (byte) (mix >>> (8 * (COUNTER_END - 1 - at)));
        }
    }

    /** Distinct for consecutive TXIDs (and local sequences) of one database; never 0 for a replica's version. */
    static int counterMix(DatabaseVersion v) {
        int mix = (int) v.txid() * 0x9E3779B1 + (int) v.localSeq() * 0x85EBCA6B;
        return mix == 0 ? 1 : mix;
    }
}
