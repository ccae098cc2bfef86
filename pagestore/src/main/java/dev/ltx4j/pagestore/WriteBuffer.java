package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.IntLongMap;
import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.internal.LogScanner;
import dev.ltx4j.pagestore.internal.TxnEntry;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.random.RandomGenerator;

/**
 * The local write-ahead log of page-level transactions that write mode commits into before the syncer uploads
 * them: append-only, checksummed and chained (see the format in {@code LogFormat}), recovered on open to exactly
 * the transactions whose commit record is intact.
 *
 * <p><b>Threads.</b> Any number of threads may read ({@link #readPage}, {@link #snapshot}). One write transaction
 * is open at a time: {@link #begin()} waits for the previous one to end. Commits that wait for a force share it
 * (group commit). {@link #markSynced} runs concurrently with commits, blocking the writer only while it copies
 * transactions committed during its own run.
 *
 * <p><b>Memory.</b> Page bytes stay in the file. The heap holds a page-number-to-offset index of committed
 * pages, one small entry per page per unsynced transaction, and a bounded staging area for the open one.
 *
 * <p><b>Failures.</b> A write that finds the disk full fails only its transaction ({@link BufferFullException}: the
 * partial records are cut off durably and the buffer works on). If any other write, or a truncate, force or rename
 * fails, the buffer stops accepting work ({@link BufferFailedException}); reopening recovers. A stopped buffer still
 * lets a sync read and mark synced its durable prefix, the transactions whose commit's force succeeded
 * ({@link #uploadableSeq()}; docs/write-buffer-recovery.md, "After a failed fsync"). Closing never deletes the file.
 *
 * <p><b>Parts.</b> {@code BufferOpener} creates or recovers the file, {@code TransactionWrites} (with
 * {@code LogAppender}, which stages and appends the records, and {@code RewriteReserve}) runs the open transaction,
 * {@code HeldReads} reads committed pages and serves the syncer's snapshots of them,
 * {@code LogRewriter} (with {@code TailCopier}) rewrites the log after a sync and opens the engine's read handles
 * ({@link #openGeneration(Executor)}); {@code internal.LogFormat} is the one record codec. The published state
 * (file, header, transactions, index, commit size) lives here under {@code stateLock}; those parts read and swap it;
 * {@code BufferCloser} closes.
 */
public final class WriteBuffer implements Closeable {
    static final String NEXT_SUFFIX = ".next";
    /** The file the last rewrite replaced, kept to be written again by the next one (LogRewriter). */
    static final String SPARE_SUFFIX = ".spare";
    static final String LOCK_SUFFIX = ".lock";

    private final LogStorage storage;
    private final String name;
    private final String location;
    private final int pageSize;
    private final Durability durability;
    final LogRewriter rewriter;
    final LogStorage.StorageLock storageLock;
    private final RecoveryReport recovery;

    /** The writer slot: held by the open transaction, by markSynced's final step, by reset and by close. */
    final Semaphore slot = new Semaphore(1);
    /** Serialises forces (group commit) against file swaps. */
    final ReentrantLock forceLock = new ReentrantLock();
    /** One rewrite (markSynced / reset) at a time. */
    final ReentrantLock rewriteLock = new ReentrantLock();
    /** Guards the published state: file, header, transactions, index, commit size. */
    final ReentrantReadWriteLock stateLock = new ReentrantReadWriteLock();

    LogFile file;
    LogHeader header;
    List<TxnEntry> txns;
    IntLongMap index;
    long commitSize;

    /** The writer side, guarded by the slot. */
    final LogAppender appender;
    /** The syncer's reads of the held transactions. */
    private final HeldReads reads = new HeldReads(this);

    volatile long appendedSeq;
    volatile long durableSeq;
    volatile IOException failure;
    /** The last full-disk failure of a write, until a commit succeeds again. */
    volatile String fullDisk;
    /** Holds new transactions back while the last rewrite failed for lack of disk space. */
    private final RewriteSpaceHold spaceHold = new RewriteSpaceHold();
    /** The open transaction's appends, commit and rollback. */
    final TransactionWrites writes;
    volatile boolean closed;
    /** Sync may read past the durable prefix of a stopped buffer (bug switch, off). */
    final boolean readPastDurablePrefix;

