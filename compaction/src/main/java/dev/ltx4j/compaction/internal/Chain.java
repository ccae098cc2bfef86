package dev.ltx4j.compaction.internal;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses the inputs of one level compaction: a contiguous chain of lower-level files starting at the destination's
 * seek position. Pure, so the rules are tested apart from storage. TXIDs compare unsigned (docs/compaction.md).
 *
 * @param inputs the chain, in order (empty: nothing to compact)
 * @param more   the chain was cut at the input cap while it could have gone on
 */
public record Chain(List<LtxFileInfo> inputs, boolean more) {
    static final Comparator<LtxFileInfo> BY_RANGE = (a, b) -> a.minTxid() != b.minTxid()
            ? Txid.compare(a.minTxid(), b.minTxid()) : Txid.compare(a.maxTxid(), b.maxTxid());

    public Chain {
        inputs = List.copyOf(inputs);
    }

    /** One past the newest max TXID of {@code level}'s files, or 0 when it has none. */
    public static long seek(List<LtxFileInfo> dst) {
        long max = 0;
        for (LtxFileInfo f : dst) {
            max = Txid.max(max, f.maxTxid());
        }
        return max == 0 ? 0 : max + 1;
    }

    /**
     * How far the files make one contiguous chain from TXID 1 (0: none starts at 1). Compaction into level N uses it
     * over levels N..8 and the snapshots: a hole in level N-1 at N's seek that this chain already covers is no real
     * gap (a reader crosses it through those files), so N may continue from the first file past the covered TXID.
     */
    public static long covered(List<LtxFileInfo> files) {
        List<LtxFileInfo> sorted = new ArrayList<>(files);
        sorted.sort(BY_RANGE);
        long reached = 0;
        for (LtxFileInfo f : sorted) {
            if (Txid.compare(f.minTxid(), reached + 1) > 0) {
                break;
            }
            reached = Txid.max(reached, f.maxTxid());
        }
        return reached;
    }

    /**
     * The chain from {@code src} (any order) for a destination whose seek is {@code seek} (0: empty destination, the
     * chain starts at the lowest file). The first input covers {@code seek} ({@code min <= seek <= max}; normally it
     * starts exactly there); each next one extends the previous without a gap ({@code min <= reached + 1}), the largest
     * max winning. Stops at the first gap unless {@code acrossGap} (the simulator's bug switch), which jumps it.
     */
    public static Chain select(List<LtxFileInfo> src, long seek, boolean acrossGap, int maxInputs) {
        List<LtxFileInfo> files = new ArrayList<>(src);
        files.sort(BY_RANGE);
        int i = 0;
        LtxFileInfo first = null;
        if (seek == 0) {
            if (!files.isEmpty()) {
                long low = files.get(0).minTxid();
                for (; i < files.size() && files.get(i).minTxid() == low; i++) {
                    first = better(first, files.get(i));
                }
            }
        } else {
            for (; i < files.size() && Txid.compare(files.get(i).minTxid(), seek) <= 0; i++) {
                LtxFileInfo f = files.get(i);
                if (Txid.compare(f.maxTxid(), seek) >= 0) {
                    first = better(first, f);
                }
            }
            if (first == null && acrossGap) {
                // The bug: start past a hole at the seek position instead of waiting for it to fill.
                for (; i < files.size() && first == null; i++) {
                    first = files.get(i);
                }
            }
        }
        List<LtxFileInfo> chain = new ArrayList<>();
        if (first == null) {
            return new Chain(chain, false);
        }
        chain.add(first);
        long reached = first.maxTxid();
        while (true) {
            LtxFileInfo next = null;
            for (; i < files.size() && Txid.compare(files.get(i).minTxid(), reached + 1) <= 0; i++) {
                LtxFileInfo f = files.get(i);
                if (Txid.compare(f.maxTxid(), reached) > 0) {
                    next = better(next, f);
                }
            }
            if (next == null && acrossGap) {
                for (; i < files.size() && next == null; i++) {
                    if (Txid.compare(files.get(i).maxTxid(), reached) > 0) {
                        next = files.get(i);
                    }
                }
            }
            if (next == null) {
                return new Chain(chain, false);
            }
            if (chain.size() == maxInputs) {
                return new Chain(chain, true);
            }
            chain.add(next);
            reached = next.maxTxid();
        }
    }

    /** The larger max wins; at equal max the one seen first (the smaller min). */
    private static LtxFileInfo better(LtxFileInfo current, LtxFileInfo candidate) {
        return current == null || Txid.compare(candidate.maxTxid(), current.maxTxid()) > 0 ? candidate : current;
    }
}
