package dev.ltx4j.compaction;

import dev.ltx4j.replica.LtxFileInfo;
import java.util.List;
import java.util.Objects;

/**
 * What one retention run decided and (when applied) did.
 *
 * @param applied       false for a dry run: nothing was deleted
 * @param plan          the plan the deletions come from (its {@link RetentionPlan#delete()} already honours the grace
 *                      period)
 * @param deleted       the files actually deleted (empty in a dry run; a prefix of {@code plan.delete()} in batch
 *                      order when a batch failed)
 * @param bytesDeleted  sum of the listed sizes of {@code deleted}
 */
public record RetentionResult(boolean applied, RetentionPlan plan, List<LtxFileInfo> deleted, long bytesDeleted) {

    public RetentionResult {
        Objects.requireNonNull(plan, "plan");
        deleted = List.copyOf(deleted);
    }

    /** The files the plan would delete (or did, when applied and complete). */
    public List<LtxFileInfo> deletable() {
        return plan.delete();
    }

    public int filesDeleted() {
        return deleted.size();
    }
}