    WriteBuffer(LogStorage storage, String name, WriteBufferOptions options, RandomGenerator random,
            LogStorage.StorageLock storageLock, LogFile file, LogHeader header, LogScanner.Result scan,
            RecoveryReport recovery) {
        this.storage = storage;
        this.name = name;
        this.location = storage.describe(name);
        this.pageSize = header.pageSize();
        this.durability = options.durability();
        this.rewriter = new LogRewriter(this, storage, name, pageSize, options.clock(), random);
        this.storageLock = storageLock;
        this.recovery = recovery;
        this.file = file;
        this.header = header;
        this.txns = new ArrayList<>(scan.transactions());
        this.index = TxnEntry.latest(txns, Long.MAX_VALUE);
        this.commitSize = txns.isEmpty() ? header.baseCommit() : txns.get(txns.size() - 1).commitSize();
        this.appender = new LogAppender(this, options.clock(), pageSize, options.stagingBytes(), file,
                new LogFormat.Chain(header.salt(), scan.chain()), scan.validEnd(), header.compressed(),
                options.faults().keepTornTailAfterFullDisk());
        this.writes = new TransactionWrites(this, options.clock(), new RewriteReserve(storage));
        this.appendedSeq = header.firstSeq() - 1 + txns.size();
        this.durableSeq = appendedSeq;
        this.readPastDurablePrefix = options.faults().readPastDurablePrefix();
    }

    // ------------------------------------------------------------------------------------------------ opening

    /**
     * Opens the buffer at {@code path} (LITESTREAM_BUFFER_PATH semantics): its parent directory must exist and
     * be writable. Creates the file if missing, otherwise recovers it.
     *
     * @throws BufferPathException   if the directory is missing, not a directory, or not writable, or the buffer or
     *                               its lock is a link, another user's, or writable by others
     * @throws BufferLockedException if another process owns the buffer
     */
    public static WriteBuffer open(Path path, WriteBufferOptions options) throws IOException {
        return BufferOpener.open(path, options);
    }

    /**
     * Opens the default buffer for a database: a private file under the temp directory, unique per replica URL
     * and database name (see {@link BufferPaths#defaultPath(String, String)}); creates the directory owner-only,
     * and refuses an existing one that is a link, another user's, or writable by others.
     */
    public static WriteBuffer openDefault(String replicaUrl, String databaseName, WriteBufferOptions options)
            throws IOException {
        Path path = BufferPaths.defaultPath(replicaUrl, databaseName);
        BufferPaths.createPrivateDirectory(path.getParent());
        return open(path, options);
    }

    /**
     * Opens (creating or recovering) buffer {@code name} in {@code storage}. A torn tail is cut off; damage to
     * records a later intact commit vouches for as forced is refused with the file left unchanged, unless
     * {@link WriteBufferOptions#recovery()} is {@link BufferRecovery#TRUNCATE_DAMAGED}.
     *
     * @throws BufferDamagedException if the buffer is damaged (not torn) and recovery was not asked for
     * @throws BufferCorruptException if the header is unusable
     * @throws BufferLockedException  if another owner holds the buffer
     */
    public static WriteBuffer open(LogStorage storage, String name, WriteBufferOptions options) throws IOException {
        return BufferOpener.open(storage, name, options);
    }

    // ------------------------------------------------------------------------------------------------ queries

    public int pageSize() {
        return pageSize;
    }

    public Durability durability() {
        return durability;
    }

    /** Where the buffer lives (path or simulated name). */
    public String location() {
        return location;
    }

    /** Random id of this buffer's writer lineage, kept across rewrites; suitable as an LTX node id. */
    public long writerId() {
        return reads.writerId();
    }

    /** What opening found. */
    public RecoveryReport recovery() {
        return recovery;
    }

    /** The replica state the held transactions build on. */
    public BufferBase base() {
        return reads.base();
    }

    /** Database size in pages after the latest committed transaction (the base's size when there is none). */
    public long commitSize() {
        return reads.commitSize();
    }

    /** Sequence number of the latest committed transaction, or {@code firstSeq - 1} when none is held. */
    public long lastCommittedSeq() {
        return appendedSeq;
    }

    /**
     * Commit time (buffer clock) of the oldest held transaction with a sequence number above {@code seq}, or -1
     * when there is none: how long the oldest commit not yet in the replica has waited.
     */
    public long oldestCommitMillisAfter(long seq) {
        return reads.oldestCommitMillisAfter(seq);
    }

    /** Page records held in transactions with a sequence number above {@code seq} (a page may count twice). */
    public long pageRecordsAfter(long seq) {
        return reads.pageRecordsAfter(seq);
    }

    /** Committed transactions not yet marked synced, oldest first. */
    public List<CommittedTransaction> transactions() {
        return reads.transactions();
    }

    /**
     * Bytes in the current log file, including staged records of the open transaction; exact when called by
     * the writer thread between transactions, approximate otherwise.
     */
    public long logSize() {
        return reads.logSize();
    }

    /**
     * Copies the latest committed image of {@code pgno} into {@code dst} ({@code pageSize} bytes).
     *
     * @return false if the buffer holds no committed image of that page within the current database size
     */
    public boolean readPage(long pgno, byte[] dst) throws IOException {
        return reads.readPage(checkPgno(pgno), dst);
    }

