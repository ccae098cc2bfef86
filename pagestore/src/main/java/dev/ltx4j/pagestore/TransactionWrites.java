package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.internal.TxnEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.function.BooleanSupplier;

/**
 * The open write transaction's work on its {@link WriteBuffer}: page records appended, its own pages read back, the
 * commit record (which publishes the transaction to the buffer's state) and the rollback. Runs under the writer slot
 * ({@link WriteBuffer#begin()}); {@link WriteTransaction} is its only caller.
 */
final class TransactionWrites {
    private final WriteBuffer buffer;
    private final Clock clock;
    /** Refuses a commit that would leave less usable space than the rewrite after the next sync may need. */
    private final RewriteReserve reserve;
    /** {@link #precededByHeld()}, made once: the reserve asks it only near its limit (no allocation per commit). */
    private final BooleanSupplier heldCheck = this::precededByHeld;

    TransactionWrites(WriteBuffer buffer, Clock clock, RewriteReserve reserve) {
        this.buffer = buffer;
        this.clock = clock;
        this.reserve = reserve;
    }

    void appendPage(WriteTransaction tx, long pgno, ByteBuffer page) throws IOException {
        int key = WriteBuffer.checkPgno(pgno);
        if (page.remaining() != buffer.pageSize()) {
            throw new IllegalArgumentException("page " + pgno + " has " + page.remaining()
                    + " bytes but the buffer's page size is " + buffer.pageSize());
        }
        buffer.checkUsable();
        checkNotCut(tx);
        tx.pages.put(key, buffer.appender.appendPage(key, page));
        tx.records++;
    }

    /**
     * The reserve check of {@link #appendCommit}, made ahead of it with the pages written so far: a transaction across
     * several databases ignores a refusal at its second commit phase, so the VFS asks at the first one, where every
     * database still rolls back (docs/attached-databases.md). The refusal leaves the records to the caller's rollback.
     */
    void checkReserve(WriteTransaction tx) throws IOException {
        buffer.checkUsable();
        checkNotCut(tx);
        LogAppender appender = buffer.appender;
        try {
            reserve.check(buffer.location(), appender.end(), appender.end() - tx.startOffset, heldCheck);
        } catch (BufferFullException e) {
            buffer.fullDisk = e.getMessage(); // litestream_status()'s last_error, as for a full disk
            throw e;
        }
        tx.reserveCheckedAt = appender.end();
    }

    long appendCommit(WriteTransaction tx, long newCommitSize) throws IOException {
        if (newCommitSize < 0 || newCommitSize > LogFormat.MAX_PGNO) {
            throw new IllegalArgumentException(
                    "commit size " + newCommitSize + " is outside 0.." + LogFormat.MAX_PGNO + " pages");
        }
        buffer.checkUsable();
        checkNotCut(tx);
        LogAppender appender = buffer.appender;
        try {
            // An approved first phase binds the second when nothing was appended since: what the other databases of
            // the transaction write in between is within the reserve's margin (docs/attached-databases.md).
            if (appender.end() != tx.reserveCheckedAt) {
                reserve.check(buffer.location(), appender.end(), appender.end() - tx.startOffset, heldCheck);
            }
        } catch (BufferFullException e) {
            appender.rollback(tx.startOffset, tx.startChain, false); // the refused transaction leaves no record
            buffer.fullDisk = e.getMessage(); // litestream_status()'s last_error, as for a full disk
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            // Whatever else fails here, the transaction leaves no record: the caller's rollback comes after the
            // writer slot was released and does nothing, and a stray record would break the next commit's count.
            try {
                appender.rollback(tx.startOffset, tx.startChain, false);
            } catch (IOException | RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e;
        }
        appender.reserveCommit();
        long seq = buffer.appendedSeq + 1;
        long millis = clock.millis();
        // Vouches for what is already forced, so recovery can tell later damage from a torn tail.
        long end = appender.appendCommit(tx.records, seq, newCommitSize, millis, seq - buffer.durableSeq);
        TxnEntry entry = TxnEntry.of(seq, newCommitSize, millis, tx.pages, end);
        buffer.stateLock.writeLock().lock();
        try {
            buffer.txns.add(entry);
            for (int i = 0; i < entry.pgnos().length; i++) {
                buffer.index.put(entry.pgnos()[i], entry.offsets()[i]);
            }
            if (newCommitSize < buffer.commitSize) {
                buffer.index.removeAbove(newCommitSize);
            }
            buffer.commitSize = newCommitSize;
            buffer.appendedSeq = seq;
            buffer.fullDisk = null;
        } finally {
            buffer.stateLock.writeLock().unlock();
        }
        return seq;
    }

    /** Whether a committed transaction not yet trimmed by a sync precedes the one committing (under the slot). */
    private boolean precededByHeld() {
        buffer.stateLock.readLock().lock();
        try {
            return !buffer.txns.isEmpty();
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    void rollback(WriteTransaction tx) throws IOException {
        // A transaction a full disk cut off has no records left: the cut already rolled it back.
        LogAppender appender = buffer.appender;
        appender.rollback(tx.startOffset, tx.startChain,
                buffer.failure != null || buffer.closed || tx.cuts != appender.cuts());
    }

    /** A transaction a full disk cut off can only be rolled back. */
    private void checkNotCut(WriteTransaction tx) throws BufferFullException {
        if (tx.cuts != buffer.appender.cuts()) {
            throw new BufferFullException(buffer.location(), "this transaction on write buffer " + buffer.location()
                    + " failed on a full disk and was cut off; roll it back and retry", null);
        }
    }

    boolean readOwn(WriteTransaction tx, long pgno, byte[] dst) throws IOException {
        int key = WriteBuffer.checkPgno(pgno);
        buffer.checkDst(dst);
        long offset = tx.pages.get(key);
        if (offset < 0) {
            return buffer.readPage(pgno, dst);
        }
        buffer.checkUsable();
        checkNotCut(tx);
        if (!buffer.appender.readStaged(offset, pgno, dst)) {
            buffer.reads().readRecordPage(buffer.file, offset, pgno, dst);
        }
        return true;
    }
}
