package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.IntLongMap;
import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.internal.TxnEntry;
import dev.ltx4j.pagestore.storage.LogFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads of a {@link WriteBuffer}'s held (committed) transactions: the latest image of a page, consistent snapshots
 * for the syncer ({@link WriteBuffer#snapshot(long)}, {@link WriteBuffer#transactionSnapshots(long)}) and the page
 * reads those snapshots make, and the queries about what is held. Reads the published state under the state lock.
 */
final class HeldReads {
    private final WriteBuffer buffer;
    /**
     * After the buffer stopped: the held transactions a sync uploaded since (the first {@code count} of its list,
     * through sequence number {@code seq}, ending at file offset {@code end}) and the replica state they made. Kept in
     * memory only: the file is not rewritten on a disk that failed (docs/write-buffer-recovery.md, "After a failed
     * fsync"). Null until then; written under the state write lock.
     */
    private volatile Uploaded uploaded;

    private record Uploaded(long seq, BufferBase base, int count, long end) {}

    HeldReads(WriteBuffer buffer) {
        this.buffer = buffer;
    }

    /** See {@link WriteBuffer#writerId()}. */
    long writerId() {
        buffer.stateLock.readLock().lock();
        try {
            return buffer.header.writerId();
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** See {@link WriteBuffer#base()}. */
    BufferBase base() {
        buffer.stateLock.readLock().lock();
        try {
            return heldBase();
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** The replica state the held transactions build on; callers hold the state lock. */
    private BufferBase heldBase() {
        Uploaded u = uploaded;
        return u != null ? u.base()
                : new BufferBase(buffer.header.baseTxid(), buffer.header.baseChecksum(), buffer.header.baseCommit());
    }

    /** The held transactions a sync has not uploaded, oldest first; callers hold the state lock. */
    private List<TxnEntry> held() {
        Uploaded u = uploaded;
        return u == null ? buffer.txns : buffer.txns.subList(u.count(), buffer.txns.size());
    }

    /** Sequence number of the first of {@link #held()}; callers hold the state lock. */
    private long heldFirstSeq() {
        Uploaded u = uploaded;
        return u == null ? buffer.header.firstSeq() : u.seq() + 1;
    }

    /** File offset where the first of {@link #held()} starts; callers hold the state lock. */
    private long heldStart() {
        Uploaded u = uploaded;
        return u == null ? LogHeader.SIZE : u.end();
    }

    /**
     * Throws unless a sync may read the held transactions up to {@code upToSeq}: the buffer is open and works, or it
     * stopped and they are in its durable prefix (their commits' force succeeded before the failure; what came after
     * may be lost from the disk while its page cache looks clean, and its commits failed).
     */
    private void checkReadable(long upToSeq) throws IOException {
        String where = buffer.location();
        if (buffer.closed) {
            throw new WriteBufferException(where, "write buffer " + where + " is closed");
        }
        IOException f = buffer.failure;
        if (f != null && upToSeq > buffer.uploadableSeq()) {
            throw new BufferFailedException(where, "write buffer " + where + " stopped after an I/O failure; only its"
                    + " transactions through sequence number " + buffer.durableSeq + " were forced to its disk before"
                    + " it, so a sync uploads those and refuses the rest (their commits failed); reopen it to recover: "
                    + f.getMessage(), f);
        }
    }

    /** The last sequence number a sync uploaded from the stopped buffer, or -1. */
    long uploadedWhileStopped() {
        Uploaded u = uploaded;
        return u == null ? -1 : u.seq();
    }

    /** See {@link WriteBuffer#markSynced} on a stopped buffer: remembers the upload, writes nothing. */
    void markUploadedWhileStopped(long upToSeq, long newBaseTxid, long newBaseChecksum) throws IOException {
        buffer.stateLock.writeLock().lock();
        try {
            checkReadable(upToSeq);
            List<TxnEntry> held = held();
            long first = heldFirstSeq();
            if (upToSeq < first || upToSeq > buffer.appendedSeq) {
                throw new IllegalArgumentException("markSynced sequence " + upToSeq
                        + " is not a held transaction (held: " + first + ".." + buffer.appendedSeq + ")");
            }
            BufferBase base = heldBase();
            if (Long.compareUnsigned(newBaseTxid, base.txid()) <= 0) {
                throw new IllegalArgumentException("markSynced TXID " + newBaseTxid
                        + " does not advance the buffer's base TXID " + base.txid());
            }
            int n = (int) (upToSeq - first + 1);
            TxnEntry last = held.get(n - 1);
            Uploaded u = uploaded;
            uploaded = new Uploaded(upToSeq, new BufferBase(newBaseTxid, newBaseChecksum, last.commitSize()),
                    (u == null ? 0 : u.count()) + n, last.endOffset());
        } finally {
            buffer.stateLock.writeLock().unlock();
        }
    }

    /** See {@link WriteBuffer#commitSize()}. */
    long commitSize() {
        buffer.stateLock.readLock().lock();
        try {
            return buffer.commitSize;
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** See {@link WriteBuffer#logSize()}. */
    long logSize() {
        buffer.stateLock.readLock().lock();
        try {
            return buffer.appender.end();
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** See {@link WriteBuffer#readPage(long, byte[])}; {@code key} is the checked page number. */
    boolean readPage(int key, byte[] dst) throws IOException {
        buffer.checkDst(dst);
        buffer.stateLock.readLock().lock();
        try {
            buffer.checkUsable();
            long offset = buffer.index.get(key);
            if (offset < 0) {
                return false;
            }
            readRecordPage(buffer.file, offset, Integer.toUnsignedLong(key), dst);
            return true;
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /**
     * Copies (or decompresses) the page image of the record at {@code offset} in {@code from}; a short read, another
     * record or a damaged block is corruption.
     */
    void readRecordPage(LogFile from, long offset, long pgno, byte[] dst) throws IOException {
        PageRecordReads.readImage(from, offset, pgno, buffer.pageSize(), dst, buffer.location(), buffer.location());
    }

    /** See {@link WriteBuffer#oldestCommitMillisAfter(long)}. */
    long oldestCommitMillisAfter(long seq) {
        buffer.stateLock.readLock().lock();
        try {
            for (TxnEntry e : buffer.txns) {
                if (e.seq() > seq) {
                    return e.commitMillis();
                }
            }
            return -1;
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** See {@link WriteBuffer#pageRecordsAfter(long)}. */
    long pageRecordsAfter(long seq) {
        buffer.stateLock.readLock().lock();
        try {
            long n = 0;
            for (TxnEntry e : buffer.txns) {
                if (e.seq() > seq) {
                    n += e.pageCount();
                }
            }
            return n;
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** See {@link WriteBuffer#transactions()}. */
    List<CommittedTransaction> transactions() {
        buffer.stateLock.readLock().lock();
        try {
            List<TxnEntry> held = held();
            List<CommittedTransaction> out = new ArrayList<>(held.size());
            for (TxnEntry e : held) {
                List<PageLocation> pages = new ArrayList<>(e.pageCount());
                for (int i = 0; i < e.pageCount(); i++) {
                    pages.add(new PageLocation(Integer.toUnsignedLong(e.pgnos()[i]), e.offsets()[i]));
                }
                out.add(new CommittedTransaction(e.seq(), e.commitSize(), e.commitMillis(), pages));
            }
            return out;
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** See {@link WriteBuffer#snapshot(long)}. */
    SyncSnapshot snapshot(long upToSeq) throws IOException {
        awaitDurable(upToSeq);
        buffer.stateLock.readLock().lock();
        try {
            checkReadable(upToSeq);
            LogHeader header = buffer.header;
            List<TxnEntry> txns = held();
            long first = heldFirstSeq();
            if (upToSeq < first - 1 || upToSeq > buffer.appendedSeq) {
                throw new IllegalArgumentException("snapshot sequence " + upToSeq + " is outside the held range "
                        + (first - 1) + ".." + buffer.appendedSeq);
            }
            BufferBase base = heldBase();
            long size = base.commitSize();
            int count = 0;
            for (TxnEntry e : txns) {
                if (e.seq() > upToSeq) {
                    break;
                }
                size = e.commitSize();
                count++;
            }
            int[] pgnos;
            long[] offsets;
            if (count == 1) {
                // One transaction: its index already is the answer (ascending, none above its size; never changed).
                pgnos = txns.get(0).pgnos();
                offsets = txns.get(0).offsets();
            } else {
                IntLongMap pages = TxnEntry.latest(txns, upToSeq);
                pgnos = pages.sortedKeys();
                offsets = new long[pgnos.length];
                for (int i = 0; i < pgnos.length; i++) {
                    offsets[i] = pages.get(pgnos[i]);
                }
            }
            return new SyncSnapshot(buffer, base, first, upToSeq, count, size, header.generation(), pgnos,
                    offsets, SyncSnapshot.RecordChain.of(header, txns, heldStart(), count, offsets));
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** See {@link WriteBuffer#transactionSnapshots(long)}. */
    List<SyncSnapshot> transactionSnapshots(long upToSeq) throws IOException {
        awaitDurable(upToSeq);
        buffer.stateLock.readLock().lock();
        try {
            checkReadable(upToSeq);
            LogHeader header = buffer.header;
            List<SyncSnapshot> out = new ArrayList<>();
            long start = heldStart();
            BufferBase base = heldBase();
            for (TxnEntry e : held()) {
                if (e.seq() > upToSeq) {
                    break;
                }
                out.add(new SyncSnapshot(buffer, base, e.seq(), e.seq(), 1, e.commitSize(),
                        header.generation(), e.pgnos(), e.offsets(),
                        SyncSnapshot.RecordChain.ofTransaction(header, start, e.offsets())));
                start = e.endOffset();
            }
            return out;
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /**
     * A stopped buffer forces nothing more (a retried fsync may report success for data the kernel dropped):
     * {@link #checkReadable} bounds its reads to what was forced before.
     */
    private void awaitDurable(long upToSeq) throws IOException {
        if (!buffer.stopped()) {
            buffer.awaitDurable(upToSeq);
        }
    }

    /**
     * Reads one page of a snapshot through {@code upToSeq} taken in {@code generation} (refused once a rewrite
     * replaced that file, or past the durable prefix once the buffer stopped).
     */
    void readSnapshotPage(long generation, long upToSeq, long offset, long pgno, byte[] dst) throws IOException {
        buffer.checkDst(dst);
        buffer.stateLock.readLock().lock();
        try {
            checkGeneration(generation, upToSeq);
            readRecordPage(buffer.file, offset, pgno, dst);
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /**
     * Reads the buffer file's bytes from {@code offset} into {@code dst} (its remaining bytes) for a snapshot's
     * batched page reads; same checks as {@link #readSnapshotPage}. A short file is corruption.
     */
    void readSnapshotRange(long generation, long upToSeq, long offset, ByteBuffer dst) throws IOException {
        buffer.stateLock.readLock().lock();
        try {
            checkGeneration(generation, upToSeq);
            long at = offset;
            while (dst.hasRemaining()) {
                int n = buffer.file.read(at, dst);
                if (n <= 0) {
                    throw new BufferCorruptException(buffer.location(), "write buffer " + buffer.location()
                            + " ends at " + at + " inside the page records of a snapshot (reading from offset "
                            + offset + ")");
                }
                at += n;
            }
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /**
     * Like {@link #readSnapshotRange} for reads sized by the largest record a range can end with: stops at the end
     * of the file, leaving {@code dst}'s position after what was read (the caller checks each record fits).
     */
    void readSnapshotRangeUpTo(long generation, long upToSeq, long offset, ByteBuffer dst) throws IOException {
        buffer.stateLock.readLock().lock();
        try {
            checkGeneration(generation, upToSeq);
            long at = offset;
            while (dst.hasRemaining()) {
                int n = buffer.file.read(at, dst);
                if (n <= 0) {
                    break;
                }
                at += n;
            }
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** Callers hold the state lock. */
    private void checkGeneration(long generation, long upToSeq) throws IOException {
        checkReadable(upToSeq);
        if (buffer.header.generation() != generation) {
            throw new IllegalStateException("snapshot of write buffer " + buffer.location()
                    + " is no longer valid: markSynced or reset rewrote the buffer since it was taken");
        }
    }
}
