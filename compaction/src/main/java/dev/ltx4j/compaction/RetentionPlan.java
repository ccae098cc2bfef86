package dev.ltx4j.compaction;

import dev.ltx4j.compaction.internal.RetentionSolver;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.util.TreeMap;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.function.Function;

/**
 * Which files retention keeps and deletes: a pure function of a listing and the time, used by {@link Compactor},
 * the CLI's dry run and the simulator's checker.
 *
 * <p><b>Restore points</b> (every TXID that must stay restorable): the max TXID of every file whose
 * {@code createdAt >= now - retention}; the latest TXID; and the newest file boundary at or before
 * {@code now - retention} (the state at the window's start). A point the listing cannot reach may be lost or only
 * hidden by a lagging listing: it is left out, the reachable TXID below it becomes a point, and every file ending
 * between the two is kept; when the latest TXID itself is unreachable (a gap) the plan refuses: it deletes nothing and says why
 * in {@link #refusal()}.
 *
 * <p><b>Keep</b>: a set of files in which every restore point is reachable by a chain starting at TXID 1, so
 * {@link dev.ltx4j.replica.RestorePlanner} over the kept files alone (or any superset) reaches exactly every point;
 * plus the newest file of every level (compaction seeks from it, readers poll from it), plus lower-level files not
 * yet compacted into the next level up (their {@code maxTxid} beyond that level's newest).
 *
 * <p><b>Grace</b>: a file is in {@link #delete()} only if it is also deletable in the plan computed as of
 * {@code now - grace}, from the files that existed then (by default {@code createdAt <= now - grace}; see
 * {@link #of(Map, Instant, Duration, Duration, Function)}), so a reader whose plan is younger than the grace period
 * never loses a file.
 *
 * <p>Runs in O(n log n) for n files.
 */
public final class RetentionPlan {
    private final Instant now;
    private final Instant windowStart;
    private final Duration retention;
    private final Duration grace;
    private final List<Long> restorePoints;
    private final List<LtxFileInfo> keep;
    private final List<LtxFileInfo> delete;
    private final String refusal;

    RetentionPlan(Instant now, Instant windowStart, Duration retention, Duration grace, List<Long> restorePoints,
            List<LtxFileInfo> keep, List<LtxFileInfo> delete, String refusal) {
        this.now = now;
        this.windowStart = windowStart;
        this.retention = retention;
        this.grace = grace;
        this.restorePoints = List.copyOf(restorePoints);
        this.keep = List.copyOf(keep);
        this.delete = List.copyOf(delete);
        this.refusal = refusal;
    }

    /**
     * The plan for {@code filesByLevel} (level to its listing; missing levels are empty) at {@code now}.
     * {@link Duration#ZERO} retention deletes nothing.
     */
    public static RetentionPlan of(Map<Integer, List<LtxFileInfo>> filesByLevel, Instant now, Duration retention,
            Duration grace) {
        return of(filesByLevel, now, retention, grace, RetentionPlan::createdAt);
    }

    /**
     * As {@link #of(Map, Instant, Duration, Duration)}, with {@code existsSince} telling when each file became
     * visible, for the grace cut only (default: its {@code createdAt}). A compacted file's {@code createdAt} is its
     * newest input's timestamp, older than the file; a {@link Compactor} passes the time it created its own files (and
     * first listed compacted files of other processes) so the grace period protects readers from those too.
     */
    public static RetentionPlan of(Map<Integer, List<LtxFileInfo>> filesByLevel, Instant now, Duration retention,
            Duration grace, Function<LtxFileInfo, Instant> existsSince) {
        return compute(filesByLevel, now, retention, grace, existsSince, false);
    }

    /** The plan, or with {@code deleteTooEarly} the bug's plan: correct restore points, deletions ignoring them. */
    static RetentionPlan compute(Map<Integer, List<LtxFileInfo>> filesByLevel, Instant now, Duration retention,
            Duration grace, Function<LtxFileInfo, Instant> existsSince, boolean deleteTooEarly) {
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(grace, "grace");
        Instant graceAgo = now.minus(grace);
        return compute(filesByLevel, now, now.minus(retention), graceAgo, graceAgo.minus(retention), retention, grace,
                existsSince, deleteTooEarly);
    }

