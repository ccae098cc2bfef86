package dev.ltx4j.vfs.engine;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.BufferFullException;
import dev.ltx4j.pagestore.replica.ReplicaFileCorruptException;
import dev.ltx4j.pagestore.storage.DiskSpace;
import dev.ltx4j.pagestore.storage.StorageFullException;
import dev.ltx4j.syncer.CommitOutcomeUnknownException;
import dev.ltx4j.syncer.ConflictAfterCommitException;
import dev.ltx4j.syncer.ConflictException;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseStatus;
import dev.ltx4j.syncer.PageSizeException;
import dev.ltx4j.syncer.PollOutcome;
import dev.ltx4j.syncer.ReadOnlyDatabaseException;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.syncer.SyncFailedException;
import dev.ltx4j.syncer.SyncOutcome;
import dev.ltx4j.vfs.ReplicaConflictException;
import dev.ltx4j.vfs.VfsDatabase.Failure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;

/**
 * What a connection asks of its engine database besides pages, locks and transactions: the {@code litestream_*}
 * pragmas and SQL functions (txid, time, lag, sync now, status), the last problem, and how
 * the engine's exceptions map to SQLite's codes. Split from {@link EngineVfsDatabase}, which keeps the transaction
 * state these read ({@code pin}, session) and passes it in.
 */
final class EngineCommands {
    /** How long {@code PRAGMA litestream_refresh} on a virtual thread waits for an open write transaction. */
    static final java.time.Duration VIRTUAL_REFRESH_WAIT = java.time.Duration.ofSeconds(10);

    private static final int MAX_FLUSH_ATTEMPTS = 3;

    private final Database db;
    private final Clock clock;
    private final ConnectionTimeTravel timeTravel;

    EngineCommands(Database db, Clock clock, ConnectionTimeTravel timeTravel) {
        this.db = db;
        this.clock = clock;
        this.timeTravel = timeTravel;
    }

    static {
        // Resolves every class the checks below name while descriptors are free (a database is opening): at the
        // open-file limit one loaded late from a class directory fails (docs/field-probes.md, round 7).
        classify(new IllegalStateException("loading the failure path"));
    }

    /** The engine's exceptions as the bridge understands them; the bridge itself knows no engine type. */
    static Failure classify(Throwable failure) {
        if (failure instanceof RefreshBusyException) {
            return Failure.BUSY;
        }
        if (failure instanceof ConflictAfterCommitException) {
            return Failure.NOT_UPLOADED; // durability remote: committed locally, then a rival won; saved, not uploaded
        }
        if (failure instanceof ConflictException || failure instanceof ReplicaConflictException) {
            return Failure.CONFLICT;
        }
        if (failure instanceof ReadOnlyDatabaseException) {
            return Failure.READ_ONLY;
        }
        if (failure instanceof PageSizeException) {
            // A page-size change (PRAGMA page_size=N; VACUUM) is refused, nothing is damaged: SQLITE_READONLY, which
            // SQLite treats as the statement's own error (no sticky pager error, the connection works on), not an
            // IOERR that tells users and tools to suspect the disk. The reason is in litestream_last_error.
            return Failure.READ_ONLY;
        }
        if (failure instanceof CommitOutcomeUnknownException) {
            return Failure.OUTCOME_UNKNOWN; // durability remote: committed locally, the replica may or may not hold it
        }
        if (failure instanceof SyncFailedException) {
            return Failure.NOT_UPLOADED; // durability remote: committed locally, the upload is retried by the sync
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ReplicaFileCorruptException) {
                return Failure.CORRUPT; // a replica file failed verification
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            // ENOSPC / EDQUOT, typed by the buffer's storage whatever the locale: SQLITE_FULL, as SQLite's unix VFS
            // says, so applications and tools see "database or disk is full" rather than a suspected disk fault.
            if (t instanceof BufferFullException || t instanceof StorageFullException) {
                return Failure.FULL;
            }
        }
        if (DiskSpace.hasFullDiskText(failure)) {
            return Failure.FULL; // a full disk met outside the buffer's log writes (e.g. a rewrite's new file)
        }
        return Failure.IO;
    }

