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
            return new BufferBase(buffer.header.baseTxid(), buffer.header.baseChecksum(), buffer.header.baseCommit());
        } finally {
            buffer.stateLock.readLock().unlock();
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
            List<CommittedTransaction> out = new ArrayList<>(buffer.txns.size());
            for (TxnEntry e : buffer.txns) {
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
        buffer.awaitDurable(upToSeq);
        buffer.stateLock.readLock().lock();
        try {
            buffer.checkUsable();
            LogHeader header = buffer.header;
            List<TxnEntry> txns = buffer.txns;
            long first = header.firstSeq();
            if (upToSeq < first - 1 || upToSeq > buffer.appendedSeq) {
                throw new IllegalArgumentException("snapshot sequence " + upToSeq + " is outside the held range "
                        + (first - 1) + ".." + buffer.appendedSeq);
            }
            long size = header.baseCommit();
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
            return new SyncSnapshot(buffer, buffer.base(), first, upToSeq, count, size, header.generation(), pgnos,
                    offsets, SyncSnapshot.RecordChain.of(header, txns, count, offsets));
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** See {@link WriteBuffer#transactionSnapshots(long)}. */
    List<SyncSnapshot> transactionSnapshots(long upToSeq) throws IOException {
        buffer.awaitDurable(upToSeq);
        buffer.stateLock.readLock().lock();
        try {
            buffer.checkUsable();
            LogHeader header = buffer.header;
            List<SyncSnapshot> out = new ArrayList<>();
            long start = LogHeader.SIZE;
            for (TxnEntry e : buffer.txns) {
                if (e.seq() > upToSeq) {
                    break;
                }
                out.add(new SyncSnapshot(buffer, buffer.base(), e.seq(), e.seq(), 1, e.commitSize(),
                        header.generation(), e.pgnos(), e.offsets(),
                        SyncSnapshot.RecordChain.ofTransaction(header, start, e.offsets())));
                start = e.endOffset();
            }
            return out;
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /** Reads one page of a snapshot taken in {@code generation} (refused once a rewrite replaced that file). */
    void readSnapshotPage(long generation, long offset, long pgno, byte[] dst) throws IOException {
        buffer.checkDst(dst);
        buffer.stateLock.readLock().lock();
        try {
            checkGeneration(generation);
            readRecordPage(buffer.file, offset, pgno, dst);
        } finally {
            buffer.stateLock.readLock().unlock();
        }
    }

    /**
     * Reads the buffer file's bytes from {@code offset} into {@code dst} (its remaining bytes) for a snapshot's
     * batched page reads; same checks as {@link #readSnapshotPage}. A short file is corruption.
     */
    void readSnapshotRange(long generation, long offset, ByteBuffer dst) throws IOException {
        buffer.stateLock.readLock().lock();
        try {
            checkGeneration(generation);
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
    void readSnapshotRangeUpTo(long generation, long offset, ByteBuffer dst) throws IOException {
        buffer.stateLock.readLock().lock();
        try {
            checkGeneration(generation);
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
    private void checkGeneration(long generation) throws IOException {
        buffer.checkUsable();
        if (buffer.header.generation() != generation) {
            throw new IllegalStateException("snapshot of write buffer " + buffer.location()
                    + " is no longer valid: markSynced or reset rewrote the buffer since it was taken");
        }
    }
}
