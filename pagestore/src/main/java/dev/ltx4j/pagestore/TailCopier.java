package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.IntLongMap;
import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.internal.TxnEntry;
import dev.ltx4j.pagestore.storage.LogFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-encodes transactions of a {@link WriteBuffer} into a new generation file (always format version 2), with a
 * fresh checksum chain. A 'Z' record's block and page CRC-64 are copied as they are; a version 1 file's 'P' records
 * are compressed on the way (the upgrade of a buffer an older build wrote). Every record's chained CRC is checked
 * under the source's salt first: re-chained under the new salt, rot since the open would become a valid record.
 */
final class TailCopier {
    private final WriteBuffer buffer;
    private final LogFile source;
    private final LogHeader header;
    /** Checks each copied record's chained CRC under the source's salt (docs/write-buffer-recovery.md). */
    private final LogFormat.Chain sourceChain;
    private final int sourceHeaderCrc;
    private final ByteBuffer out;
    private final int pageSize;
    private final int maxRecord;
    private final List<TxnEntry> entries = new ArrayList<>();
    private LogFile target;
    private LogFormat.Chain chain;
    private long end;
    private long written;

    /** @param out the output buffer, cleared, with room for at least one page record */
    TailCopier(WriteBuffer buffer, LogFile source, LogHeader sourceHeader, LogHeader header, ByteBuffer out) {
        this.buffer = buffer;
        this.source = source;
        this.header = header;
        this.out = out;
        this.pageSize = header.pageSize();
        this.maxRecord = LogFormat.maxRecord(pageSize);
        this.sourceChain = new LogFormat.Chain(sourceHeader.salt(), 0);
        this.sourceHeaderCrc = sourceHeader.headerCrc();
    }

    private static final int PREVIOUS = 4;

    void start(LogFile target) throws IOException {
        this.target = target;
        target.write(0, header.encode());
        end = LogHeader.SIZE;
        written = LogHeader.SIZE;
        chain = new LogFormat.Chain(header.salt(), header.headerCrc());
    }

    void copy(TxnEntry e) throws IOException {
        IntLongMap pages = new IntLongMap(e.pageCount());
        long v1Start = -1; // a version 1 transaction's first record, read from its commit record when needed
        for (int i = 0; i < e.pageCount(); i++) {
            if (out.remaining() < maxRecord) {
                drain();
            }
            long pgno = Integer.toUnsignedLong(e.pgnos()[i]);
            long offset = e.offsets()[i];
            int r = PREVIOUS;
            int size;
            ByteBuffer rec = readFrom(offset - PREVIOUS, pgno, offset);
            if (rec.get(r + LogFormat.TYPE) == LogFormat.ZPAGE) {
                int n = LogFormat.zLength(rec, r);
                // Re-chaining under the new salt would make rot since the open a valid record: check it first.
                sourceChain.reset(rec.getInt(0));
                if (sourceChain.zRecord(rec, r, n) != LogFormat.zCrc(rec, r, n)) {
                    throw damaged(pgno, offset);
                }
                int hpos = out.position();
                out.put(hpos + LogFormat.Z_HEADER, rec, r + LogFormat.Z_HEADER, n);
                size = LogFormat.putZ(out, hpos, e.pgnos()[i], n, LogFormat.zPageCrc(rec, r), chain);
            } else { // a version 1 'P' record: its CRC sits inside it, so the one it chains from is found apart
                if (v1Start < 0) {
                    v1Start = v1Start(e);
                }
                sourceChain.reset(previousV1Crc(offset, v1Start, pgno));
                if (sourceChain.pageRecord(rec, r, pageSize) != LogFormat.pageCrc(rec, r)) {
                    throw damaged(pgno, offset);
                }
                size = LogFormat.putZRecord(out, e.pgnos()[i],
                        rec.limit(r + LogFormat.PAGE_HEADER + pageSize).position(r + LogFormat.PAGE_HEADER), chain);
            }
            pages.put(e.pgnos()[i], end);
            end += size;
        }
        if (out.remaining() < LogFormat.COMMIT_SIZE) {
            drain();
        }
        // Copies vouch for nothing: the new file is forced as a whole before it replaces the old one.
        LogFormat.putCommitRecord(out, e.pageCount(), e.seq(), e.commitSize(), e.commitMillis(), 0, chain);
        end += LogFormat.COMMIT_SIZE;
        entries.add(TxnEntry.of(e.seq(), e.commitSize(), e.commitMillis(), pages, end));
    }

    private BufferCorruptException damaged(long pgno, long offset) {
        return new BufferCorruptException(buffer.location(), "write buffer " + buffer.location()
                + " holds a damaged record of page " + pgno + " at offset " + offset + ": its chained"
                + " CRC does not check; the log rewrite copying it was refused");
    }

    /**
     * Where version 1 transaction {@code e}'s records start: they are contiguous 'P' records before its commit record,
     * which counts them (a rollback truncates, so none of another transaction lies between).
     */
    private long v1Start(TxnEntry e) throws IOException {
        long at = e.endOffset() - LogFormat.COMMIT_SIZE;
        ByteBuffer c = readFully(at, LogFormat.COMMIT_SIZE);
        long start = at - (long) LogFormat.commitPageCount(c, 0) * (LogFormat.PAGE_HEADER + pageSize);
        if (c.get(LogFormat.TYPE) != LogFormat.COMMIT || start < LogHeader.SIZE) {
            throw new BufferCorruptException(buffer.location(), "write buffer " + buffer.location()
                    + " holds a damaged commit record of transaction " + e.seq() + " at offset " + at
                    + "; the log rewrite copying it was refused");
        }
        return start;
    }

    /**
     * The CRC the version 1 record at {@code offset} chains from (SyncSnapshot.RecordChain): the header's for the
     * file's first record, the previous commit record's last field for a transaction's first, else the CRC field of
     * the page record just before.
     */
    private int previousV1Crc(long offset, long start, long pgno) throws IOException {
        if (offset == LogHeader.SIZE) {
            return sourceHeaderCrc;
        }
        if (offset < start) {
            throw damaged(pgno, offset); // the index points before its transaction's records
        }
        long at = offset == start ? offset - 4 : offset - (LogFormat.PAGE_HEADER + pageSize) + LogFormat.PAGE_CRC;
        return readFully(at, 4).getInt(0);
    }

    private ByteBuffer readFully(long from, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (source.read(from + b.position(), b) <= 0) {
                throw new BufferCorruptException(buffer.location(), "write buffer " + buffer.location()
                        + " ends at offset " + (from + b.position()) + " inside a record the log rewrite copies");
            }
        }
        return b;
    }

    /**
     * Reads the record at {@code offset}, after the 4 bytes before it (the CRC it chains from, in format 2), into the
     * thread's scratch buffer and checks it.
     */
    private ByteBuffer readFrom(long from, long pgno, long offset) throws IOException {
        ByteBuffer rec = PageRecordReads.scratch(pageSize, PREVIOUS);
        int n = 0;
        while (rec.hasRemaining()) {
            int r = source.read(from + n, rec);
            if (r <= 0) {
                break;
            }
            n += r;
        }
        PageRecordReads.check(rec, PREVIOUS, n - PREVIOUS, offset, pgno, pageSize, buffer.location(),
                buffer.location());
        return rec;
    }

    private void drain() throws IOException {
        out.flip();
        target.write(written, out);
        written = end;
        out.clear();
    }

    void finish() throws IOException {
        drain();
    }

    List<TxnEntry> entries() {
        return new ArrayList<>(entries);
    }

    long end() {
        return end;
    }

    LogFormat.Chain chain() {
        return chain;
    }
}
