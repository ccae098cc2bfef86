package dev.ltx4j.replica;

import dev.ltx4j.ltx.Txid;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Objects;

/**
 * Chooses the files that rebuild a database state, exactly as Litestream's {@code CalcRestorePlan} does, so a
 * replica restores to the same state in both implementations:
 *
 * <ol>
 *   <li>The snapshot: the last level-9 file (in listing order) with {@code maxTxid <= target TXID} and
 *       {@code createdAt} strictly before the target timestamp (when those are set).</li>
 *   <li>A greedy chain across levels 8 down to 0: among files with {@code minTxid <= reached + 1} that extend the
 *       chain ({@code maxTxid > reached}), within the target, pick the one with the largest {@code maxTxid}; ties go
 *       to the smaller {@code minTxid}, then the higher level, then the earlier {@code createdAt}. Overlap with the
 *       chain is allowed. Stop when nothing extends it or the target TXID is reached.</li>
 *   <li>For a latest restore, a file on any level that starts beyond {@code reached + 1} means a gap:
 *       {@link RestorePlanException.NonContiguous}.</li>
 *   <li>An empty plan, or a TXID target not reached: {@link RestorePlanException.TransactionNotAvailable}.</li>
 * </ol>
 * The plan's first file starts at TXID 1 only when the replica holds a full chain; callers decoding it as a
 * snapshot must check. Listings use {@code useMetadata} only for timestamp targets. Listings are top-down and
 * seeked ({@link #planWithPositions}); the plan restores the same state as one over complete listings.
 */
public final class RestorePlanner {
    private final ReplicaClient client;

