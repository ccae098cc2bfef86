package dev.ltx4j.pagestore.internal;

import dev.ltx4j.pagestore.storage.LogFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a buffer log from the header on and keeps the longest prefix that ends with an intact commit record.
 * Whatever follows (a torn record, bytes failing the checksum chain, stale data, an unfinished transaction) is
 * reported, never thrown. When the scan stops early it also looks past the stop for intact commit records that
 * vouch for the failing transaction as already forced ({@link Damage}): then the stop is damage to durable data,
 * which the caller must not truncate away; otherwise it is a torn tail (see docs/write-buffer-recovery.md).
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

    /**
     * Outcome of a scan. {@code chain} is the checksum to continue appending from at {@code validEnd};
     * {@code damage} is null unless a later intact commit proves the stop is damage.
     */
    public record Result(List<TxnEntry> transactions, long validEnd, int chain, long fileSize, Stop stop,
            long stopOffset, int uncommittedPages, Damage damage) {}

    /**
     * Proof that the records at {@code offset} (in transaction {@code seq}) had been forced before a crash could
     * tear them: the intact commit record of transaction {@code witnessSeq} at {@code witnessOffset} vouches for
     * them. {@code laterCommits} intact commit records follow the damage, the last ending at {@code committedEnd}.
     */
    public record Damage(long offset, long seq, long witnessOffset, long witnessSeq, int laterCommits,
            long committedEnd) {

        /** Bytes from the damage to the end of the last intact commit record after it. */
        public long committedBytesAfter() {
            return committedEnd - offset;
        }
    }

    public static Result scan(LogFile file, LogHeader header) throws IOException {
        return scan(file, header, header.staleEnd());
    }

    /**
     * As {@link #scan(LogFile, LogHeader)} with the stale end the torn-tail decision uses ({@link UnwrittenTail});
     * 0 applies the zero-tail rule alone (a simulator bug switch, {@code BufferFaults}).
     */
    public static Result scan(LogFile file, LogHeader header, long staleEnd) throws IOException {
        int pageSize = header.pageSize();
        long fileSize = file.size();
        UnwrittenTail unwritten = new UnwrittenTail(file, fileSize, staleEnd);
        LogFormat.Chain chain = new LogFormat.Chain(header.salt(), header.headerCrc());
        ByteBuffer pageRec = ByteBuffer.allocate(LogFormat.PAGE_HEADER + pageSize);
        ByteBuffer zRec = ByteBuffer.allocate(LogFormat.maxRecord(pageSize));
        boolean compressed = header.compressed();
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
            if (type == LogFormat.ZPAGE && compressed) {
                // The length field is bounded before it is trusted: a damaged one must not make the scan skip (or
                // read) past records it never checked.
                if (!readFully(file, pos, zRec.clear().limit(LogFormat.Z_HEADER))) {
                    stop = Stop.TORN_TAIL;
                    break;
                }
                int n = LogFormat.zLength(zRec, 0);
                if (n < 1 || n > LogFormat.maxBlock(pageSize)) {
                    stop = unwritten.from(pos + LogFormat.Z_HEADER) ? Stop.TORN_TAIL : Stop.CHECKSUM_MISMATCH;
                    break;
                }
                int size = LogFormat.zRecordSize(n);
                if (!readFully(file, pos, zRec.clear().limit(size))) {
                    stop = Stop.TORN_TAIL;
                    break;
                }
                int crc = chain.zRecord(zRec, 0, n);
                if (crc != LogFormat.zCrc(zRec, 0, n)) {
                    stop = unwritten.afterFailedRecord(pos, pos + size) ? Stop.TORN_TAIL : Stop.CHECKSUM_MISMATCH;
                    break;
                }
                int pgno = LogFormat.pageNumber(zRec, 0);
                if (pgno == 0 || !LogFormat.isZHeader(zRec, 0)) {
                    stop = Stop.INVALID_RECORD;
                    break;
                }
                pending.put(pgno, pos);
                pendingRecords++;
                pos += size;
            } else if (type == LogFormat.PAGE && !compressed) {
                if (!readFully(file, pos, pageRec.clear())) {
                    stop = Stop.TORN_TAIL;
                    break;
                }
                int stored = LogFormat.pageCrc(pageRec, 0);
                int crc = chain.pageRecord(pageRec, 0, pageSize);
                if (crc != stored) {
                    stop = unwritten.afterFailedRecord(pos, pos + pageRec.capacity())
                            ? Stop.TORN_TAIL : Stop.CHECKSUM_MISMATCH;
                    break;
                }
                int pgno = LogFormat.pageNumber(pageRec, 0);
                if (pgno == 0 || !LogFormat.isPageHeader(pageRec, 0)) {
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
                int stored = LogFormat.commitCrc(commitRec, 0);
                if (chain.commitRecord(commitRec, 0) != stored) {
                    stop = unwritten.afterFailedRecord(pos, pos + LogFormat.COMMIT_SIZE)
                            ? Stop.TORN_TAIL : Stop.CHECKSUM_MISMATCH;
                    break;
                }
                int count = LogFormat.commitPageCount(commitRec, 0);
                long seq = LogFormat.commitSeq(commitRec, 0);
                long commitSize = LogFormat.commitDbSize(commitRec, 0);
                if (seq != expectedSeq || count != pendingRecords) {
                    stop = Stop.INVALID_RECORD;
                    break;
                }
                pos += LogFormat.COMMIT_SIZE;
                txns.add(TxnEntry.of(seq, commitSize, LogFormat.commitMillis(commitRec, 0), pending, pos));
                pending = new IntLongMap();
                pendingRecords = 0;
                expectedSeq++;
                validEnd = pos;
                validChain = stored;
            } else {
                stop = unwritten.from(pos) ? Stop.TORN_TAIL : Stop.INVALID_RECORD;
                break;
            }
        }
        long stopOffset = stop == Stop.CLEAN_END ? fileSize : pos;
        Damage damage = stop == Stop.CLEAN_END ? null : findDamage(file, header, stopOffset, expectedSeq, fileSize);
        return new Result(List.copyOf(txns), validEnd, validChain, fileSize, stop, stopOffset, pendingRecords,
                damage);
    }

    private static final int WINDOW = 1 << 20;

    /**
     * Looks after {@code stop} for commit records that check on their own (type, zero fields, and the chained CRC
     * from the CRC stored in the record before them) and vouch for {@code failingSeq} as forced. Null when none
     * does: then nothing after the stop was ever durable, and the stop is a torn tail.
     */
    private static Damage findDamage(LogFile file, LogHeader header, long stop, long failingSeq, long fileSize)
            throws IOException {
        int recordSize = LogFormat.PAGE_HEADER + header.pageSize();
        ByteBuffer window = ByteBuffer.allocate(WINDOW + LogFormat.COMMIT_SIZE);
        ByteBuffer before = ByteBuffer.allocate(LogFormat.COMMIT_SIZE);
        long witnessOffset = -1;
        long witnessSeq = -1;
        long committedEnd = -1;
        int later = 0;
        for (long base = stop + 1; base + LogFormat.COMMIT_SIZE <= fileSize; base += WINDOW) {
            int n = file.read(base, window.clear());
            for (int i = 0; i + LogFormat.COMMIT_SIZE <= n && i < WINDOW; i++) {
                if (window.get(i) != LogFormat.COMMIT || window.get(i + 1) != 0 || window.getShort(i + 2) != 0
                        || window.getInt(i + LogFormat.COMMIT_RESERVED) != 0) {
                    continue;
                }
                long at = base + i;
                int pages = LogFormat.commitPageCount(window, i);
                int previousCrc;
                if (pages < 0) {
                    continue;
                } else if (header.compressed()) {
                    // Every record (and the header) ends with its CRC: the one this record chains from is just before.
                    if (at - 4 < LogHeader.SIZE - 4 || !readFully(file, at - 4, before.clear().limit(4))) {
                        continue;
                    }
                    previousCrc = before.getInt(0);
                } else {
                    long previous = pages == 0 ? at - LogFormat.COMMIT_SIZE : at - recordSize;
                    int crcAt = pages == 0 ? LogFormat.COMMIT_CRC : LogFormat.PAGE_CRC;
                    if (previous < LogHeader.SIZE || !readFully(file, previous, before.clear().limit(crcAt + 4))
                            || before.get(0) != (pages == 0 ? LogFormat.COMMIT : LogFormat.PAGE)) {
                        continue;
                    }
                    previousCrc = before.getInt(crcAt);
                }
                LogFormat.Chain chain = new LogFormat.Chain(header.salt(), previousCrc);
                if (chain.commitRecord(window, i) != LogFormat.commitCrc(window, i)) {
                    continue;
                }
                long seq = LogFormat.commitSeq(window, i);
                later++;
                committedEnd = at + LogFormat.COMMIT_SIZE;
                if (witnessOffset < 0 && LogFormat.forcedThrough(seq, LogFormat.commitForced(window, i)) >= failingSeq) {
                    witnessOffset = at;
                    witnessSeq = seq;
                }
            }
        }
        return witnessOffset < 0 ? null
                : new Damage(stop, failingSeq, witnessOffset, witnessSeq, later, committedEnd);
    }

    private static boolean readFully(LogFile file, long pos, ByteBuffer dst) throws IOException {
        return file.read(pos, dst) == dst.limit();
    }
}