    static int checkPgno(long pgno) {
        if (pgno < 1 || pgno > LogFormat.MAX_PGNO) {
            throw new IllegalArgumentException("page number " + pgno + " is outside 1.." + LogFormat.MAX_PGNO);
        }
        return (int) pgno;
    }

    void checkDst(byte[] dst) {
        if (dst.length < pageSize) {
            throw new IllegalArgumentException(
                    "destination of " + dst.length + " bytes is smaller than the page size " + pageSize);
        }
    }

    void checkUsable() throws IOException {
        if (closed) {
            throw new WriteBufferException(location, "write buffer " + location + " is closed");
        }
        IOException f = failure;
        if (f != null) {
            throw new BufferFailedException(location, "write buffer " + location
                    + " stopped after an I/O failure; reopen it to recover: " + f.getMessage(), f);
        }
    }

    /** Whether an I/O failure stopped the buffer (it refuses writes until reopened; see {@link #uploadableSeq()}). */
    public boolean stopped() {
        return failure != null;
    }

    /**
     * The last sequence number a sync may upload: the last committed one while the buffer works; once a failure
     * stopped it, the last one whose commit's force succeeded (the durable prefix: every transaction acknowledged as
     * durable; with durability {@code none}, what the last open or sync forced).
     */
    public long uploadableSeq() {
        return failure == null || readPastDurablePrefix ? appendedSeq : durableSeq;
    }

    /**
     * Why this buffer stopped (an I/O failure, e.g. a full disk, after which it refuses all work until reopened),
     * naming the buffer, what a sync still uploads from it and how to recover; null while it works.
     */
    public String failureMessage() {
        IOException f = failure;
        if (f == null) {
            return null;
        }
        long durable = durableSeq;
        long refused = Math.max(0, appendedSeq - durable);
        long uploaded = reads.uploadedWhileStopped();
        return "write buffer " + location + " stopped after an I/O failure: " + f.getMessage() + "; its transactions"
                + " through sequence number " + durable + " had been forced to disk: a sync may upload them"
                + (uploaded >= 0 ? " (uploaded through " + uploaded + ")" : "") + "; " + refused + " transaction(s)"
                + " after them " + (durability == Durability.NONE ? "were never forced (durability none)"
                : "failed their commit") + " and are not uploaded from this process; writes stay"
                + " refused until the database is reopened (PRAGMA litestream_refresh, or close every connection and"
                + " open again; a disk gone read-only: copy the buffer to a writable disk and open with buffer_path)";
    }

    /**
     * Why the latest transaction failed when the disk was full (the buffer works on), naming the buffer; null once a
     * commit succeeded again, and while the disk never filled.
     */
    public String fullDiskMessage() {
        return fullDisk;
    }

    BufferFailedException fail(String what, IOException e) {
        if (failure == null) {
            failure = e;
        }
        return new BufferFailedException(location, dev.ltx4j.replica.internal.OpenFileLimit.withLimit(what
                + " failed on write buffer " + location + "; the buffer must be reopened to recover: " + e.getMessage(),
                e), e);
    }

    // ------------------------------------------------------------------------------------------------ writing

    /**
     * Starts the write transaction, waiting while another one is open (so a thread that still holds an open
     * transaction must not call this again).
     */
    public WriteTransaction begin() throws IOException {
        checkUsable();
        spaceHold.check(location);
        slot.acquireUninterruptibly();
        try {
            checkUsable();
            spaceHold.check(location); // a rewrite may have failed while this thread waited for the slot
        } catch (IOException e) {
            slot.release();
            throw e;
        }
        return new WriteTransaction(this, appender.end(), appender.chainPrevious(), appender.cuts());
    }

    void releaseSlot() {
        slot.release();
    }

