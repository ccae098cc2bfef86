package dev.ltx4j.compaction.internal;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One retention computation without the grace rule: the restore points of a listing at a time, and a set of files
 * that keeps all of them restorable. {@code RetentionPlan} combines two of these (now, and as of now - grace).
 *
 * @param points  restore points, ascending
 * @param keep    files to keep
 * @param refusal why nothing may be deleted, or null
 */
public record RetentionSolver(List<Long> points, Set<LtxFileInfo> keep, String refusal) {

    /**
     * @param windowStart oldest moment whose state must stay restorable; null: every reachable TXID is a point
     * @param latestOnly  the deleteTooEarly bug: keep chains for the latest TXID only
     */
    public static RetentionSolver solve(List<LtxFileInfo> files, Instant windowStart, boolean latestOnly) {
        Set<LtxFileInfo> keep = new HashSet<>();
        if (files.isEmpty()) {
            return new RetentionSolver(List.of(), keep, null);
        }
        Reachability reach = Reachability.of(files);
        long latest = reach.latest();
        if (!reach.reachable(latest)) {
            keep.addAll(files);
            return new RetentionSolver(List.of(), keep, "the latest TXID " + Txid.format(latest) + " is not"
                    + " restorable from the listed files (a gap); retention deletes nothing until it is");
        }
        TreeSet<Long> points = new TreeSet<>();
        points.add(latest);
        long boundary = 0;
        for (LtxFileInfo f : files) {
            Instant created = createdAt(f);
            if (windowStart == null || !created.isBefore(windowStart)) {
                if (reach.reachable(f.maxTxid())) {
                    points.add(f.maxTxid());
                }
            }
            if (windowStart != null && !created.isAfter(windowStart)) {
                boundary = Math.max(boundary, f.maxTxid());
            }
        }
        if (boundary > 0) {
            long b = reach.reachableAtOrBelow(boundary);
            if (b > 0) {
                points.add(b);
            }
        }
        boolean[] marks = reach.newMarks();
        if (latestOnly) {
            reach.keepChain(latest, keep, marks);
        } else {
            for (long p : points) {
                reach.keepChain(p, keep, marks);
            }
        }
        keepStructural(files, keep);
        return new RetentionSolver(List.copyOf(points), keep, null);
    }

    /**
     * The newest file of every level (compaction seeks from it; readers poll from it), and lower-level files not yet
     * compacted into a non-empty next level (the next compaction's inputs).
     */
    static void keepStructural(List<LtxFileInfo> files, Set<LtxFileInfo> keep) {
        long[] levelMax = new long[ReplicaClient.MAX_LEVEL + 1];
        for (LtxFileInfo f : files) {
            levelMax[f.level()] = Math.max(levelMax[f.level()], f.maxTxid());
        }
        for (LtxFileInfo f : files) {
            int level = f.level();
            if (f.maxTxid() == levelMax[level]) {
                keep.add(f);
            } else if (level < ReplicaClient.SNAPSHOT_LEVEL - 1 && levelMax[level + 1] != 0
                    && f.maxTxid() > levelMax[level + 1]) {
                keep.add(f);
            }
        }
    }

    /** Files of {@code files} not in {@code keep}, in the given order. */
    public static List<LtxFileInfo> without(List<LtxFileInfo> files, Set<LtxFileInfo> keep) {
        List<LtxFileInfo> out = new ArrayList<>();
        for (LtxFileInfo f : files) {
            if (!keep.contains(f)) {
                out.add(f);
            }
        }
        return out;
    }

    static Instant createdAt(LtxFileInfo f) {
        return f.createdAt() == null ? Instant.EPOCH : f.createdAt();
    }
}