    public RestorePlanner(ReplicaClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * A plan and where its listings ended: per level, the min TXID of the last file listed there (or the seek the
     * level was listed from when nothing was there), so a poller can continue each level from there.
     */
    public record Plan(List<LtxFileInfo> files, long[] positions) {}

    /**
     * @return the files to apply in order, never empty
     * @throws RestorePlanException when the replica's files cannot reach the target
     * @throws ReplicaException when a listing fails
     */
    public List<LtxFileInfo> plan(RestoreTarget target) throws ReplicaException, RestorePlanException {
        return planWithPositions(target).files();
    }

    /**
     * Like {@link #plan}, also answering the listing positions. Levels are listed top-down: level 9 in full, then
     * each compacted level only from the min TXID of the last file the plan over the higher levels ends with (files
     * there that start earlier are covered by that file; a file straddling the TXID reached starts at or after it
     * when level boundaries line up, as compaction makes them), and level 0, whose files hold one transaction
     * each, from the TXID reached + 1. So a replica with a long tail of level-0 files behind compacted levels or a
     * snapshot is planned from a handful of short listings. The greedy choice over the listed files is the
     * one of the class comment; when the listed files cannot reach the target (a file starting before a level's
     * seek would be needed: levels whose boundaries do not line up, e.g. written by another tool), every level is
     * listed in full and planned again, so the answer never depends on the shortcut.
     */
    public Plan planWithPositions(RestoreTarget target) throws ReplicaException, RestorePlanException {
        return planWithPositions(target, List.of());
    }

    /**
     * Like {@link #planWithPositions(RestoreTarget)}, over the listings plus {@code known}: files the caller knows
     * exist although a listing may not show them yet (a store whose listings lag behind its writes), e.g. a
     * writer's own uploads and the files its current state was built from. Each is merged into its level's
     * listing unless listed there already. A known file may have been deleted since; the caller loading the
     * plan then meets a not-found and plans again without it. The positions answer the listings only.
     */
    public Plan planWithPositions(RestoreTarget target, Collection<LtxFileInfo> known)
            throws ReplicaException, RestorePlanException {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(known, "known");
        boolean useMetadata = target.timestamp().isPresent();
        long[] positions = new long[ReplicaClient.MAX_LEVEL + 1];
        List<LtxFileInfo> snapshots = list(ReplicaClient.SNAPSHOT_LEVEL, 0, useMetadata, positions, known);
        List<List<LtxFileInfo>> levels = new ArrayList<>();
        boolean partial = false;
        for (int level = ReplicaClient.SNAPSHOT_LEVEL - 1; level >= ReplicaClient.MIN_LEVEL; level--) {
            List<LtxFileInfo> above = greedy(target, snapshots, levels, false);
            // Level 0 holds one transaction per file (every writer of the format makes them so): nothing there
            // straddles the TXID the levels above reach. A compacted level may: seek from the last file's start.
            long seek = level == 0 ? lastMax(above) + 1 : lastMin(above);
            partial |= seek > 1;
            levels.add(list(level, seek, useMetadata, positions, known));
        }
        try {
            return new Plan(greedy(target, snapshots, levels, true), positions);
        } catch (RestorePlanException e) {
            if (!partial) {
                throw e;
            }
        }
        levels.clear();
        for (int level = ReplicaClient.SNAPSHOT_LEVEL - 1; level >= ReplicaClient.MIN_LEVEL; level--) {
            levels.add(list(level, 0, useMetadata, positions, known));
        }
        return new Plan(greedy(target, snapshots, levels, true), positions);
    }

    private List<LtxFileInfo> list(int level, long seek, boolean useMetadata, long[] positions,
            Collection<LtxFileInfo> known) throws ReplicaException {
        List<LtxFileInfo> files = client.listFiles(level, seek, useMetadata);
        positions[level] = files.isEmpty() ? seek : files.get(files.size() - 1).minTxid();
        return withKnown(level, files, known);
    }

    /** {@code listed} with the known files of {@code level} it lacks, in listing order (min, then max TXID). */
    private static List<LtxFileInfo> withKnown(int level, List<LtxFileInfo> listed, Collection<LtxFileInfo> known) {
        List<LtxFileInfo> extra = new ArrayList<>();
        Set<String> names = null;
        for (LtxFileInfo k : known) {
            if (k.level() != level) {
                continue;
            }
            if (names == null) {
                names = new HashSet<>();
                for (LtxFileInfo f : listed) {
                    names.add(f.filename());
                }
            }
            if (names.add(k.filename())) {
                extra.add(k);
            }
        }
        if (extra.isEmpty()) {
            return listed;
        }
        List<LtxFileInfo> merged = new ArrayList<>(listed);
        merged.addAll(extra);
        merged.sort((a, b) -> a.minTxid() != b.minTxid() ? Long.compareUnsigned(a.minTxid(), b.minTxid())
                : Long.compareUnsigned(a.maxTxid(), b.maxTxid()));
        return merged;
    }

    /** The max TXID of the plan's last file (0: no plan yet). */
    private static long lastMax(List<LtxFileInfo> plan) {
        return plan.isEmpty() ? 0 : plan.get(plan.size() - 1).maxTxid();
    }

    /** The min TXID of the plan's last file (0: no plan yet, list the next level in full). */
    private static long lastMin(List<LtxFileInfo> plan) {
        return plan.isEmpty() ? 0 : plan.get(plan.size() - 1).minTxid();
    }

    /**
     * The greedy plan over {@code levels} (level 8 first, as many as listed). With {@code strict} the class
     * comment's errors are raised; without, whatever chain the files make is returned (possibly empty).
     */
    private static List<LtxFileInfo> greedy(RestoreTarget target, List<LtxFileInfo> snapshots,
            List<List<LtxFileInfo>> levels, boolean strict) throws RestorePlanException {
        long txid = target.txid();
        Instant before = target.timestamp().orElse(null);
        boolean anyFile = !snapshots.isEmpty();
        List<LtxFileInfo> plan = new ArrayList<>();
        LtxFileInfo snapshot = null;
        for (LtxFileInfo info : snapshots) {
            if (txid != 0 && gt(info.maxTxid(), txid)) {
                continue;
            }
            if (before != null && !createdAt(info).isBefore(before)) {
                continue;
            }
            snapshot = info;
        }
        long reached = 0;
        if (snapshot != null) {
            plan.add(snapshot);
            reached = snapshot.maxTxid();
            if (txid != 0 && !lt(reached, txid)) {
                return List.copyOf(plan);
            }
        }

        List<LevelCursor> cursors = new ArrayList<>();
        for (List<LtxFileInfo> files : levels) {
            anyFile |= !files.isEmpty();
            cursors.add(new LevelCursor(files));
        }

        while (true) {
            LevelCursor best = null;
            for (LevelCursor cursor : cursors) {
                cursor.refresh(reached, txid, before);
                if (cursor.candidate != null && (best == null || better(best.candidate, cursor.candidate))) {
                    best = cursor;
                }
            }
            if (best == null) {
                break;
            }
            plan.add(best.candidate);
            reached = best.candidate.maxTxid();
            best.candidate = null;
            if (txid != 0 && !lt(reached, txid)) {
                break;
            }
        }
        if (!strict) {
            return plan;
        }

        if (!plan.isEmpty() && target.isLatest()) {
            for (int i = 0; i < cursors.size(); i++) {
                LtxFileInfo next = cursors.get(i).peek();
                if (next != null && gt(next.minTxid(), reached + 1)) {
                    throw new RestorePlanException.NonContiguous(reached, ReplicaClient.SNAPSHOT_LEVEL - 1 - i,
                            next.minTxid());
                }
            }
        }
        if (plan.isEmpty()) {
            throw new RestorePlanException.TransactionNotAvailable(
                    anyFile ? "no files qualify for " + target + available(target, snapshots, levels)
                            : "the replica holds no files", 0, !anyFile);
        }
        if (txid != 0 && lt(reached, txid)) {
            throw new RestorePlanException.TransactionNotAvailable("wanted " + target + ", files reach only "
                    + Txid.format(reached), reached, false);
        }
        return List.copyOf(plan);
    }

    /**
     * What a refused TXID or timestamp target could have asked for instead: the oldest state (the files starting at
     * TXID 1 that are left, e.g. after retention) and the newest. For a timestamp target, times are the files'
     * createdAt: a restore "before T" needs a file starting at TXID 1 created before T.
     */
    private static String available(RestoreTarget target, List<LtxFileInfo> snapshots, List<List<LtxFileInfo>> levels) {
        LtxFileInfo oldest = null;
        LtxFileInfo newest = null;
        List<LtxFileInfo> all = new ArrayList<>(snapshots);
        levels.forEach(all::addAll);
        boolean byTime = target.timestamp().isPresent();
        for (LtxFileInfo f : all) {
            if (f.minTxid() == 1 && (oldest == null || (byTime ? createdAt(f).isBefore(createdAt(oldest))
                    : lt(f.maxTxid(), oldest.maxTxid())))) {
                oldest = f;
            }
            if (newest == null || (byTime ? createdAt(f).isAfter(createdAt(newest)) : gt(f.maxTxid(), newest.maxTxid()))) {
                newest = f;
            }
        }
        if (oldest == null) {
            return "; no file left starts at TXID 0000000000000001 (the history before "
                    + (newest == null ? "its files" : newest.toString())
                    + " was removed), so no state is restorable";
        }
        if (byTime) {
            return "; the oldest restorable state was created at " + createdAt(oldest) + " (" + oldest
                    + "; earlier states were compacted away or removed by retention): give a time"
                    + " after it, up to " + createdAt(newest) + " (the newest file, " + newest
                    + "; later times restore the latest state)";
        }
        return "; the oldest restorable TXID is " + Txid.format(oldest.maxTxid()) + " (" + oldest
                + "; earlier states were compacted away or removed by retention), the newest "
                + Txid.format(newest.maxTxid());
    }

    /** Whether {@code next} beats {@code current}: larger max, then smaller min, then higher level, then older. */
    static boolean better(LtxFileInfo current, LtxFileInfo next) {
        if (next.maxTxid() != current.maxTxid()) {
            return gt(next.maxTxid(), current.maxTxid());
        }
        if (next.minTxid() != current.minTxid()) {
            return lt(next.minTxid(), current.minTxid());
        }
        if (next.level() != current.level()) {
            return next.level() > current.level();
        }
        return createdAt(next).isBefore(createdAt(current));
    }

    private static Instant createdAt(LtxFileInfo info) {
        return info.createdAt() == null ? Instant.EPOCH : info.createdAt();
    }

    private static boolean gt(long a, long b) {
        return Long.compareUnsigned(a, b) > 0;
    }

    private static boolean lt(long a, long b) {
        return Long.compareUnsigned(a, b) < 0;
    }

    /** One level's sorted files, consumed as the chain advances; keeps the best file seen that can extend it. */
    private static final class LevelCursor {
        private final List<LtxFileInfo> files;
        private int next;
        LtxFileInfo candidate;

        LevelCursor(List<LtxFileInfo> files) {
            this.files = files;
        }

        LtxFileInfo peek() {
            return next < files.size() ? files.get(next) : null;
        }

        void refresh(long reached, long txid, Instant before) {
            if (candidate != null && !gt(candidate.maxTxid(), reached)) {
                candidate = null;
            }
            for (LtxFileInfo info = peek(); info != null && !gt(info.minTxid(), reached + 1); info = peek()) {
                next++;
                if (!gt(info.maxTxid(), reached)) {
                    continue;
                }
                if (txid != 0 && gt(info.maxTxid(), txid)) {
                    continue;
                }
                if (before != null && !createdAt(info).isBefore(before)) {
                    continue;
                }
                if (candidate == null || better(candidate, info)) {
                    candidate = info;
                }
            }
        }
    }
}
