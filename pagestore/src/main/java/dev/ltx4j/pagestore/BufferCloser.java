package dev.ltx4j.pagestore;

import java.io.IOException;

/**
 * Closes a {@link WriteBuffer}: takes its locks in the order a rewrite takes them (rewrite lock, writer slot, force
 * lock, state lock), forces and closes the log file, then releases the process lock; never deletes the buffer.
 */
final class BufferCloser {
    private BufferCloser() {}

    /** See {@link WriteBuffer#close()}. */
    static void close(WriteBuffer b) throws IOException {
        b.rewriteLock.lock(); // before the slot: a running markSynced takes the slot while holding this
        if (!b.slot.tryAcquire()) {
            b.rewriteLock.unlock();
            throw new IllegalStateException("a write transaction is still open on write buffer " + b.location()
                    + "; commit or roll it back before closing");
        }
        try {
            if (b.closed) {
                return;
            }
            IOException first = null;
            b.forceLock.lock();
            b.stateLock.writeLock().lock();
            try {
                b.closed = true;
                try {
                    if (b.failure == null) {
                        b.file.force(); // even with Durability.NONE: a clean shutdown must not depend on luck
                    }
                } catch (IOException e) {
                    first = e;
                }
                try {
                    b.file.close();
                } catch (IOException e) {
                    first = addTo(first, e);
                }
            } finally {
                b.stateLock.writeLock().unlock();
                b.forceLock.unlock();
            }
            first = addTo(first, b.rewriter.dropSpare()); // the previous log, kept for the next rewrite
            try {
                b.storageLock.close();
            } catch (IOException e) {
                first = addTo(first, e);
            }
            if (first != null) {
                throw new WriteBufferException(b.location(), "closing write buffer " + b.location() + " failed",
                        first);
            }
        } finally {
            b.rewriteLock.unlock();
            b.slot.release();
        }
    }

    private static IOException addTo(IOException first, IOException next) {
        if (next == null) {
            return first;
        }
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
