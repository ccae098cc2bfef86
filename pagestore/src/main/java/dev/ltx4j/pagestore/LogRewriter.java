package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.internal.TxnEntry;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;

/**
 * Rewrites of a {@link WriteBuffer}'s log ({@link WriteBuffer#markSynced}, {@link WriteBuffer#reset}) into a new
 * file generation that replaces the old one by rename, and the read handles the engine opens on each generation.
 * Used under the buffer's rewrite lock only, so one rewrite runs at a time.
 */
final class LogRewriter {
    private final WriteBuffer buffer;
    private final LogStorage storage;
    private final String name;
    private final int pageSize;
    private final int recordSize;
    private final Clock clock;
    private final RandomGenerator random;
    private ByteBuffer copyBuffer;
    /** Read handles opened so far; numbers them. */
    private long generations;

    LogRewriter(WriteBuffer buffer, LogStorage storage, String name, int pageSize, Clock clock,
            RandomGenerator random) {
        this.buffer = buffer;
        this.storage = storage;
        this.name = name;
        this.pageSize = pageSize;
        this.recordSize = LogFormat.PAGE_HEADER + pageSize;
        this.clock = clock;
        this.random = random;
    }

    /** Opens the file currently named by the buffer and copies its index (no rewrite runs meanwhile). */
    BufferGeneration openGeneration(Executor closer) throws IOException {
        return buffer.generation(LocalGeneration.open(storage, name, pageSize, ++generations, closer));
    }

    /** Copies transactions after {@code keepAfterSeq} (all dropped when -1) into a new generation. */
    void rewrite(long keepAfterSeq, BufferBase newBase, boolean whollyUnderSlot) throws IOException {
        if (whollyUnderSlot) {
            buffer.slot.acquireUninterruptibly();
        }
        boolean slotHeld = whollyUnderSlot;
        String next = name + WriteBuffer.NEXT_SUFFIX;
        LogFile target = null;
        boolean swapped = false;
        try {
            buffer.checkUsable();
            WriteBuffer.Held held = buffer.held(whollyUnderSlot ? -1 : keepAfterSeq);
            LogFile source = held.file();
            LogHeader old = held.header();
            List<TxnEntry> toCopy = held.after();
            long firstSeq = whollyUnderSlot ? held.lastSeq() + 1 : keepAfterSeq + 1;
            LogHeader fresh = new LogHeader(pageSize, old.writerId(), random.nextLong(), newBase.txid(),
                    newBase.postApplyChecksum(), newBase.commitSize(), firstSeq, clock.millis(), old.generation() + 1);
            TailCopier copier = new TailCopier(buffer, source, fresh, copyBuffer());
            try {
                target = storage.create(next);
                copier.start(target);
                long copiedUpTo = firstSeq - 1;
                for (TxnEntry e : toCopy) {
                    copier.copy(e);
                    copiedUpTo = e.seq();
                }
                if (!slotHeld) {
                    buffer.slot.acquireUninterruptibly(); // from here on no commit can interleave
                    slotHeld = true;
                    buffer.checkUsable();
                    for (TxnEntry e : buffer.held(copiedUpTo).after()) {
                        copier.copy(e);
                    }
                }
                copier.finish();
                target.force();
            } catch (IOException e) {
                WriteBuffer.closeQuietly(target, e);
                target = null;
                try {
                    storage.deleteIfExists(next);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e; // the old file is untouched and still current
            }
            buffer.forceLock.lock();
            try {
                try {
                    storage.replace(next, name);
                } catch (IOException e) {
                    WriteBuffer.closeQuietly(target, e);
                    target = null;
                    throw buffer.fail("rename of the rewritten log", e);
                }
                swapped = true;
                LogFile previous = buffer.install(target, fresh, copier.entries(), copier.end(), copier.chain());
                if (previous != null) {
                    WriteBuffer.closeQuietly(previous::closeReplaced, null); // renamed over: no tidying
                }
                try {
                    storage.syncDirectory();
                } catch (IOException e) {
                    throw buffer.fail("directory sync after rewriting the log", e);
                }
            } finally {
                buffer.forceLock.unlock();
            }
        } finally {
            if (slotHeld) {
                buffer.slot.release();
            }
            if (!swapped && target != null) {
                WriteBuffer.closeQuietly(target, null);
            }
        }
    }

    /** The rewrite's output buffer, reused across rewrites (guarded by rewriteLock). */
    private ByteBuffer copyBuffer() {
        if (copyBuffer == null) {
            copyBuffer = ByteBuffer.allocateDirect(Math.max(1 << 20, 2 * recordSize));
        }
        return copyBuffer.clear();
    }
}
