package dev.ltx4j.compaction;

import dev.ltx4j.replica.LtxFileInfo;
import java.time.Duration;
import java.time.Instant;

/**
 * One level's compaction state (levels 1..n, and 9 for snapshots), as of the last call.
 *
 * @param level             1..8, or 9
 * @param interval          the schedule ({@link Duration#ZERO} for level 9 when snapshots are off)
 * @param filesCreated      files this compactor created at the level since it was constructed
 * @param alreadyCompacted  runs that found their output already written by someone else
 * @param lastRun           when the level last ran (success or failure), null if never
 * @param lastFile          the last file created or found, null if none
 * @param lastError         the last run's error message, null when the last run succeeded (or none ran)
 */
public record LevelStatus(int level, Duration interval, long filesCreated, long alreadyCompacted, Instant lastRun,
        LtxFileInfo lastFile, String lastError) {
}
