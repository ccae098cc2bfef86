package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.storage.LogStorage;
import java.io.IOException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps disk space for the rewrite after the next sync: a commit is refused ({@link BufferFullException},
 * {@code SQLITE_FULL}) when the usable space left after it would be less than the log's bytes, which is the most a
 * rewrite copies (docs/write-buffer-full-disk.md, "The reserve"). A transaction with no held one before it is exempt
 * (no rewrite copies it), and an unknown usable space (a failed lookup, a file system that reports no size)
 * refuses nothing.
 *
 * <p>Why: the rewrite copies the transactions committed after the synced ones into a new file. Without the reserve,
 * commits made during a sync's upload could take the space that copy needs, the rewrite failed, and the replica
 * stayed behind for good while the disk stayed full ({@link RewriteSpaceHold} only helps once freed space covers
 * the copy). With it the buffer grows to about half the usable space, and the rewrite always fits, unless another
 * writer on that disk takes the space.
 *
 * <p>Cost: the usable space is asked of the file system ({@code statvfs}) only when the log may have eaten a quarter
 * of the headroom measured last beyond {@link #MARGIN} (each appended byte takes one byte of space and adds one to
 * what a rewrite needs; the margin covers the log's preallocation steps and other writers), so on a roomy disk
 * almost never; within the margin of the limit, at every commit. Called under the writer slot.
 */
final class RewriteReserve {
    private static final Logger LOG = LoggerFactory.getLogger(RewriteReserve.class);
    /** Headroom below which every commit asks: a few preallocation steps (2 MiB) and what others write meanwhile. */
    static final long MARGIN = 32L << 20;

    private final LogStorage storage;
    /** Usable bytes minus log bytes at the last measurement; -1 before the first. */
    private long headroom = -1;
    /** The log's bytes at the last measurement. */
    private long measuredAt;
    /** Whether a failed lookup of the usable space was logged (once per buffer: it may fail at every commit). */
    private boolean lookupFailureLogged;

    RewriteReserve(LogStorage storage) {
        this.storage = storage;
    }

    /**
     * Throws when the usable space after a commit that ends the log at {@code logBytes} would be less than
     * {@code logBytes}. A transaction that no held (committed, untrimmed) transaction precedes is exempt
     * ({@code precededByHeld} false): no rewrite copies it (docs/write-buffer-full-disk.md, "The reserve").
     * {@code precededByHeld} is asked only when the headroom measured last may have run out: it takes the buffer's
     * state lock, which the commit path of every writer would otherwise take once more per commit.
     */
    void check(String location, long logBytes, long ownBytes, BooleanSupplier precededByHeld) throws IOException {
        long grown = Math.max(0, logBytes - measuredAt);
        if (headroom >= 0 && grown < (headroom - MARGIN) / 4) return; // half the headroom past the margin is left
        if (!precededByHeld.getAsBoolean()) return;
        long usable;
        try {
            usable = storage.usableSpace();
        } catch (IOException | RuntimeException e) {
            // Unknown is not full (a renamed directory, a container's missing mount point, NFS errors): the commit
            // goes on; a write that really finds no space still fails as a full disk.
            headroom = -1; // ask again next time
            if (!lookupFailureLogged) {
                lookupFailureLogged = true;
                LOG.warn("write buffer {}: cannot tell the usable space on its disk ({}); commits go on without the"
                        + " rewrite reserve until it can", location, e.toString());
            }
            return;
        }
        if (usable == Long.MAX_VALUE) { // not known (memory; a file system reporting no size): never refuse or ask again
            headroom = Long.MAX_VALUE;
            measuredAt = logBytes;
            return;
        }
        headroom = usable - logBytes;
        measuredAt = logBytes;
        if (headroom < 0) {
            headroom = -1; // ask again next time: space may be freed
            long older = logBytes - ownBytes;
            throw new BufferFullException(location, "write buffer " + location + " refused this transaction to keep"
                    + " space for the rewrite after the next sync: " + usable + " bytes are usable on that disk, this"
                    + " transaction adds " + ownBytes + " bytes and the buffer holds " + older + " bytes of older"
                    + " transactions not yet trimmed by a sync; the rewrite after that sync copies what follows the"
                    + " synced ones, so it may need up to " + logBytes + " bytes. Free space on that disk, or let a"
                    + " sync complete and trim the older transactions (a transaction with none before it in the"
                    + " buffer is not held to this reserve), or split the transaction",
                    null);
        }
    }
}
