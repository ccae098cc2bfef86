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
 * are compressed on the way (the upgrade of a buffer an older build wrote).
 */
final class TailCopier {
    private final WriteBuffer buffer;
    private final LogFile source;
    private final LogHeader header;
    private final ByteBuffer out;
    private final int pageSize;
    private final int maxRecord;
    private final List<TxnEntry> entries = new ArrayList<>();
    private LogFile target;
    private LogFormat.Chain chain;
    private long end;
    private long written;

    /** @param out the output buffer, cleared, with room for at least one page record */
    TailCopier(WriteBuffer buffer, LogFile source, LogHeader header, ByteBuffer out) {
        this.buffer = buffer;
        this.source = source;
        this.header = header;
        this.out = out;
        this.pageSize = header.pageSize();
        this.maxRecord = LogFormat.maxRecord(pageSize);
    }

    void start(LogFile target) throws IOException {
        this.target = target;
        target.write(0, header.encode());
        end = LogHeader.SIZE;
        written = LogHeader.SIZE;
        chain = new LogFormat.Chain(header.salt(), header.headerCrc());
    }

    void copy(TxnEntry e) throws IOException {
        IntLongMap pages = new IntLongMap(e.pageCount());
        for (int i = 0; i < e.pageCount(); i++) {
            if (out.remaining() < maxRecord) {
                drain();
            }
            long pgno = Integer.toUnsignedLong(e.pgnos()[i]);
            ByteBuffer rec = PageRecordReads.scratch(pageSize);
            PageRecordReads.read(source, e.offsets()[i], pgno, pageSize, rec, buffer.location(), buffer.location());
            int size;
            if (rec.get(LogFormat.TYPE) == LogFormat.ZPAGE) {
                int n = LogFormat.zLength(rec, 0);
                int hpos = out.position();
                out.put(hpos + LogFormat.Z_HEADER, rec, LogFormat.Z_HEADER, n);
                size = LogFormat.putZ(out, hpos, e.pgnos()[i], n, LogFormat.zPageCrc(rec, 0), chain);
            } else {
                size = LogFormat.putZRecord(out, e.pgnos()[i],
                        rec.limit(LogFormat.PAGE_HEADER + pageSize).position(LogFormat.PAGE_HEADER), chain);
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