    /** A {@code litestream_*} pragma; {@code reading}/{@code writing}: the connection is in a read/write transaction. */
    String pragma(String name, String value, boolean reading, boolean inSession, boolean writing) throws IOException {
        switch (name) {
            case "litestream_refresh":
                if (value != null) throw new IllegalArgumentException("PRAGMA litestream_refresh takes no value");
                if (inSession) throw new IllegalArgumentException("PRAGMA litestream_refresh inside a write transaction");
                if (!VirtualThreads.isVirtual(Thread.currentThread())) {
                    db.refresh();
                } else if (!db.refresh(VIRTUAL_REFRESH_WAIT)) {
                    // Pinned here, this thread would keep its carrier from the transaction's holder for good.
                    throw new RefreshBusyException("PRAGMA litestream_refresh on a virtual thread waited "
                            + VIRTUAL_REFRESH_WAIT.toSeconds() + " s for another connection's open write transaction"
                            + " to end; run it again once that transaction ended, or call LitestreamDatabase.refresh(),"
                            + " which waits without holding a carrier (docs/virtual-threads.md)");
                }
                return Txid.format(db.current().txid());
            case ConnectionTimeTravel.PRAGMA:
                return timeTravel.set(value, reading, writing);
            case "litestream_time_target":
                if (value != null) throw new IllegalArgumentException("PRAGMA litestream_time_target is read-only");
                return timeTravel.target();
            case "litestream_write_enabled":
                if (value != null) throw new IllegalArgumentException("litestream_write_enabled is fixed at open"
                        + " (write_enabled URI parameter or LITESTREAM_WRITE_ENABLED)");
                return db.isWriteMode() ? "1" : "0";
            default:
                throw new IllegalArgumentException("unknown pragma " + name);
        }
    }

    /** The TXID the connection reads: its read transaction's ({@code pin}), else the one its next one would read. */
    String txid(ReadTransaction pin) {
        return Txid.format(pin != null ? pin.txid() : timeTravel.nextTxid(db.current().txid()));
    }

    /**
     * The commit time (LTX header timestamp, RFC 3339) of the TXID this connection reads (its read transaction's,
     * else the one its next read transaction reads: the time set with litestream_time, or the latest); {@code latest}
     * when nothing is in the replica yet.
     */
    String time(ReadTransaction pin) {
        try {
            return timeTravel.report(pin);
        } catch (IOException e) {
            throw new UncheckedIOException("litestream_time: " + e.getMessage(), e);
        }
    }

    long lag() {
        long ms = db.status().lagMillis();
        return ms < 0 ? -1 : ms / 1000;
    }

    /**
     * Write mode: uploads everything committed and returns the replica TXID; fails while committed transactions
     * cannot reach the replica from this process (a stopped durability-none buffer). Read mode: polls the replica once.
     *
     * @throws ReplicaConflictException when the database is conflicted
     */
    String syncNow() throws IOException {
        if (!db.isWriteMode()) {
            PollOutcome p = db.pollOnce(clock.instant());
            if (p.error() != null) throw new IOException("poll failed: " + p.error().getMessage(), p.error());
            return Txid.format(p.txid());
        }
        for (int attempt = 0; ; attempt++) {
            SyncOutcome o = db.syncOnce(clock.instant());
            switch (o.status()) {
                case CONFLICT:
                    throw new ReplicaConflictException(o.error().getMessage());
                case FAILED:
                    if (attempt + 1 >= MAX_FLUSH_ATTEMPTS) {
                        throw new IOException("sync failed: " + o.error().getMessage(), o.error());
                    }
                    break;
                case NOTHING_TO_SYNC:
                    DatabaseStatus st = db.status();
                    if (st.conflict() != null) throw new ReplicaConflictException(st.conflict().message());
                    // A stopped durability-none buffer: nothing this process may upload is left, but the caller
                    // asked for its commits on the replica; the TXID alone would say they are there (as close does,
                    // it says they are kept: docs/write-buffer-recovery.md, "After a failed fsync").
                    IOException kept = db.unsyncableCommits();
                    if (kept != null) throw new IOException("sync failed: " + kept.getMessage(), kept);
                    return Txid.format(db.current().txid());
                default:
                    if (db.status().pendingCommits() == 0) return Txid.format(db.current().txid());
            }
        }
    }

    String statusJson() {
        return LocalCopyStatus.withLocalCopies(db.status().toJson(), db);
    }

    /** A conflict the sync detected, else the last sync or poll failure. */
    String currentProblem() {
        DatabaseStatus s = db.status();
        return s.conflict() != null ? s.conflict().message() : s.lastError();
    }

    /** The pragma's refresh gave up waiting for another connection's write transaction: SQLITE_BUSY, retryable. */
    static final class RefreshBusyException extends IOException {
        private static final long serialVersionUID = 1L;

        RefreshBusyException(String message) {
            super(message);
        }
    }
}
