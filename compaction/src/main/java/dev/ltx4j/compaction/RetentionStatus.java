package dev.ltx4j.compaction;

import java.time.Duration;
import java.time.Instant;

/**
 * Retention's state, as of the last call.
 *
 * @param window               the retention window ({@link Duration#ZERO}: never delete)
 * @param grace                the grace period
 * @param lastRun              when retention last ran (success or failure), null if never
 * @param filesDeleted         files deleted since the compactor was constructed
 * @param bytesDeleted         bytes deleted since the compactor was constructed
 * @param lastRunFilesDeleted  files deleted by the last run
 * @param lastRunBytesDeleted  bytes deleted by the last run
 * @param lastError            the last run's error message, null when it succeeded (or none ran)
 */
public record RetentionStatus(Duration window, Duration grace, Instant lastRun, long filesDeleted, long bytesDeleted,
        long lastRunFilesDeleted, long lastRunBytesDeleted, String lastError) {
}
