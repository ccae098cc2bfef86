package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.IntLongMap;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The single open write transaction of a {@link WriteBuffer}, from {@link WriteBuffer#begin()}. Page images are
 * appended to the log as they are written; nothing is visible to other readers until {@link #commit(long)}.
 * Closing without committing rolls back. Use from one thread at a time.
 */
public final class WriteTransaction implements AutoCloseable {
    private final WriteBuffer buffer;
    final IntLongMap pages = new IntLongMap(4); // grows; most transactions write a few pages
    final long startOffset;
    final int startChain;
    /** The buffer's count of full-disk cuts at begin: a later cut killed this transaction. */
    final long cuts;
    int records;
    /** The log end {@link #checkCommit()} approved; -1 before. The commit checks again only past it. */
    long reserveCheckedAt = -1;
    private boolean finished;
    /** Sequence number of the written commit record; -1 before {@link #commitWritten}. */
    private long committedSeq = -1;

    WriteTransaction(WriteBuffer buffer, long startOffset, int startChain, long cuts) {
        this.buffer = buffer;
        this.cuts = cuts;
        this.startOffset = startOffset;
        this.startChain = startChain;
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("write transaction already committed or rolled back");
        }
    }

    /** Appends a full page image ({@code page.length == pageSize}). Rewriting a page replaces its image. */
    public void writePage(long pgno, byte[] page) throws IOException {
        writePage(pgno, ByteBuffer.wrap(page));
    }

    /** Appends the {@code pageSize} remaining bytes of {@code page} (its position is not changed). */
    public void writePage(long pgno, ByteBuffer page) throws IOException {
        checkOpen();
        buffer.writes.appendPage(this, pgno, page);
    }

    /**
     * Reads the newest image of {@code pgno} visible to this transaction: its own uncommitted write, else the
     * buffer's latest committed image.
     *
     * @return false when neither has the page (the caller reads it from the replica)
     */
    public boolean readPage(long pgno, byte[] dst) throws IOException {
        checkOpen();
        return buffer.writes.readOwn(this, pgno, dst);
    }

    /**
     * Commits with the database at {@code commitSize} pages afterwards (pages above it, from this or earlier
     * transactions, stop being part of the database). Returns after the commit record is written and, unless
     * durability is {@link Durability#NONE}, forced to disk.
     *
     * @return the transaction's sequence number
     * @throws BufferFullException   if the disk is full: the transaction did not commit, the buffer works on
     * @throws BufferFailedException if the write or force failed: the outcome is then unknown until reopen
     */
    public long commit(long commitSize) throws IOException {
        long seq = commitWritten(commitSize);
        awaitDurable();
        return seq;
    }

    /**
     * Refuses now what {@link #commitWritten} would refuse for lack of space to keep for the rewrite after the next
     * sync ({@link BufferFullException}), judged on the pages written so far; the transaction stays open (roll it
     * back). For callers that can still undo more than this transaction at this point (SQLite's first commit phase).
     */
    public void checkCommit() throws IOException {
        checkOpen();
        buffer.writes.checkReserve(this);
    }

    /**
     * The first half of {@link #commit(long)}: writes the commit record and ends the transaction, but returns before
     * the record is forced. The commit is not durable until {@link #awaitDurable()} returns, so nothing may treat it
     * as committed before that (acknowledge it, show it to readers); work that only prepares (builds what will be
     * published) can run in between, on the caches the write left warm, instead of after the fsync's sleep.
     *
     * @return the transaction's sequence number
     */
    public long commitWritten(long commitSize) throws IOException {
        checkOpen();
        finished = true;
        try {
            committedSeq = buffer.writes.appendCommit(this, commitSize);
        } catch (IllegalArgumentException e) {
            finished = false;
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            buffer.releaseSlot();
            throw e;
        }
        buffer.releaseSlot();
        return committedSeq;
    }

    /**
     * After {@link #commitWritten}: waits until the commit is on disk per the buffer's durability (a no-op for
     * {@link Durability#NONE}); concurrent committers share a force.
     *
     * @throws BufferFailedException if the force failed: the outcome is then unknown until reopen
     */
    public void awaitDurable() throws IOException {
        if (committedSeq < 0) {
            throw new IllegalStateException("awaitDurable before commitWritten");
        }
        buffer.awaitDurable(committedSeq);
    }

    /**
     * Where this transaction's last image of {@code pgno} lies: the offset of its record in the buffer file
     * generation the transaction wrote to (readable through a {@link LocalGeneration} of that file), or -1 when this
     * transaction did not write that page (or {@code pgno} is outside 1..2^32-1). Stays valid after
     * {@link #commit(long)}, so a committed transaction's pages can be served from that generation; after a rollback
     * the records are gone and the offsets mean nothing. Same thread rules as the rest of the transaction.
     */
    public long recordOffset(long pgno) {
        if (pgno < 1 || pgno > 0xFFFF_FFFFL) {
            return -1;
        }
        return pages.get((int) pgno);
    }

    /** Discards everything this transaction wrote. */
    public void rollback() throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        try {
            buffer.writes.rollback(this);
        } finally {
            buffer.releaseSlot();
        }
    }

    /** Rolls back unless committed. */
    @Override
    public void close() throws IOException {
        rollback();
    }
}
