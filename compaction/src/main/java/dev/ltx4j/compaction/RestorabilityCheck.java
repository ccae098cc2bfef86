package dev.ltx4j.compaction;

import dev.ltx4j.compaction.internal.ListingClient;
import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.internal.PrefetchedChain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongFunction;

/**
 * The retention checker: given the files a replica holds (e.g. after a deletion) and the restore points that must
 * survive, runs the real {@link dev.ltx4j.replica.RestorePlanner} for every point over exactly those files and
 * confirms the plan starts at TXID 1, is contiguous, and ends exactly at the point. Independent of how
 * {@link RetentionPlan} chose its files; the tests call it. Cost: one plan per point (linear in
 * the number of files each), meant for checks, not for production paths.
 */
public final class RestorabilityCheck {
    private RestorabilityCheck() {
    }

    /** Every problem found, one line each naming the TXID and what the plan did; empty when all points restore. */
    public static List<String> problems(Map<Integer, List<LtxFileInfo>> filesByLevel, Collection<Long> restorePoints) {
        ListingClient listing = new ListingClient(filesByLevel);
        RestorePlanner planner = new RestorePlanner(listing);
        List<String> problems = new ArrayList<>();
        for (long point : new TreeSet<>(restorePoints)) {
            String problem = check(planner, point);
            if (problem != null) {
                problems.add("TXID " + Txid.format(point) + ": " + problem);
            }
        }
        return problems;
    }

    private static String check(RestorePlanner planner, long point) {
        if (point == 0) {
            return "not a TXID";
        }
        List<LtxFileInfo> plan;
        try {
            plan = planner.plan(RestoreTarget.txid(point));
        } catch (RestorePlanException e) {
            return "no plan (" + e.getMessage() + ")";
        } catch (ReplicaException e) {
            return "listing failed (" + e.getMessage() + ")";
        }
        if (plan.get(0).minTxid() != 1) {
            return "the plan starts at " + plan.get(0) + ", not at TXID 1: " + plan;
        }
        for (int i = 1; i < plan.size(); i++) {
            LtxFileInfo prev = plan.get(i - 1);
            LtxFileInfo cur = plan.get(i);
            if (Txid.compare(cur.minTxid(), prev.maxTxid() + 1) > 0 || Txid.compare(cur.maxTxid(), prev.maxTxid()) <= 0) {
                return "the plan is not contiguous at " + prev + " -> " + cur + ": " + plan;
            }
        }
        LtxFileInfo last = plan.get(plan.size() - 1);
        if (last.maxTxid() != point) {
            return "the plan ends at " + last + ", not exactly at the point: " + plan;
        }
        return null;
    }

    /** As {@link #problems(Map, Collection)} over a fresh listing of {@code client}. */
    public static List<String> problems(ReplicaClient client, Collection<Long> restorePoints) throws ReplicaException {
        return problems(RetentionPlan.listAll(client), restorePoints);
    }

    /**
     * Restores {@code txid} from {@code client} as a user would ({@link RestorePlanner} for the TXID, then
     * {@link LtxRestorer} over the planned files, read ahead as {@code ltx4j restore} reads them: PrefetchedChain on a
     * pool of its own) and returns the database bytes. {@code scratch} holds the temporary database, deleted before
     * returning.
     */
    public static byte[] restore(ReplicaClient client, long txid, Path scratch) throws IOException {
        return restore(client, txid, scratch, null);
    }

    /**
     * As {@link #restore(ReplicaClient, long, Path)} with the plan's reads run on {@code executor} ({@code Runnable::run}:
     * inline on this thread, in plan order, the same requests in the same order on every run: the simulator's).
     * Null: a pool of the read-ahead's own.
     */
    public static byte[] restore(ReplicaClient client, long txid, Path scratch, Executor executor) throws IOException {
        List<LtxFileInfo> plan;
        try {
            plan = new RestorePlanner(client).plan(RestoreTarget.txid(txid));
        } catch (RestorePlanException e) {
            throw new CompactionException("cannot restore TXID " + Txid.format(txid) + ": " + e.getMessage(), e);
        }
        Path db = Files.createTempFile(scratch, "restore-" + Txid.format(txid) + "-", ".db");
        try (PrefetchedChain chain = new PrefetchedChain(client, plan, PrefetchedChain.Limits.defaults(), executor,
                i -> { })) {
            LtxRestorer.restore(chain.sources(), db);
            return Files.readAllBytes(db);
        } finally {
            Files.deleteIfExists(db);
        }
    }

    /**
     * The content check: restores every point from {@code client} and compares the database bytes with
     * {@code expected} (the model's database at that TXID). Catches files whose names promise TXIDs their pages do not
     * hold (a compaction across a gap), which {@link #problems} cannot see. One problem line per point that fails
     * to restore or differs. The restores read ahead on one pool for all points.
     */
    public static List<String> contentProblems(ReplicaClient client, Collection<Long> restorePoints,
            LongFunction<byte[]> expected, Path scratch) {
        ExecutorService pool = Executors.newFixedThreadPool(PrefetchedChain.PIECES_AHEAD, r -> {
            Thread t = new Thread(r, "ltx4j-restorability-fetch");
            t.setDaemon(true);
            return t;
        });
        try {
            return contentProblems(client, restorePoints, expected, scratch, pool);
        } finally {
            pool.shutdownNow();
        }
    }

    /** As {@link #contentProblems(ReplicaClient, Collection, LongFunction, Path)}, reads on {@code executor}. */
    public static List<String> contentProblems(ReplicaClient client, Collection<Long> restorePoints,
            LongFunction<byte[]> expected, Path scratch, Executor executor) {
        List<String> problems = new ArrayList<>();
        for (long point : new TreeSet<>(restorePoints)) {
            try {
                byte[] actual = restore(client, point, scratch, executor);
                byte[] want = expected.apply(point);
                if (!Arrays.equals(actual, want)) {
                    problems.add("TXID " + Txid.format(point) + ": restored database differs from the expected one ("
                            + actual.length + " vs " + (want == null ? "no" : want.length) + " bytes"
                            + firstDifference(actual, want) + ")");
                }
            } catch (IOException | RuntimeException e) {
                problems.add("TXID " + Txid.format(point) + ": restore failed: " + dev.ltx4j.replica.internal.UserMessages.describe(e));
            }
        }
        return problems;
    }

    private static String firstDifference(byte[] a, byte[] b) {
        if (b == null) {
            return "";
        }
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i]) {
                return ", first difference at byte " + i;
            }
        }
        return "";
    }

    /**
     * @throws IllegalStateException naming the first few unrestorable points when any point does not restore
     */
    public static void verify(Map<Integer, List<LtxFileInfo>> filesByLevel, Collection<Long> restorePoints) {
        List<String> problems = problems(filesByLevel, restorePoints);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(problems.size() + " restore point(s) not restorable: "
                    + String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
        }
    }
}
