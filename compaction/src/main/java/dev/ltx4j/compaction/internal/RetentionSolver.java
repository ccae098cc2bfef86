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
        long[] points = new long[n + 2];
        int count = 0;
        points[count++] = latest;
        long boundary = 0;
        for (LtxFileInfo f : files) {
            Instant created = createdAt(f);
            if (windowStart == null || !created.isBefore(windowStart)) {
                if (reach.reachable(f.maxTxid())) {
                    points[count++] = f.maxTxid();
                }
            }
            if (windowStart != null && !created.isAfter(windowStart)) {
                boundary = Math.max(boundary, f.maxTxid());
            }
        }
        if (boundary > 0) {
            long b = reach.reachableAtOrBelow(boundary);
            if (b > 0) {
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
        return new RetentionSolver(distinct, keep, null);
    }

    private static long[] distinct(long[] values, int count) {
        long[] sorted = Arrays.copyOf(values, count);
        Arrays.sort(sorted);
        int k = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                sorted[k++] = sorted[i];
            }
        }
        return Arrays.copyOf(sorted, k);
    }

    /**
     * The newest file of every level (compaction seeks from it; readers poll from it), and lower-level files not yet
     * compacted into a non-empty next level (the next compaction's inputs).
     */
    static void keepStructural(List<LtxFileInfo> files, boolean[] keep) {
        long[] levelMax = new long[ReplicaClient.MAX_LEVEL + 1];
        for (LtxFileInfo f : files) {
            levelMax[f.level()] = Math.max(levelMax[f.level()], f.maxTxid());
        }
        for (int i = 0; i < keep.length; i++) {
            LtxFileInfo f = files.get(i);
            int level = f.level();
            if (f.maxTxid() == levelMax[level]) {
                keep[i] = true;
            } else if (level < ReplicaClient.SNAPSHOT_LEVEL - 1 && levelMax[level + 1] != 0
                    && f.maxTxid() > levelMax[level + 1]) {
                keep[i] = true;
            }
        }
    }

    static Instant createdAt(LtxFileInfo f) {
        return f.createdAt() == null ? Instant.EPOCH : f.createdAt();
    }
}