    /** Waits until {@code seq} is on disk (no-op for {@link Durability#NONE}); concurrent callers share a force. */
    void awaitDurable(long seq) throws IOException {
        if (durability == Durability.NONE || durableSeq >= seq) {
            return;
        }
        forceLock.lock();
        try {
            if (durableSeq >= seq) {
                return; // another committer's force covered us
            }
            checkUsable();
            long target = appendedSeq; // every record up to here is written to the current file
            try {
                file.force();
            } catch (IOException e) {
                // Unlike a full disk on a write: after a failed fsync the kernel may have dropped the dirty pages
                // and a retry can report success for data that never reached the disk, so nothing is retried.
                throw fail("log force", new IOException("fsync failed; what reached the disk is unknown after a"
                        + " failed fsync, so the buffer stays stopped until it is reopened (recovery keeps what is on"
                        + " disk): " + e.getMessage(), e));
            }
            durableSeq = target;
        } finally {
            forceLock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------------ syncing

    /** A snapshot of every committed transaction; see {@link #snapshot(long)}. */
    public SyncSnapshot snapshot() throws IOException {
        return snapshot(appendedSeq);
    }

    /**
     * The consistent state after the held transactions up to {@code upToSeq}: the latest image of every page
     * they changed (within the final commit size) and the final commit size. Unless durability is
     * {@link Durability#NONE}, first waits until those transactions are on local disk, so nothing is uploaded
     * that a crash could still take back. Valid until the next {@link #markSynced} or {@link #reset}.
     */
    public SyncSnapshot snapshot(long upToSeq) throws IOException {
        return reads.snapshot(upToSeq);
    }

    /**
     * Each held transaction up to {@code upToSeq} on its own, oldest first, as a snapshot of that transaction's
     * pages alone (its last image of each, ascending, none above its commit size) with its commit size: for one pass
     * over the transactions in commit order where {@link #snapshot(long)} per prefix would cost the square (the
     * syncer's proof that the replica holds a prefix's state). Valid like a snapshot; durability as there.
     */
    public List<SyncSnapshot> transactionSnapshots(long upToSeq) throws IOException {
        return reads.transactionSnapshots(upToSeq);
    }

    HeldReads reads() {
        return reads;
    }

    /**
     * Opens a read handle on the current log file with the buffer's index of what it holds, so that pages read
     * through it stay readable after later rewrites replace the file (the handle keeps the replaced file). The
     * engine opens one after each {@link #markSynced} or {@link #reset}, whether it succeeded or not. Waits for a
     * running rewrite; works on a failed buffer too (its committed records stay readable).
     *
     * @param closer runs the handle's close once its last reference is released (the engine's background
     *     executor, see docs/engine-time-threads-faults.md; {@code Runnable::run} closes on the releasing thread)
     */
    public BufferGeneration openGeneration(Executor closer) throws IOException {
        rewriteLock.lock(); // no rewrite replaces the file between the open and the index copy
        try {
            return rewriter.openGeneration(closer);
        } finally {
            rewriteLock.unlock();
        }
    }

    /**
     * Records that the held transactions up to {@code upToSeq} are now in the replica as TXID
     * {@code newBaseTxid} with post-apply checksum {@code newBaseChecksum}: they are dropped and the base
     * advances atomically (the remaining transactions are rewritten into a new file generation that replaces the
     * old one by rename, forced and directory-synced regardless of durability mode). A crash at any point recovers
     * either the old state or the new one. Commits may continue concurrently.
     *
     * <p>Pages whose latest image was in a dropped transaction are no longer readable here afterwards, so the
     * caller must make the uploaded pages readable from the replica side first.
     *
     * <p>On a stopped buffer ({@link #stopped()}) nothing is written: the file stays as it is and the buffer only
     * remembers that its transactions up to {@code upToSeq} (within the durable prefix) are in the replica, so its
     * base, {@link #transactions()} and later snapshots start after them.
     */
    public void markSynced(long upToSeq, long newBaseTxid, long newBaseChecksum) throws IOException {
        rewriteLock.lock();
        try {
            if (failure != null && !closed) {
                // A stopped buffer's disk failed: no rewrite there. Recorded in memory; a reopen recovers the file
                // and adopts the upload as this writer's own (docs/write-buffer-recovery.md, "After a failed fsync").
                reads.markUploadedWhileStopped(upToSeq, newBaseTxid, newBaseChecksum);
                return;
            }
            try {
                spaceHold.run(() -> rewriter.markSynced(upToSeq, newBaseTxid, newBaseChecksum));
            } catch (LogRewriter.StoppedBeforeRename e) {
                // The file is untouched: recorded in memory as on a buffer stopped before (the upload is done).
                reads.markUploadedWhileStopped(upToSeq, newBaseTxid, newBaseChecksum);
            }
        } finally {
            rewriteLock.unlock();
        }
    }

    /**
     * Drops every held transaction and starts over on {@code newBase} (after a conflict the application chose to
     * discard, or to rebase an empty buffer onto a newer replica state). Waits for the open transaction to end.
     */
    public void reset(BufferBase newBase) throws IOException {
        rewriteLock.lock();
        try {
            spaceHold.runCopyingNothing(() -> rewriter.rewrite(-1, newBase, true));
        } finally {
            rewriteLock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------------ closing

    /**
     * Forces the log (in every durability mode), closes the file and releases the process lock; never deletes
     * the buffer.
     *
     * @throws IllegalStateException if a write transaction is still open
     */
    @Override
    public void close() throws IOException {
        if (!closed) {
            BufferCloser.close(this);
        }
    }

    static void closeQuietly(AutoCloseable c, Throwable into) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            if (into != null) {
                into.addSuppressed(e);
            }
        }
    }
}
