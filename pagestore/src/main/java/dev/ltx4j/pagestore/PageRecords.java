package dev.ltx4j.pagestore;

/**
 * Where the latest image of each page lies in one buffer file generation: page numbers ascending, each with the
 * offset of its page record ({@link LocalGeneration#read}). Pages beyond the database size are not listed.
 */
public record PageRecords(long[] pgnos, long[] offsets) {

    public int size() {
        return pgnos.length;
    }

    public long pgno(int i) {
        return pgnos[i];
    }

    public long offset(int i) {
        return offsets[i];
    }
}
