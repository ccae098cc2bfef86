package dev.ltx4j.syncer;

import dev.ltx4j.replica.LtxFileInfo;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The states a replica can restore and the search for the newest one at or before a time, for time travel. Pure
 * functions over one listing; the timestamps come from a caller's {@link Times} (ranged header reads, cached).
 *
 * <p><b>Restorable points.</b> A TXID {@code t} is restorable when some file ends at {@code t} and the files ending
 * at or before {@code t} cover every TXID from 1 to {@code t}: exactly the TXIDs for which the restore planner's
 * TXID target reaches {@code t} (its greedy chain reaches every covered prefix). One sweep in max-TXID order finds
 * them all: a group of files ending at {@code t} extends the covered prefix {@code P} when one of them starts at or
 * before {@code P + 1}. This works through any mix of levels: after compaction and retention only the boundaries of
 * the files that are still there remain.
 *
 * <p><b>Search.</b> Commit times are assumed not to decrease with the TXID (one writer's clock). A binary search
 * keeps {@code time(lo) <= target < time(hi)}; the listing's own timestamps (the header timestamp on file and Azure
 * replicas, the upload time on S3) only guess the answer, which two header reads confirm, so a backend whose
 * listing times are exact costs two reads and any other at most {@code log2(points) + 2}. If a clock went back, the
 * answer is still a point whose time is at or before the target and whose successor's is after it.
 */
final class RestorablePoints {
    private RestorablePoints() {}

    /**
     * A restorable TXID and a file that ends at it (the lowest level's: its header is the original commit's), and
     * the other files that end at it and extend the covered prefix too, ascending by level (another way to its state
     * when {@code file} is corrupt).
     */
    record Point(long txid, LtxFileInfo file, List<LtxFileInfo> others) {
        Point {
            others = List.copyOf(others);
        }

        /** The same point through its next file, or null when no other file ends at it. */
        Point next() {
            return others.isEmpty() ? null : new Point(txid, others.get(0), others.subList(1, others.size()));
        }
    }

    /** The exact commit time of a point, in epoch milliseconds (one header read unless cached). */
    @FunctionalInterface
    interface Times {
        long millis(Point p) throws IOException;
    }

    /** Every restorable point of a listing of all levels, ascending by TXID. */
    static List<Point> of(List<LtxFileInfo> files) {
        List<LtxFileInfo> sorted = new ArrayList<>(files);
        sorted.sort(Comparator.comparing(LtxFileInfo::maxTxid, Long::compareUnsigned)
                .thenComparing(LtxFileInfo::minTxid, Long::compareUnsigned)
                .thenComparingInt(LtxFileInfo::level));
        List<Point> points = new ArrayList<>();
        long covered = 0;
        int i = 0;
        while (i < sorted.size()) {
            long t = sorted.get(i).maxTxid();
            List<LtxFileInfo> extending = new ArrayList<>();
            for (; i < sorted.size() && sorted.get(i).maxTxid() == t; i++) {
                LtxFileInfo f = sorted.get(i);
                if (Long.compareUnsigned(f.minTxid(), covered + 1) <= 0 && Long.compareUnsigned(t, covered) > 0) {
                    extending.add(f);
                }
            }
            if (!extending.isEmpty()) {
                extending.sort(Comparator.comparingInt(LtxFileInfo::level));
                covered = t;
                points.add(new Point(t, extending.get(0), extending.subList(1, extending.size())));
            }
        }
        return points;
    }

    /**
     * The index of the newest point whose commit time is at or before {@code target}, or -1 when the first point's
     * is after it.
     */
    static int search(List<Point> points, Instant target, Times times) throws IOException {
        long want = target.toEpochMilli();
        int n = points.size();
        int lo = -1;
        int hi = n;
        int hint = listingGuess(points, target);
        for (int probe = hint; probe <= hint + 1; probe++) {
            if (probe > lo && probe < hi) {
                if (times.millis(points.get(probe)) <= want) {
                    lo = probe;
                } else {
                    hi = probe;
                }
            }
        }
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (times.millis(points.get(mid)) <= want) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The answer if the listing's timestamps were the header timestamps (no request). */
    private static int listingGuess(List<Point> points, Instant target) {
        int lo = -1;
        int hi = points.size();
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            Instant at = points.get(mid).file().createdAt();
            if (at != null && !at.isAfter(target)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
