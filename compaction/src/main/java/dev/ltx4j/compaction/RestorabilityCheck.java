package dev.ltx4j.compaction;

import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The retention checker: given the files a replica holds (e.g. after a deletion) and the restore points that must
 * survive, runs the real {@link dev.ltx4j.replica.RestorePlanner} for every point over exactly those files and
 * confirms the plan starts at TXID 1, is contiguous, and ends exactly at the point. Independent of how
 * {@link RetentionPlan} chose its files; the simulator and the tests call it. Cost: one plan per point (linear in
 * the number of files each), meant for checks, not for production paths.
 */
public final class RestorabilityCheck {
    private RestorabilityCheck() {
    }

    /** Every problem found, one line each naming the TXID and what the plan did; empty when all points restore. */
    public static List<String> problems(Map<Integer, List<LtxFileInfo>> filesByLevel, Collection<Long> restorePoints) {
        throw new UnsupportedOperationException("not yet");
    }

    /** As {@link #problems(Map, Collection)} over a fresh listing of {@code client}. */
    public static List<String> problems(ReplicaClient client, Collection<Long> restorePoints) throws ReplicaException {
        return problems(RetentionPlan.listAll(client), restorePoints);
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
