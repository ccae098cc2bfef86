package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.IntLongMap;
import dev.ltx4j.pagestore.internal.TxnEntry;
import java.util.List;

/**
 * A read handle on one generation of a write buffer's log file ({@link WriteBuffer#openGeneration(java.util.concurrent.Executor)}) with the
 * buffer's index of the transactions it held then: where their pages moved to after a rewrite, without rereading
 * the file or rebuilding the index. Immutable; the handle itself is reference counted ({@link LocalGeneration}).
 */
public final class BufferGeneration {
    private final LocalGeneration generation;
    private final List<TxnEntry> held;
    private final long baseCommit;
    private final long lastSeq;

    BufferGeneration(LocalGeneration generation, List<TxnEntry> held, long baseCommit, long lastSeq) {
        this.generation = generation;
        this.held = held;
        this.baseCommit = baseCommit;
        this.lastSeq = lastSeq;
    }

    /** The handle on the file (the caller owns its first reference). */
    public LocalGeneration generation() {
        return generation;
    }

    /** Sequence number of the latest committed transaction when the generation was opened. */
    public long lastSeq() {
        return lastSeq;
    }

    /** Whether the buffer held no unsynced transaction when the generation was opened. */
    public boolean isEmpty() {
        return held.isEmpty();
    }

    /**
     * This generation as if the transactions after {@code seq} were not held: a stopped buffer's log holds a
     * transaction whose commit failed (its force did), which no version may show (docs/write-buffer-recovery.md,
     * "After a failed fsync"). Returns this when nothing is dropped.
     */
    public BufferGeneration upTo(long seq) {
        if (lastSeq <= seq) {
            return this;
        }
        int n = held.size();
        while (n > 0 && held.get(n - 1).seq() > seq) {
            n--;
        }
        return new BufferGeneration(generation, held.subList(0, n), baseCommit, seq);
    }

    /** Database size in pages after the latest held transaction (the base's size when none is held). */
    public long commitSize() {
        return held.isEmpty() ? baseCommit : held.get(held.size() - 1).commitSize();
    }

    /** The record of each page's latest image among the held transactions up to {@code upToSeq}. */
    public PageRecords latest(long upToSeq) {
        IntLongMap at = TxnEntry.latest(held, upToSeq);
        int[] keys = at.sortedKeys();
        long[] pgnos = new long[keys.length];
        long[] offsets = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            pgnos[i] = Integer.toUnsignedLong(keys[i]);
            offsets[i] = at.get(keys[i]);
        }
        return new PageRecords(pgnos, offsets);
    }
}
