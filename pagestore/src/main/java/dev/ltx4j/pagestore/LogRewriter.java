package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.internal.TxnEntry;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;

/**
 * Rewrites of a {@link WriteBuffer}'s log ({@link WriteBuffer#markSynced}, {@link WriteBuffer#reset}) into a new
 * file generation that replaces the old one by rename, and the read handles the engine opens on each generation.
 * Used under the buffer's rewrite lock only, so one rewrite runs at a time. Swaps the buffer's published state
 * ({@link #install}) under its state lock.
 */
final class LogRewriter {
    private final WriteBuffer buffer;
    private final LogStorage storage;
    private final String name;
    private final int pageSize;
    private final int recordSize;
    private final Clock clock;
    private final RandomGenerator random;
    /** Read handles opened so far; numbers them. */
    private long generations;
    /** The read handles opened on the current file (guarded by rewriteLock, as every method here). */
    private List<LocalGeneration> onCurrent = new ArrayList<>();
    /**
     * The read handles of the file kept as the spare (the one the last rewrite replaced), or null when no spare is
     * kept: the spare is written again only once they are all closed (no pinned version still reads it).
     */
    private List<LocalGeneration> onSpare;
    /**
     * Whether a rewrite of this instance made the current file. The file the buffer opened with may be read by
     * generations that an earlier instance on the same file opened (after the engine reopened a failed buffer), which
     * this instance cannot see, so it is never kept as the spare: only files this instance wrote are written again.
     */
    private boolean ownsCurrent;

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
        LocalGeneration g = LocalGeneration.open(storage, name, pageSize, ++generations, closer);
        onCurrent.add(g);
        buffer.stateLock.readLock().lock();
        try {
            return new BufferGeneration(g, List.copyOf(buffer.txns), buffer.header.baseCommit(), buffer.appendedSeq);
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** See {@link WriteBuffer#markSynced}: checks the arguments, then rewrites keeping what follows {@code upToSeq}. */
    void markSynced(long upToSeq, long newBaseTxid, long newBaseChecksum) throws IOException {
        BufferBase newBase;
        buffer.stateLock.readLock().lock();
        try {
            buffer.checkUsable();
            LogHeader header = buffer.header;
            long first = header.firstSeq();
            long appendedSeq = buffer.appendedSeq;
            if (upToSeq < first || upToSeq > appendedSeq) {
                throw new IllegalArgumentException("markSynced sequence " + upToSeq
                        + " is not a held transaction (held: " + first + ".." + appendedSeq + ")");
            }
            if (Long.compareUnsigned(newBaseTxid, header.baseTxid()) <= 0) {
                throw new IllegalArgumentException("markSynced TXID " + newBaseTxid
                        + " does not advance the buffer's base TXID " + header.baseTxid());
            }
            newBase = new BufferBase(newBaseTxid, newBaseChecksum,
                    buffer.txns.get((int) (upToSeq - first)).commitSize());
        } finally {
            buffer.stateLock.readLock().unlock();
        }
        rewrite(upToSeq, newBase, false);
    }

    /** Copies transactions after {@code keepAfterSeq} (all dropped when -1) into a new generation. */
    void rewrite(long keepAfterSeq, BufferBase newBase, boolean whollyUnderSlot) throws IOException {
        if (whollyUnderSlot) {
            buffer.slot.acquireUninterruptibly();
        }
        boolean slotHeld = whollyUnderSlot;
        String next = name + WriteBuffer.NEXT_SUFFIX;
        LogFile target = null;
        ByteBuffer copy = null;
        boolean swapped = false;
        try {
            buffer.checkUsable();
            Held held = held(whollyUnderSlot ? -1 : keepAfterSeq);
            LogFile source = held.file();
            LogHeader old = held.header();
            List<TxnEntry> toCopy = held.after();
            long firstSeq = whollyUnderSlot ? held.lastSeq() + 1 : keepAfterSeq + 1;
            LogHeader fresh;
            TailCopier copier;
            boolean kept;
            boolean reused;
            // Before a target exists: at the direct memory limit this throws a RuntimeException, which the catch
            // below (IOException only) would let leave <name>.next behind. Shared by the process's rewrites and
            // given back at the end (DirectBufferPool), not kept by each buffer.
            copy = DirectBufferPool.take(Math.max(1 << 20, 2 * recordSize), "the write buffer's rewrite");
            try {
                target = reusedSpare(next);
                reused = target != null;
                if (target == null) {
                    target = storage.create(next);
                }
                // A reused file names how far its old bytes reach, for the torn-tail decision after a crash.
                fresh = new LogHeader(pageSize, old.writerId(), random.nextLong(), newBase.txid(),
                        newBase.postApplyChecksum(), newBase.commitSize(), firstSeq, clock.millis(),
                        old.generation() + 1, target.staleEnd());
                copier = new TailCopier(buffer, source, old, fresh, copy);
                // The file this rewrite replaces stays as the spare the next one writes into: its space is allocated
                // and written, so the commits after that rewrite need no zero-filled room (docs/sync-cost.md).
                kept = keepSpare();
                copier.start(target);
                long copiedUpTo = firstSeq - 1;
                for (TxnEntry e : toCopy) {
                    copier.copy(e);
                    copiedUpTo = e.seq();
                }
                if (!slotHeld) {
                    reserveRoom(copier, target, reused);
                    buffer.slot.acquireUninterruptibly(); // from here on no commit can interleave
                    slotHeld = true;
                    buffer.checkUsable();
                    for (TxnEntry e : held(copiedUpTo).after()) {
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
                if (buffer.failure != null) {
                    // A commit's force failed while this rewrite copied: installing would set durableSeq over that
                    // commit. Nothing is replaced (docs/write-buffer-recovery.md, "After a failed fsync").
                    WriteBuffer.closeQuietly(target, null);
                    target = null;
                    throw new StoppedBeforeRename(buffer.location(), buffer.failure);
                }
                try {
                    storage.replace(next, name);
                } catch (IOException e) {
                    WriteBuffer.closeQuietly(target, e);
                    target = null;
                    throw buffer.fail("rename of the rewritten log", e);
                }
                swapped = true;
                onSpare = kept ? onCurrent : null;
                onCurrent = new ArrayList<>();
                ownsCurrent = true;
                LogFile previous = install(target, fresh, copier.entries(), copier.end(), copier.chain());
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
            DirectBufferPool.give(copy);
        }
    }

    /** The spare opened as {@code next}, or null when there is none or a pinned version may still read it. */
    private LogFile reusedSpare(String next) throws IOException {
        List<LocalGeneration> readers = onSpare;
        if (readers == null || !readers.stream().allMatch(LocalGeneration::isClosed)) {
            return null;
        }
        onSpare = null;
        try {
            // Keeps what the room for the next interval needs, so a spare left large by a bulk load shrinks back.
            return storage.reuse(name + WriteBuffer.SPARE_SUFFIX, next, Math.max(room(), MIN_SPARE));
        } catch (IOException e) {
            return null; // an optimisation only: create a new file (which replaces a half-made next)
        }
    }

    /** Deletes the spare (a closing buffer); returns the failure, if any. Callers hold rewriteLock. */
    IOException dropSpare() {
        onSpare = null;
        try {
            storage.deleteIfExists(name + WriteBuffer.SPARE_SUFFIX);
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    /**
     * Keeps the current file as the spare (replacing the older one); false when the storage cannot, or when this
     * instance did not write the file (see {@link #ownsCurrent}).
     */
    private boolean keepSpare() {
        onSpare = null; // the older spare goes, whatever happens next
        if (!ownsCurrent) {
            return false;
        }
        try {
            return storage.keepAs(name, name + WriteBuffer.SPARE_SUFFIX);
        } catch (IOException e) {
            return false; // an optimisation only: the next rewrite allocates a new file
        }
    }

    /**
     * Leaves room in the new file for the commits of the next sync interval: as much as the current file holds
     * (about what one interval appends, plus the tail copied), a quarter more, at most {@link #MAX_ROOM}. The zeros
     * and the tail copied so far are forced here, before the writer slot is taken: commits neither write nor flush
     * the room's zeros, and the forced copy under the slot is only what was committed meanwhile. Storage that does
     * not preallocate (a simulated disk) reserves nothing and gets no extra force.
     */
    private void reserveRoom(TailCopier copier, LogFile target, boolean reused) throws IOException {
        long room = room();
        boolean filled = target.reserve(Math.max(copier.end(), room));
        // A reused spare needs no zeros, but the tail copied so far is still forced before the slot is taken, so
        // the force under the slot (which blocks commits) covers only what was committed meanwhile.
        if (filled || reused && copier.end() > LogHeader.SIZE) {
            copier.finish(); // the copy's staged records go out with the zeros' force (they overwrite zeros)
            target.force();
        }
    }

    /** Room for the next interval: what the current file holds plus a quarter, at most {@link #MAX_ROOM}. */
    private long room() {
        return Math.min(buffer.logSize() + buffer.logSize() / 4, MAX_ROOM);
    }

    /** The most room a rewrite zero-fills ahead (a bulk load's huge log falls back to the appender's steps). */
    static final long MAX_ROOM = 64L * 1024 * 1024;
    /** A reused spare keeps at least this much of its space (a quiet interval does not shrink it to nothing). */
    static final long MIN_SPARE = 1024 * 1024;

    /** The current file and header with the held transactions after {@code seq} (all after the latest when -1). */
    private record Held(LogFile file, LogHeader header, List<TxnEntry> after, long lastSeq) {}

    private Held held(long afterSeq) {
        buffer.stateLock.readLock().lock();
        try {
            long keep = afterSeq < 0 ? buffer.appendedSeq : afterSeq;
            List<TxnEntry> after = new ArrayList<>();
            for (TxnEntry e : buffer.txns) {
                if (e.seq() > keep) {
                    after.add(e);
                }
            }
            return new Held(buffer.file, buffer.header, after, buffer.appendedSeq);
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** The buffer stopped before the rewrite's rename: the old file is still current, nothing was replaced. */
    static final class StoppedBeforeRename extends BufferFailedException {
        StoppedBeforeRename(String location, IOException failure) {
            super(location, "write buffer " + location + " stopped during a rewrite, before its rename (nothing"
                    + " replaced): " + failure.getMessage(), failure);
        }
    }

    /** Makes a rewritten file current (callers hold the slot and forceLock); returns the replaced file. */
    private LogFile install(LogFile target, LogHeader fresh, List<TxnEntry> entries, long end,
            LogFormat.Chain newChain) {
        buffer.stateLock.writeLock().lock();
        try {
            LogFile previous = buffer.file;
            buffer.file = target;
            buffer.header = fresh;
            buffer.txns = entries;
            buffer.index = TxnEntry.latest(entries, Long.MAX_VALUE);
            buffer.commitSize = entries.isEmpty() ? fresh.baseCommit() : entries.get(entries.size() - 1).commitSize();
            buffer.appender.moveTo(target, end, newChain);
            buffer.durableSeq = buffer.appendedSeq;
            return previous;
        } finally {
            buffer.stateLock.writeLock().unlock();
        }
    }
}
