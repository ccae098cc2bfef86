package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.StorageFullException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;

/**
 * The writer side of a {@link WriteBuffer}'s log: stages the open transaction's records (encoded by
 * {@link LogFormat}) and appends them to the current file, keeping the checksum chain. Guarded by the buffer's
 * writer slot; a rewrite repositions it ({@link #moveTo}) while holding the slot.
 *
 * <p>A write that finds the disk full ({@link StorageFullException}) does not stop the buffer: the open transaction's
 * records (the torn tail after the last complete commit) are cut off and the cut is forced before anything else is
 * appended, the transaction is dead ({@link #cuts()} moved on) and the error is a {@link BufferFullException}. A
 * failed cut or force stops the buffer as any other I/O failure.
 */
final class LogAppender {
    /**
     * Where the staging starts (or one page record and a commit, if more): a database whose transactions fit holds
     * only this much direct memory (docs/durable-commit-cost.md, "The `pwrite`"; bench/README.md, "Commit staging").
     */
    static final int FIRST_STAGING_BYTES = 64 * 1024;
    /**
     * How long (engine clock) the staging does not try to grow after the JVM refused it memory: each refused try costs
     * the JDK's reservation retry (a full GC and up to about half a second of sleeps) under the writer slot
     * (docs/write-buffer-recovery.md, "A write failure inside a transaction").
     */
    static final long GROW_BACKOFF_MILLIS = 60_000;
    private final WriteBuffer buffer;
    private final Clock clock;
    private final int pageSize;
    /** The most one page record takes (either format). */
    private final int maxRecord;
    /** The most the staging grows to: {@code stagingBytes} (or one page record and a commit, if more). */
    private final int stagingLimit;
    /** Records staged for one write; replaced by a larger one (up to {@link #stagingLimit}) when a transaction needs it. */
    private ByteBuffer staging;
    /** Engine-clock millis of the last refused growth, or {@link Long#MIN_VALUE}: no growth refused. */
    private long growRefusedAt = Long.MIN_VALUE;
    /** Whether the current file takes 'Z' records (version 2) or 'P' records (a version 1 file until its rewrite). */
    private boolean compressed;
    private LogFile file;
    private LogFormat.Chain chain;
    private long appendEnd;
    private long flushedEnd;
    /** End and chain of the last complete commit (where the open transaction started). */
    private long committedEnd;
    private int committedChain;
    /** Cuts after a full disk so far: a transaction that began before the latest one is dead. */
    private long cuts;
    private final boolean keepTornTail;

    LogAppender(WriteBuffer buffer, Clock clock, int pageSize, int stagingBytes, LogFile file, LogFormat.Chain chain,
            long end, boolean compressed, boolean keepTornTail) {
        this.buffer = buffer;
        this.clock = clock;
        this.keepTornTail = keepTornTail;
        this.pageSize = pageSize;
        this.maxRecord = LogFormat.maxRecord(pageSize);
        this.stagingLimit = Math.max(stagingBytes, maxRecord + LogFormat.COMMIT_SIZE);
        this.staging = DirectMemoryException.allocate(Math.min(stagingLimit,
                Math.max(FIRST_STAGING_BYTES, maxRecord + LogFormat.COMMIT_SIZE)), "the write buffer's commit staging");
        moveTo(file, end, chain, compressed);
    }

    /**
     * Continues on a rewritten file that ends at {@code end} with checksum chain {@code newChain}; rewritten files
     * are always version 2 ({@code compressed}).
     */
    void moveTo(LogFile target, long end, LogFormat.Chain newChain) {
        moveTo(target, end, newChain, true);
    }

    private void moveTo(LogFile target, long end, LogFormat.Chain newChain, boolean compressedRecords) {
        this.compressed = compressedRecords;
        this.file = target;
        this.appendEnd = end;
        this.flushedEnd = end;
        this.chain = newChain;
        this.committedEnd = end;
        this.committedChain = newChain.previous();
    }

    /** Cuts after a full disk so far; a transaction records it at begin and is dead once it moves on. */
    long cuts() {
        return cuts;
    }

    /** End of the log including staged records. */
    long end() {
        return appendEnd;
    }

    /** CRC of the last record, where a transaction that starts now chains from. */
    int chainPrevious() {
        return chain.previous();
    }

    /**
     * Stages the page record of {@code page}'s remaining bytes (one page); returns the record's offset. In a version 2
     * file the page is compressed and hashed here, straight into the staging buffer (docs/durable-commit-cost.md).
     */
    long appendPage(int pgno, ByteBuffer page) throws IOException {
        if (staging.remaining() < maxRecord && !grow(maxRecord)) {
            flush();
        }
        long offset = appendEnd;
        if (compressed) {
            appendEnd += LogFormat.putZRecord(staging, pgno, page, chain);
        } else {
            LogFormat.putPageRecord(staging, pgno, page.duplicate(), chain);
            appendEnd += LogFormat.PAGE_HEADER + pageSize;
        }
        return offset;
    }

