package dev.ltx4j.pagestore.internal;

import java.util.List;

/**
 * A committed transaction as the buffer indexes it: its sequence number, database size after it, and for each
 * page it changed (ascending page number, pages beyond the commit size dropped) the file offset of the record
 * holding its last image. {@code endOffset} is the end of its commit record.
 */
public record TxnEntry(long seq, long commitSize, long commitMillis, int[] pgnos, long[] offsets, long endOffset) {

    /** Builds an entry from a per-transaction map pgno -> latest record offset. */
    public static TxnEntry of(long seq, long commitSize, long millis, IntLongMap pages, long endOffset) {
        int[] sorted = pages.sortedKeys();
        int n = 0;
        for (int pgno : sorted) {
            if (Integer.toUnsignedLong(pgno) <= commitSize) {
                n++;
            }
        }
        int[] pgnos = new int[n];
        long[] offsets = new long[n];
        int i = 0;
        for (int pgno : sorted) {
            if (Integer.toUnsignedLong(pgno) <= commitSize) {
                pgnos[i] = pgno;
                offsets[i++] = pages.get(pgno);
            }
        }
        return new TxnEntry(seq, commitSize, millis, pgnos, offsets, endOffset);
    }

    /**
     * Page number to record offset of each page's latest image among {@code entries} (oldest first) up to sequence
     * number {@code upToSeq}, honouring shrinks: what a reader at that transaction sees of the buffer.
     */
    public static IntLongMap latest(List<TxnEntry> entries, long upToSeq) {
        IntLongMap map = new IntLongMap();
        for (TxnEntry e : entries) {
            if (e.seq() > upToSeq) {
                break;
            }
            for (int i = 0; i < e.pgnos().length; i++) {
                map.put(e.pgnos()[i], e.offsets()[i]);
            }
            map.removeAbove(e.commitSize());
        }
        return map;
    }

    public int pageCount() {
        return pgnos.length;
    }
}
