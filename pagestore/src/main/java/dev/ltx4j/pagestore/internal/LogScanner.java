package dev.ltx4j.pagestore.internal;

import dev.ltx4j.pagestore.storage.LogFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a buffer log from the header on and keeps the longest prefix that ends with an intact commit record.
 * Whatever follows (a torn record, bytes failing the checksum chain, stale data, an unfinished transaction) is
 * reported, never thrown: the caller truncates it away.
 */
public final class LogScanner {
    private LogScanner() {}

    /** Why the scan stopped. */
    public enum Stop {
        /** The file ended exactly after a commit record. */
        CLEAN_END,
        /** The file ended inside a record or after page records with no commit. */
        TORN_TAIL,
        /** A complete record failed its chained checksum (damage, or stale bytes of an older write). */
        CHECKSUM_MISMATCH,
        /** A record that checks had an impossible field (type, sequence number, page count, page number). */
        INVALID_RECORD
    }

    /** Outcome of a scan. {@code chain} is the checksum to continue appending from at {@code validEnd}. */
    public record Result(List<TxnEntry> transactions, long validEnd, int chain, long fileSize, Stop stop,
            long stopOffset, int uncommittedPages) {}

    public static Result scan(LogFile file, LogHeader header) throws IOException {
        int pageSize = header.pageSize();
        long fileSize = file.size();
        LogFormat.Chain chain = new LogFormat.Chain(header.salt(), header.headerCrc());
        ByteBuffer pageRec = ByteBuffer.allocate(LogFormat.PAGE_HEADER + pageSize);
        ByteBuffer commitRec = ByteBuffer.allocate(LogFormat.COMMIT_SIZE);
        List<TxnEntry> txns = new ArrayList<>();
        IntLongMap pending = new IntLongMap();
        int pendingRecords = 0;
        long expectedSeq = header.firstSeq();
        long pos = LogHeader.SIZE;
        long validEnd = pos;
        int validChain = chain.previous();
        Stop stop;
        while (true) {
            if (pos >= fileSize) {
                stop = pendingRecords == 0 ? Stop.CLEAN_END : Stop.TORN_TAIL;
                break;
            }
            ByteBuffer typeBuf = ByteBuffer.allocate(1);
            file.read(pos, typeBuf);
            byte type = typeBuf.get(0);
            if (type == LogFormat.PAGE) {
                if (!readFully(file, pos, pageRec.clear())) {
                    stop = Stop.TORN_TAIL;
                    break;
                }
                int stored = pageRec.getInt(8);
                int crc = chain.pageRecord(pageRec, 0, pageSize);
                if (crc != stored) {
                    stop = zerosAfter(file, pos + pageRec.capacity(), fileSize)
                            ? Stop.TORN_TAIL : Stop.CHECKSUM_MISMATCH;
                    break;
                }
                int pgno = pageRec.getInt(4);
                if (pgno == 0 || pageRec.get(1) != 0 || pageRec.getShort(2) != 0) {
                    stop = Stop.INVALID_RECORD;
                    break;
                }
                pending.put(pgno, pos);
                pendingRecords++;
                pos += pageRec.capacity();
            } else if (type == LogFormat.COMMIT) {
                if (!readFully(file, pos, commitRec.clear())) {
                    stop = Stop.TORN_TAIL;
                    break;
                }
                int stored = commitRec.getInt(36);
                if (chain.commitRecord(commitRec, 0) != stored) {
                    stop = zerosAfter(file, pos + LogFormat.COMMIT_SIZE, fileSize)
                            ? Stop.TORN_TAIL : Stop.CHECKSUM_MISMATCH;
                    break;
                }
                int count = commitRec.getInt(4);
                long seq = commitRec.getLong(8);
                long commitSize = Integer.toUnsignedLong(commitRec.getInt(16));
                if (seq != expectedSeq || count != pendingRecords) {
                    stop = Stop.INVALID_RECORD;
                    break;
                }
                pos += LogFormat.COMMIT_SIZE;
                txns.add(TxnEntry.of(seq, commitSize, commitRec.getLong(24), pending, pos));
                pending = new IntLongMap();
                pendingRecords = 0;
                expectedSeq++;
                validEnd = pos;
                validChain = stored;
            } else {
                stop = isZeroTail(file, pos, fileSize) ? Stop.TORN_TAIL : Stop.INVALID_RECORD;
                break;
            }
        }
        long stopOffset = stop == Stop.CLEAN_END ? fileSize : pos;
        return new Result(List.copyOf(txns), validEnd, validChain, fileSize, stop, stopOffset, pendingRecords);
    }

    private static boolean readFully(LogFile file, long pos, ByteBuffer dst) throws IOException {
        return file.read(pos, dst) == dst.capacity();
    }

    /**
     * True when a record that failed its checksum is followed by zeros only (at least one byte): the last record
     * written before a crash, torn inside space that was already zero (a preallocated or lost extension), not damage.
     */
    private static boolean zerosAfter(LogFile file, long recordEnd, long fileSize) throws IOException {
        return recordEnd < fileSize && isZeroTail(file, recordEnd, fileSize);
    }

    /**
     * A tail of zeros is what a lost (never written) extension or a preallocated one looks like, so it counts as
     * torn, not corrupt, also after page records of an unfinished transaction.
     */
    private static boolean isZeroTail(LogFile file, long pos, long fileSize) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(8192);
        for (long at = pos; at < fileSize; at += chunk.capacity()) {
            chunk.clear();
            int n = file.read(at, chunk);
            for (int i = 0; i < n; i++) {
                if (chunk.get(i) != 0) {
                    return false;
                }
            }
        }
        return true;
    }
}
