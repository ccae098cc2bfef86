package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.storage.LogFile;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The writer side of a {@link WriteBuffer}'s log: stages the open transaction's records (encoded by
 * {@link LogFormat}) and appends them to the current file, keeping the checksum chain. Guarded by the buffer's
 * writer slot; a rewrite repositions it ({@link #moveTo}) while holding the slot.
 */
final class LogAppender {
    private final WriteBuffer buffer;
    private final int pageSize;
    private final int recordSize;
    private final ByteBuffer staging;
    private LogFile file;
    private LogFormat.Chain chain;
    private long appendEnd;
    private long flushedEnd;

    LogAppender(WriteBuffer buffer, int pageSize, int stagingBytes, LogFile file, LogFormat.Chain chain, long end) {
        this.buffer = buffer;
        this.pageSize = pageSize;
        this.recordSize = LogFormat.PAGE_HEADER + pageSize;
        this.staging = ByteBuffer.allocateDirect(Math.max(stagingBytes, recordSize + LogFormat.COMMIT_SIZE));
        moveTo(file, end, chain);
    }

    /** Continues on a rewritten file that ends at {@code end} with checksum chain {@code newChain}. */
    void moveTo(LogFile target, long end, LogFormat.Chain newChain) {
        this.file = target;
        this.appendEnd = end;
        this.flushedEnd = end;
        this.chain = newChain;
    }

    /** End of the log including staged records. */
    long end() {
        return appendEnd;
    }

    /** CRC of the last record, where a transaction that starts now chains from. */
    int chainPrevious() {
        return chain.previous();
    }

    /** Stages the page record of {@code page}'s remaining bytes (one page); returns the record's offset. */
    long appendPage(int pgno, ByteBuffer page) throws IOException {
        if (staging.remaining() < recordSize) {
            flush();
        }
        long offset = appendEnd;
        LogFormat.putPageRecord(staging, pgno, page.duplicate(), chain);
        appendEnd += recordSize;
        return offset;
    }

    /** Makes room for a commit record in the staging area. */
    void reserveCommit() throws IOException {
        if (staging.remaining() < LogFormat.COMMIT_SIZE) {
            flush();
        }
    }

    /** Appends a commit record after {@link #reserveCommit()} and writes everything staged; returns the new end. */
    long appendCommit(int records, long seq, long commitSize, long millis, long forcedDistance) throws IOException {
        LogFormat.putCommitRecord(staging, records, seq, commitSize, millis, forcedDistance, chain);
        appendEnd += LogFormat.COMMIT_SIZE;
        flush();
        return appendEnd;
    }

    private void flush() throws IOException {
        if (staging.position() == 0) {
            return;
        }
        staging.flip();
        try {
            file.write(flushedEnd, staging);
        } catch (IOException e) {
            throw buffer.fail("log write", e);
        }
        flushedEnd = appendEnd;
        staging.clear();
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
    }

    /** Copies the image of the page record at {@code offset} if it is still staged; false when it was written. */
    boolean readStaged(long offset, byte[] dst) {
        if (offset < flushedEnd) {
            return false;
        }
        staging.duplicate().position((int) (offset - flushedEnd) + LogFormat.PAGE_HEADER).get(dst, 0, pageSize);
        return true;
    }
}
