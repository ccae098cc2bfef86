package dev.ltx4j.compaction.internal;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import java.util.Arrays;
import java.util.List;

/**
 * Which TXIDs a set of files can restore, and one short chain to each: the core of retention, in O(n log n).
 *
 * <p>A file {@code [min, max]} takes a restore that has reached any TXID {@code x} with {@code min - 1 <= x < max}
 * to {@code max} (overlap is allowed, as the restore planner allows it); a restore starts at 0. So the TXIDs are
 * nodes (0 and every file's max), files are edges, and a TXID is restorable exactly when a path from 0 reaches it.
 * Sweeping the nodes in ascending order with a range-minimum tree over the nodes already settled gives, for every
 * node, the fewest files that reach it and the file that ends that chain. The restore planner's greedy choice
 * reaches exactly every node reachable here, over these files or any superset (see docs/compaction.md), so keeping
 * one chain per restore point is enough.
 *
 * <p>TXIDs are unsigned: nodes hold {@link Txid#orderKey} values, so the sorted arrays and binary searches follow the
 * unsigned order past 2^63 - 1; every TXID in or out of this class is a plain TXID.
 */
public final class Reachability {
    private static final long INF = Long.MAX_VALUE;

    /** Order keys of the node TXIDs, ascending; nodes[0] is TXID 0. */
    private final long[] nodes;
    /** Per node: fewest files to reach it, INF when unreachable. */
    private final long[] dist;
    /** Per node: the file (index into the input list) ending its chain, and the node that file starts from. */
    private final int[] lastFile;
    private final int[] from;
    private final List<LtxFileInfo> files;

    private Reachability(long[] nodes, List<LtxFileInfo> files) {
        this.nodes = nodes;
        this.files = files;
        this.dist = new long[nodes.length];
        this.lastFile = new int[nodes.length];
        this.from = new int[nodes.length];
        Arrays.fill(dist, INF);
        Arrays.fill(from, -1);
        Arrays.fill(lastFile, -1);
    }

    public static Reachability of(List<LtxFileInfo> files) {
        int count = files.size();
        long[] maxes = new long[count];
        for (int i = 0; i < count; i++) {
            maxes[i] = Txid.orderKey(files.get(i).maxTxid());
        }
        int[] byMax = sortByKey(maxes);
        long[] all = new long[count + 1];
        all[0] = Txid.orderKey(0);
        int n = 1;
        for (int i : byMax) {
            if (maxes[i] != all[n - 1]) {
                all[n++] = maxes[i];
            }
        }
        Reachability r = new Reachability(Arrays.copyOf(all, n), files);
        r.sweep(byMax, maxes);
        return r;
    }

    /** Indices 0..n-1 ordered by {@code keys} ascending (stable), without boxing. */
    static int[] sortByKey(long[] keys) {
        int n = keys.length;
        long[] sorted = keys.clone();
        Arrays.sort(sorted);
        // Rank each key by binary search; equal keys take consecutive slots in index order.
        int[] next = new int[n];
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int at = Arrays.binarySearch(sorted, keys[i]);
            while (at > 0 && sorted[at - 1] == keys[i]) {
                at--;
            }
            out[at + next[at]] = i;
            next[at]++;
        }
        return out;
    }

    private void sweep(int[] byMax, long[] maxes) {
        MinTree tree = new MinTree(nodes.length);
        dist[0] = 0;
        tree.set(0, key(0, 0));
        int k = 0;
        for (int j = 1; j < nodes.length; j++) {
            long best = INF;
            for (; k < byMax.length && maxes[byMax[k]] == nodes[j]; k++) {
                int fi = byMax[k];
                LtxFileInfo f = files.get(fi);
                if (f.minTxid() == 0 || Txid.compare(f.minTxid(), f.maxTxid()) > 0) {
                    continue;
                }
                int lo = lowerBound(f.minTxid() - 1);
                if (lo > j - 1) {
                    continue;
                }
                long q = tree.min(lo, j - 1);
                if (q == INF) {
                    continue;
                }
                int at = nodeOf(q);
                long d = dist[at] + 1;
                if (d < best || d == best && preferred(f, files.get(lastFile[j]))) {
                    best = d;
                    lastFile[j] = fi;
                    from[j] = at;
                }
            }
            if (best != INF) {
                dist[j] = best;
                tree.set(j, key(best, j));
            }
        }
    }

    /** At equal chain length: the higher level, then the wider range (as the planner prefers). */
    private static boolean preferred(LtxFileInfo f, LtxFileInfo current) {
        if (f.level() != current.level()) {
            return f.level() > current.level();
        }
        return Txid.compare(f.minTxid(), current.minTxid()) < 0;
    }

    /** Tree key: smaller distance first, then the later node (chains share the most recent prefix). */
    private long key(long d, int node) {
        return (d << 32) | (Integer.MAX_VALUE - node);
    }

    private static int nodeOf(long key) {
        return Integer.MAX_VALUE - (int) (key & 0xFFFF_FFFFL);
    }

    /** Index of the first node >= txid. */
    private int lowerBound(long txid) {
        long key = Txid.orderKey(txid);
        int lo = 0;
        int hi = nodes.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (nodes[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The highest TXID any file holds, 0 for none. */
    public long latest() {
        return Txid.fromOrderKey(nodes[nodes.length - 1]);
    }

    public boolean reachable(long txid) {
        int i = lowerBound(txid);
        return i < nodes.length && nodes[i] == Txid.orderKey(txid) && dist[i] != INF && txid != 0;
    }

    /** The highest reachable TXID at or below {@code txid}, 0 if none. */
    public long reachableAtOrBelow(long txid) {
        int i = lowerBound(txid);
        if (i == nodes.length || nodes[i] > Txid.orderKey(txid)) {
            i--;
        }
        for (; i > 0; i--) {
            if (dist[i] != INF) {
                return Txid.fromOrderKey(nodes[i]);
            }
        }
        return 0;
    }

    /**
     * Marks the files (indices into the input list) of one chain reaching {@code txid} in {@code keep}, walking back
     * until a node whose chain is already kept ({@code visited}).
     */
    public void keepChain(long txid, boolean[] keep, boolean[] visited) {
        int i = lowerBound(txid);
        while (i > 0 && !visited[i]) {
            visited[i] = true;
            keep[lastFile[i]] = true;
            i = from[i];
        }
    }

    /** A fresh visited-marks array for {@link #keepChain}. */
    public boolean[] newMarks() {
        return new boolean[nodes.length];
    }

    /** Range minimum over node keys, point updates; iterative segment tree. */
    private static final class MinTree {
        private final int size;
        private final long[] t;

        MinTree(int n) {
            int s = 1;
            while (s < n) {
                s <<= 1;
            }
            size = s;
            t = new long[2 * s];
            Arrays.fill(t, INF);
        }

        void set(int i, long v) {
            int p = i + size;
            t[p] = v;
            for (p >>= 1; p >= 1; p >>= 1) {
                t[p] = Math.min(t[2 * p], t[2 * p + 1]);
            }
        }

        long min(int lo, int hi) {
            long m = INF;
            int l = lo + size;
            int r = hi + size + 1;
            while (l < r) {
                if ((l & 1) == 1) {
                    m = Math.min(m, t[l++]);
                }
                if ((r & 1) == 1) {
                    m = Math.min(m, t[--r]);
                }
                l >>= 1;
                r >>= 1;
            }
            return m;
        }
    }
}
