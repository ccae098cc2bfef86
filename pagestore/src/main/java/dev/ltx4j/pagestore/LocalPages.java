package dev.ltx4j.pagestore;

/**
 * Bridges the engine to the write buffer's record locations of an open or just committed transaction.
 */
public final class LocalPages {
    private LocalPages() {}

    /**
     * The offset of the record holding {@code tx}'s last image of {@code pgno} in the buffer file generation the
     * transaction wrote to, or -1 when the transaction did not write that page. Valid after commit too.
     */
    public static long recordOffset(WriteTransaction tx, long pgno) {
        if (pgno < 1 || pgno > 0xFFFF_FFFFL) {
            return -1;
        }
        return tx.pages.get((int) pgno);
    }
}