    /** Makes room for a commit record in the staging area. */
    void reserveCommit() throws IOException {
        if (staging.remaining() < LogFormat.COMMIT_SIZE && !grow(LogFormat.COMMIT_SIZE)) {
            flush();
        }
    }

    /**
     * Moves what is staged into a staging twice as large (at least {@code needed} bytes free, at most
     * {@link #stagingLimit}), so a transaction that fits {@code stagingBytes} is still written once, at its commit.
     * False when the staging is at its limit or the JVM refused the memory (then, and for
     * {@link #GROW_BACKOFF_MILLIS} after, growth is not tried): the caller flushes, as for a transaction larger than
     * the limit, so a transaction is then written in parts (recovery drops a transaction without its commit record).
     */
    private boolean grow(int needed) {
        if (staging.capacity() >= stagingLimit || refusedLately()) {
            return false;
        }
        int size = (int) Math.min(stagingLimit, Math.max(2L * staging.capacity(), (long) staging.position() + needed));
        if (size - staging.position() < needed) {
            return false; // not even the limit holds it: flushed, as a staging of the limit's size would have been
        }
        ByteBuffer larger;
        try {
            larger = DirectMemoryException.allocate(size, "the write buffer's commit staging");
        } catch (DirectMemoryException | OutOfMemoryError e) {
            // Growing is optional: even a heap OutOfMemoryError must not escape reserveCommit with records staged.
            growRefusedAt = clock.millis();
            return false;
        }
        growRefusedAt = Long.MIN_VALUE;
        staging.flip();
        larger.put(staging);
        staging = larger;
        return true;
    }

    /** Whether growth was refused less than {@link #GROW_BACKOFF_MILLIS} ago (a clock set back ends the wait). */
    private boolean refusedLately() {
        if (growRefusedAt == Long.MIN_VALUE) {
            return false;
        }
        long now = clock.millis();
        return now >= growRefusedAt && now - growRefusedAt < GROW_BACKOFF_MILLIS;
    }

    /** Appends a commit record after {@link #reserveCommit()} and writes everything staged; returns the new end. */
    long appendCommit(int records, long seq, long commitSize, long millis, long forcedDistance) throws IOException {
        LogFormat.putCommitRecord(staging, records, seq, commitSize, millis, forcedDistance, chain);
        appendEnd += LogFormat.COMMIT_SIZE;
        flush();
        committedEnd = appendEnd;
        committedChain = chain.previous();
        return appendEnd;
    }

    private void flush() throws IOException {
        if (staging.position() == 0) {
            return;
        }
        staging.flip();
        try {
            file.write(flushedEnd, staging);
        } catch (StorageFullException e) {
            throw cutTornTail(e);
        } catch (IOException e) {
            throw buffer.fail("log write", e);
        }
        flushedEnd = appendEnd;
        staging.clear();
    }

    /**
     * After a full disk: drops the open transaction's records, cuts the file back to the last complete commit and
     * forces the cut, so no later record follows a torn one (recovery would stop at the torn record and drop every
     * commit after it). Returns the error to throw.
     */
    private IOException cutTornTail(StorageFullException full) {
        staging.clear();
        try {
            if (keepTornTail) { // bug switch: resume after whatever the failed write left
                committedEnd = file.size();
            } else {
                file.truncate(committedEnd);
                file.force();
            }
        } catch (IOException e) {
            e.addSuppressed(full);
            return buffer.fail("cutting the partial records off after a full disk", e);
        }
        appendEnd = committedEnd;
        flushedEnd = committedEnd;
        chain.reset(committedChain);
        cuts++;
        String where = buffer.location();
        String message = (full.quota() ? "disk quota exceeded for write buffer " : "no space left on the disk of"
                + " write buffer ") + where + ": the transaction failed and was"
                + " rolled back (its partial records cut off); the commits before it are kept and the buffer works on"
                + " once space is freed: " + full.getMessage();
        buffer.fullDisk = message;
        return new BufferFullException(where, message, full);
    }

    /** Drops what is staged (and, unless {@code discardOnly}, what was written) after {@code startOffset}. */
    void rollback(long startOffset, int startChain, boolean discardOnly) throws IOException {
        staging.clear();
        if (discardOnly) {
            return;
        }
        if (flushedEnd > startOffset) {
            try {
                file.truncate(startOffset);
            } catch (IOException e) {
                throw buffer.fail("rollback truncate", e);
            }
        }
        flushedEnd = startOffset;
        appendEnd = startOffset;
        chain.reset(startChain);
        committedEnd = startOffset;
        committedChain = startChain;
    }

    /** Copies the image of the page record at {@code offset} if it is still staged; false when it was written. */
    boolean readStaged(long offset, long pgno, byte[] dst) throws BufferCorruptException {
        if (offset < flushedEnd) {
            return false;
        }
        int pos = (int) (offset - flushedEnd);
        String where = buffer.location();
        PageRecordReads.check(staging, pos, staging.position() - pos, offset, pgno, pageSize, where, where);
        PageRecordReads.image(staging, pos, offset, pgno, pageSize, dst, where, where);
        return true;
    }
}
