package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** Encodes one LTX file from page images into memory. */
final class LtxWriter {
    private LtxWriter() {}

    /** Supplies the image of a page (never null; zeros for a page with no content). */
    @FunctionalInterface
    interface Images {
        byte[] image(long pgno) throws IOException;
    }

    record Encoded(byte[] bytes, LtxEncodeResult result) {}

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

    static Encoded encode(LtxHeader header, long[] pgnos, Images images, long postApplyChecksum) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + pgnos.length * (header.pageSize() / 2 + 16));
        LtxEncoder enc = new LtxEncoder(out, header, header.range().filename());
        for (long p : pgnos) {
            enc.writePage(p, images.image(p), 0);
        }
        LtxEncodeResult r = enc.finish(postApplyChecksum);
        return new Encoded(out.toByteArray(), r);
    }
}
