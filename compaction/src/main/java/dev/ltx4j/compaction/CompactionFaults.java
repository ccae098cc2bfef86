package dev.ltx4j.compaction;

import dev.ltx4j.replica.LtxFileInfo;
import java.util.List;

/**
 * Fault points for tests and the simulator. Production code passes {@link #NONE}. The two bug switches
 * re-introduce the bug classes the simulator's checks must catch; the crash points let a simulator stop a
 * {@link Compactor} between the steps of an operation by throwing (any exception propagates unchanged out of the
 * {@code Compactor} method that was running, after the status records it).
 */
public interface CompactionFaults {

    /** No faults, no bugs. */
    CompactionFaults NONE = new CompactionFaults() {
        @Override
        public String toString() {
            return "CompactionFaults.NONE";
        }
    };

    /**
     * Bug switch: retention ignores the grace period and the retention window (keeps only what the latest state
     * needs, plus the newest file of each level). The restorability checker must catch this.
     */
    default boolean deleteTooEarly() {
        return false;
    }

    /**
     * Bug switch: level compaction merges inputs that are not contiguous (skips over a gap in the lower level),
     * so the output claims TXIDs it does not hold. The restorability checker must catch this.
     */
    default boolean compactAcrossGap() {
        return false;
    }

    /**
     * Bug switch: levels and retention are due at their last run plus their interval on the wall clock, and a last run
     * "in the future" (a step back) makes them due at once, as before session 12 (docs/compaction.md, "Clock steps").
     * The simulator's clock-step fault and its {@code schedule-elapsed} check must catch this.
     */
    default boolean wallClockSchedule() {
        return false;
    }

    /**
     * Bug switch: the retention window and the grace cut are {@code now - retention} and {@code now - grace} on the
     * wall clock alone, as before session 12, so a forward step pushes the states it jumped over out of the window. The
     * simulator's clock-step fault and its {@code retention} check must catch this.
     */
    default boolean wallClockWindow() {
        return false;
    }

    /** Called with the file about to be created (level, range, size, timestamp), after its body was built. */
    default void beforeCreate(LtxFileInfo file) throws Exception {
    }

    /** Called right after {@code file} was created (or found already created by a racing compactor). */
    default void afterCreate(LtxFileInfo file) throws Exception {
    }

    /** Called before each batch of retention deletes, with the batch. */
    default void beforeDelete(List<LtxFileInfo> batch) throws Exception {
    }
}
