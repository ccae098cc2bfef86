package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import java.io.IOException;
import java.io.OutputStream;

/** Encodes one LTX file from page images into a stream, pages in ascending order. */
final class LtxWriter {
    private LtxWriter() {}

    /**
     * Supplies the image of a page (never null; zeros for a page with no content). Called once per page in
     * ascending order; the array may be reused by the next call.
     */
    @FunctionalInterface
    interface Images {
        byte[] image(long pgno) throws IOException;
    }

    /** Pages of the file: {@code pgnos} ascending (snapshots: every page 1..commit but the lock page). */
    static long[] snapshotPages(int pageSize, long commit) {
        long lock = Ltx.lockPgno(pageSize);
        int n = (int) (commit - (lock <= commit ? 1 : 0));
        long[] out = new long[n];
        int i = 0;
        for (long p = 1; p <= commit; p++) {
            if (p != lock) {
                out[i++] = p;
            }
        }
        return out;
    }

    static LtxEncodeResult encode(OutputStream out, LtxHeader header, long[] pgnos, Images images,
            long postApplyChecksum) throws IOException {
        LtxEncoder enc = new LtxEncoder(out, header, header.range().filename());
        for (long p : pgnos) {
            enc.writePage(p, images.image(p), 0);
        }
        return enc.finish(postApplyChecksum);
    }
}
