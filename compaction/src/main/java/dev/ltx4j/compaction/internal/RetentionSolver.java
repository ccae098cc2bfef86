package dev.ltx4j.compaction.internal;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * One retention computation without the grace rule: the restore points of a listing at a time, and a set of files
 * that keeps all of them restorable. {@code RetentionPlan} combines two of these (now, and as of now - grace).
 *
 * @param points  restore points, ascending and distinct
 * @param keep    per file of the input list: whether it is kept
 * @param refusal why nothing may be deleted, or null
 */
public record RetentionSolver(long[] points, boolean[] keep, String refusal) {

    /**
     * @param files       the listing (any order); {@link #keep} is indexed like it
     * @param windowStart oldest moment whose state must stay restorable; null: every reachable TXID is a point
     * @param latestOnly  the deleteTooEarly bug: keep chains for the latest TXID only
     */
    public static RetentionSolver solve(List<LtxFileInfo> files, Instant windowStart, boolean latestOnly) {
        int n = files.size();
        boolean[] keep = new boolean[n];
        if (n == 0) {
            return new RetentionSolver(new long[0], keep, null);
        }
        Reachability reach = Reachability.of(files);
        long latest = reach.latest();
        if (!reach.reachable(latest)) {
            Arrays.fill(keep, true);
            return new RetentionSolver(new long[0], keep, "the latest TXID " + Txid.format(latest) + " is not"
                    + " restorable from the listed files (a gap); retention deletes nothing until it is");
        }
        long[] points = new long[2 * n + 2];
        int count = 0;
        points[count++] = latest;
        long boundary = 0;
        // An in-window TXID the listing cannot reach may still be restorable from the bucket: a listing can lag and
        // miss a file (eventual consistency), which looks like a gap. Such a TXID keeps every file ending between the
        // last reachable TXID below it and itself, and that reachable TXID becomes a point (its chain stays).
        long[] unreachableFrom = new long[n];
        long[] unreachableTo = new long[n];
        int unreachable = 0;
        for (LtxFileInfo f : files) {
            Instant created = createdAt(f);
            if (windowStart == null || !created.isBefore(windowStart)) {
                if (reach.reachable(f.maxTxid())) {
                    points[count++] = f.maxTxid();
                } else {
                    long below = reach.reachableAtOrBelow(f.maxTxid());
                    if (below != 0) {
                        points[count++] = below;
                    }
                    unreachableFrom[unreachable] = below;
                    unreachableTo[unreachable++] = f.maxTxid();
                }
            }
            if (windowStart != null && !created.isAfter(windowStart)) {
                boundary = Txid.max(boundary, f.maxTxid());
            }
        }
        if (boundary != 0) {
            long b = reach.reachableAtOrBelow(boundary);
            if (b != 0) {
                points[count++] = b;
            }
        }
        long[] distinct = distinct(points, count);
        boolean[] marks = reach.newMarks();
        if (latestOnly) {
            reach.keepChain(latest, keep, marks);
        } else {
            for (long p : distinct) {
                reach.keepChain(p, keep, marks);
            }
        }
        keepStructural(files, keep);
        keepUnreachableSpans(files, keep, unreachableFrom, unreachableTo, unreachable);
        return new RetentionSolver(distinct, keep, null);
    }

    /** Keeps every file whose max TXID lies in one of the spans {@code (from[i], to[i]]}. O(n log n). */
    static void keepUnreachableSpans(List<LtxFileInfo> files, boolean[] keep, long[] from, long[] to, int count) {
        if (count == 0) {
            return;
        }
        // Per span end, the lowest start among spans ending there or later: a file ending at m is in some span iff
        // for the first span end >= m, that suffix minimum is < m.
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Txid.compare(to[a], to[b]));
        long[] ends = new long[count];
        long[] minStart = new long[count];
        for (int k = count - 1; k >= 0; k--) {
            ends[k] = Txid.orderKey(to[order[k]]);
            minStart[k] = k == count - 1 ? from[order[k]] : Txid.min(from[order[k]], minStart[k + 1]);
        }
        for (int i = 0; i < files.size(); i++) {
            long m = files.get(i).maxTxid();
            int k = Arrays.binarySearch(ends, Txid.orderKey(m));
            if (k < 0) {
                k = -k - 1;
            } else {
                while (k > 0 && ends[k - 1] == Txid.orderKey(m)) {
                    k--;
                }
            }
            if (k < count && Txid.compare(minStart[k], m) < 0) {
                keep[i] = true;
            }
        }
    }

    private static long[] distinct(long[] values, int count) {
        long[] sorted = new long[count];
        for (int i = 0; i < count; i++) {
            sorted[i] = Txid.orderKey(values[i]);
        }
        Arrays.sort(sorted);
        int k = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                sorted[k++] = sorted[i];
            }
        }
        long[] out = new long[k];
        for (int i = 0; i < k; i++) {
            out[i] = Txid.fromOrderKey(sorted[i]);
        }
        return out;
    }

    /**
     * The newest file of every level (compaction seeks from it; readers poll from it), and lower-level files not yet
     * compacted into a non-empty next level (the next compaction's inputs).
     */
    static void keepStructural(List<LtxFileInfo> files, boolean[] keep) {
        long[] levelMax = new long[ReplicaClient.MAX_LEVEL + 1];
        for (LtxFileInfo f : files) {
            levelMax[f.level()] = Txid.max(levelMax[f.level()], f.maxTxid());
        }
        for (int i = 0; i < keep.length; i++) {
            LtxFileInfo f = files.get(i);
            int level = f.level();
            if (f.maxTxid() == levelMax[level]) {
                keep[i] = true;
            } else if (level < ReplicaClient.SNAPSHOT_LEVEL - 1 && levelMax[level + 1] != 0
                    && Txid.compare(f.maxTxid(), levelMax[level + 1]) > 0) {
                keep[i] = true;
            }
        }
    }

    static Instant createdAt(LtxFileInfo f) {
        return f.createdAt() == null ? Instant.EPOCH : f.createdAt();
    }
}