    /**
     * As above with the cuts a {@link Compactor} knows across clock steps (docs/compaction.md, "Clock steps"): the
     * window starts at {@code windowStart} (at or before {@code now - retention}); the grace plan is computed as of
     * {@code graceAgo} (what the wall clock read {@code grace} ago: a forward step must not shorten the grace) with its
     * window starting at {@code pastWindowStart}. Earlier cuts only keep more.
     */
    static RetentionPlan compute(Map<Integer, List<LtxFileInfo>> filesByLevel, Instant now, Instant windowStart,
            Instant graceAgo, Instant pastWindowStart, Duration retention, Duration grace,
            Function<LtxFileInfo, Instant> existsSince, boolean deleteTooEarly) {
        Objects.requireNonNull(now, "now");
        Objects.requireNonNull(windowStart, "windowStart");
        Objects.requireNonNull(graceAgo, "graceAgo");
        Objects.requireNonNull(pastWindowStart, "pastWindowStart");
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(grace, "grace");
        Objects.requireNonNull(existsSince, "existsSince");
        if (retention.isNegative() || grace.isNegative()) {
            throw new IllegalArgumentException("retention and grace must not be negative: " + retention + ", " + grace);
        }
        List<LtxFileInfo> all = flatten(filesByLevel);
        boolean off = retention.isZero();
        RetentionSolver current = RetentionSolver.solve(all, off ? null : windowStart, false);
        List<Long> points = boxed(current.points());
        if (off || current.refusal() != null) {
            return new RetentionPlan(now, windowStart, retention, grace, points, all, List.of(), current.refusal());
        }
        boolean[] keep;
        if (deleteTooEarly) {
            keep = RetentionSolver.solve(all, now, true).keep();
        } else {
            keep = current.keep().clone();
            Instant then = graceAgo;
            List<LtxFileInfo> old = new ArrayList<>();
            int[] oldIndex = new int[all.size()];
            for (int i = 0; i < all.size(); i++) {
                Instant since = existsSince.apply(all.get(i));
                if (since == null || !since.isAfter(then)) {
                    oldIndex[old.size()] = i;
                    old.add(all.get(i));
                } else {
                    keep[i] = true; // did not exist grace ago
                }
            }
            RetentionSolver past = RetentionSolver.solve(old, pastWindowStart, false);
            for (int k = 0; k < old.size(); k++) {
                if (past.refusal() != null || past.keep()[k]) {
                    keep[oldIndex[k]] = true;
                }
            }
        }
        List<LtxFileInfo> kept = new ArrayList<>();
        List<LtxFileInfo> deleted = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            (keep[i] ? kept : deleted).add(all.get(i));
        }
        return new RetentionPlan(now, windowStart, retention, grace, points, kept, deleted, null);
    }

    private static List<Long> boxed(long[] values) {
        Long[] out = new Long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return Arrays.asList(out);
    }

    private static List<LtxFileInfo> flatten(Map<Integer, List<LtxFileInfo>> filesByLevel) {
        Objects.requireNonNull(filesByLevel, "filesByLevel");
        List<LtxFileInfo> all = new ArrayList<>();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            List<LtxFileInfo> files = filesByLevel.getOrDefault(level, List.of());
            for (LtxFileInfo f : files) {
                if (f.level() != level) {
                    throw new IllegalArgumentException("file " + f + " is listed under level " + level);
                }
            }
            List<LtxFileInfo> copy = new ArrayList<>(files);
            copy.sort(BY_RANGE);
            all.addAll(copy);
        }
        for (Integer level : filesByLevel.keySet()) {
            if (level == null || level < ReplicaClient.MIN_LEVEL || level > ReplicaClient.MAX_LEVEL) {
                throw new IllegalArgumentException("no such level: " + level);
            }
        }
        return all;
    }

    private static Instant createdAt(LtxFileInfo f) {
        return f.createdAt() == null ? Instant.EPOCH : f.createdAt();
    }

    private static final Comparator<LtxFileInfo> BY_RANGE = (a, b) -> a.minTxid() != b.minTxid()
            ? Txid.compare(a.minTxid(), b.minTxid()) : Txid.compare(a.maxTxid(), b.maxTxid());

    /** Lists every level (0..9) of {@code client}, without metadata: the input {@link #of} expects. */
    public static Map<Integer, List<LtxFileInfo>> listAll(ReplicaClient client) throws ReplicaException {
        Map<Integer, List<LtxFileInfo>> out = new TreeMap<>();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            out.put(level, client.listFiles(level, 0, false));
        }
        return out;
    }

    /** Files to keep, by level then range. */
    public List<LtxFileInfo> keep() {
        return keep;
    }

    /** Files to delete, by level then range (empty when retention is off or the plan refused). */
    public List<LtxFileInfo> delete() {
        return delete;
    }

    /** Every TXID that stays restorable, ascending. */
    public List<Long> restorePoints() {
        return restorePoints;
    }

    /** Why nothing may be deleted (e.g. the latest TXID is unreachable), or null. */
    public String refusal() {
        return refusal;
    }

    public Instant now() {
        return now;
    }

    /**
     * The oldest moment whose state stays restorable: {@code now - retention}, or earlier where a compactor saw the
     * wall clock step forward within the window (docs/compaction.md, "Clock steps").
     */
    public Instant windowStart() {
        return windowStart;
    }

    public Duration retention() {
        return retention;
    }

    public Duration grace() {
        return grace;
    }

    /** Sum of the listed sizes of {@link #delete()}. */
    public long bytesToDelete() {
        long sum = 0;
        for (LtxFileInfo f : delete) {
            sum += f.size();
        }
        return sum;
    }

    @Override
    public String toString() {
        return "RetentionPlan[keep " + keep.size() + ", delete " + delete.size() + ", restore points "
                + restorePoints.size() + (refusal != null ? ", refused: " + refusal : "") + "]";
    }
}
