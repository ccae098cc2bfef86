package dev.ltx4j.ltx;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Merges consecutive LTX files into one, as the reference compactor does: the newest version of each page
 * wins, pages above the last input's Commit are dropped, and the output header takes PageSize, MinTXID and
 * PreApplyChecksum from the first input, Commit, MaxTXID, Timestamp and the trailer's PostApplyChecksum from
 * the last, with the WAL fields and NodeID zero and the flags the caller chooses. Output pages are always
 * block frames, whatever the inputs' encoding. With {@link Ltx#HEADER_FLAG_NO_CHECKSUM} the output's pre- and
 * post-apply checksums are zero whatever the inputs carry.
 *
 * <p>Inputs are decoded strictly and fully verified (file checksums included); a bad input fails the
 * compaction with an {@link LtxFormatException} naming that input. Memory is one page buffer per input.
 */
public final class LtxCompactor {
    private LtxCompactor() {}

    /**
     * Compacts {@code inputs} (ascending by TXID; adjacent ranges must be contiguous or overlapping:
     * {@code cur.min <= prev.max + 1 && cur.max > prev.max}) into {@code out}.
     *
     * @param headerFlags output header flags, e.g. {@link Ltx#HEADER_FLAG_NO_CHECKSUM} as Litestream uses
     * @throws LtxFormatException if an input is malformed, page sizes differ, TXIDs are not contiguous, or the
     *                            output would break an encoder rule
     */
    public static LtxEncodeResult compact(List<? extends LtxSource> inputs, OutputStream out, int headerFlags)
            throws IOException {
        return compact(inputs, out, headerFlags, false);
    }

    /** As {@link #compact(List, OutputStream, int)}, optionally allowing gaps between TXID ranges. */
    public static LtxEncodeResult compact(List<? extends LtxSource> inputs, OutputStream out, int headerFlags,
            boolean allowNonContiguousTxids) throws IOException {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("at least one input required");
        }
        List<Input> open = new ArrayList<>(inputs.size());
        LtxEncodeResult result;
        try {
            for (LtxSource s : inputs) {
                InputStream in = s.open();
                open.add(new Input(new LtxDecoder(in, s.name())));
            }
            for (Input i : open) {
                i.header = i.decoder.header();
            }
            checkChain(open, allowNonContiguousTxids);
            result = merge(open, out, headerFlags);
        } catch (Throwable t) {
            // The failure that stopped the merge is the one to report; close failures ride along as suppressed.
            closeAll(open, t);
            throw t;
        }
        closeAll(open, null);
        return result;
    }

    /** Closes every input; without a {@code primary} failure the first close failure is thrown. */
    private static void closeAll(List<Input> open, Throwable primary) throws IOException {
        IOException failure = null;
        for (Input i : open) {
            try {
                i.decoder.close();
            } catch (IOException e) {
                if (primary != null) {
                    primary.addSuppressed(e);
                } else if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    static void checkChain(List<Input> inputs, boolean allowGaps) throws LtxFormatException {
        for (int k = 1; k < inputs.size(); k++) {
            LtxHeader prev = inputs.get(k - 1).header;
            LtxHeader cur = inputs.get(k).header;
            String name = inputs.get(k).decoder.fileName();
            if (prev.pageSize() != cur.pageSize()) {
                throw new LtxFormatException(name, "header.pageSize", "input files have mismatched page sizes: "
                        + prev.pageSize() + " != " + cur.pageSize());
            }
            if (!allowGaps && !isContiguous(prev.maxTxid(), cur.minTxid(), cur.maxTxid())) {
                throw new LtxFormatException(name, "header.minTxid", "non-contiguous transaction ids in input files: ("
                        + Txid.format(prev.minTxid()) + "," + Txid.format(prev.maxTxid()) + ") -> ("
                        + Txid.format(cur.minTxid()) + "," + Txid.format(cur.maxTxid()) + ")");
            }
        }
    }

    /** The reference's rule: the next range may overlap the previous one but must extend it without a gap. */
    static boolean isContiguous(long prevMax, long curMin, long curMax) {
        return Long.compareUnsigned(curMin, prevMax + 1) <= 0 && Long.compareUnsigned(curMax, prevMax) > 0;
    }

    private static LtxEncodeResult merge(List<Input> inputs, OutputStream out, int flags) throws IOException {
        LtxHeader first = inputs.get(0).header;
        LtxHeader last = inputs.get(inputs.size() - 1).header;
        // A NoChecksum output cannot carry database checksums: inputs that track them (ltx4j's own files) are
        // merged without, rather than failing as Go's compactor would on such inputs.
        boolean untracked = (flags & Ltx.HEADER_FLAG_NO_CHECKSUM) != 0;
        LtxHeader header = new LtxHeader(flags, first.pageSize(), last.commit(), first.minTxid(), last.maxTxid(),
                last.timestamp(), untracked ? 0 : first.preApplyChecksum(), 0, 0, 0, 0, 0);
        LtxEncoder enc = new LtxEncoder(out, header, "compaction of " + inputs.get(0).decoder.fileName() + " .. "
                + inputs.get(inputs.size() - 1).decoder.fileName());
        int pageSize = first.pageSize();
        for (Input i : inputs) {
            i.page = new byte[pageSize];
            i.advance();
        }
        long commit = header.commitPages();
        while (true) {
            long min = 0;
            for (Input i : inputs) {
                if (i.pgno != 0 && (min == 0 || i.pgno < min)) {
                    min = i.pgno;
                }
            }
            if (min == 0) {
                break;
            }
            Input newest = null;
            for (int k = inputs.size() - 1; k >= 0; k--) {
                if (inputs.get(k).pgno == min) {
                    newest = inputs.get(k);
                    break;
                }
            }
            if (min <= commit) {
                enc.writePage(min, newest.page, 0);
            }
            for (Input i : inputs) {
                if (i.pgno == min) {
                    i.advance();
                }
            }
        }
        long post = untracked ? 0 : inputs.get(inputs.size() - 1).decoder.summary().postApplyChecksum();
        return enc.finish(post);
    }

    private static final class Input {
        final LtxDecoder decoder;
        LtxHeader header;
        byte[] page;
        long pgno;

        Input(LtxDecoder decoder) {
            this.decoder = decoder;
        }

        void advance() throws IOException {
            pgno = decoder.readPage(page, 0);
        }
    }
}
