package dev.ltx4j.compaction;

import dev.ltx4j.replica.LtxFileInfo;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one compaction into a level (1..8) or one snapshot (level 9) did.
 *
 * @param level   the level written
 * @param outcome what happened
 * @param output  the file written or found already written; null when nothing was compacted
 * @param inputs  the files merged, in order (empty when nothing was compacted)
 * @param more    true when the inputs were capped ({@link Compactor#MAX_INPUTS} files) and more lower-level files
 *                wait: call again (a scheduled level stays due)
 */
public record CompactionResult(int level, Outcome outcome, LtxFileInfo output, List<LtxFileInfo> inputs,
        boolean more) {

    /** What happened. */
    public enum Outcome {
        /** This call created {@link #output()}. */
        CREATED,
        /** A file with the same name and the same header range and page size was already there (a racing
         *  compactor, or an earlier run whose response was lost): the work is done, nothing was written. */
        ALREADY_COMPACTED,
        /** Nothing to do: no inputs beyond the level's newest file, a gap right at the seek position, or (for a
         *  snapshot) the newest snapshot already holds the latest TXID or the replica is empty. */
        NOTHING_TO_DO
    }

    public CompactionResult {
        Objects.requireNonNull(outcome, "outcome");
        inputs = List.copyOf(inputs);
        if ((outcome == Outcome.NOTHING_TO_DO) != (output == null)) {
            throw new IllegalArgumentException("output must be set exactly when something was compacted: "
                    + outcome + " " + output);
        }
    }

    public static CompactionResult nothing(int level) {
        return new CompactionResult(level, Outcome.NOTHING_TO_DO, null, List.of(), false);
    }

    public Optional<LtxFileInfo> outputFile() {
        return Optional.ofNullable(output);
    }

    /** True when this call created a file. */
    public boolean created() {
        return outcome == Outcome.CREATED;
    }
}
