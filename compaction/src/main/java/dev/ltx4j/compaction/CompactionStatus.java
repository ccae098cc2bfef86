package dev.ltx4j.compaction;

import dev.ltx4j.compaction.internal.StatusJson;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A {@link Compactor}'s state: immutable, safe to hand to any thread.
 *
 * @param levels        levels 1..n (the configured ones, plus any other level compacted explicitly), then 9
 * @param retention     retention's state
 * @param enabled       the settings' master switch
 * @param filesPerLevel files at levels 0..9 in the compactor's most recent listing of each level, -1 where it has
 *                      not listed that level yet (ten entries)
 */
public record CompactionStatus(List<LevelStatus> levels, RetentionStatus retention, boolean enabled,
        List<Integer> filesPerLevel) {

    public CompactionStatus {
        levels = List.copyOf(levels);
        Objects.requireNonNull(retention, "retention");
        filesPerLevel = List.copyOf(filesPerLevel);
        if (filesPerLevel.size() != 10) {
            throw new IllegalArgumentException("filesPerLevel needs 10 entries (levels 0..9): " + filesPerLevel);
        }
    }

    /** The two-part form of the shared design: enabled, file counts unknown. */
    public CompactionStatus(List<LevelStatus> levels, RetentionStatus retention) {
        this(levels, retention, true, Collections.nCopies(10, -1));
    }

    /** The status of {@code level}, or null when it is not tracked. */
    public LevelStatus level(int level) {
        for (LevelStatus s : levels) {
            if (s.level() == level) {
                return s;
            }
        }
        return null;
    }

    /**
     * The {@code "compaction"} object of {@code litestream_status()}: {@code {"enabled":..,"levels":[{"level":1,
     * "interval_ms":..,"files_created":..,"already_compacted":..,"last_run":"<RFC 3339>"|null,"last_file":"L1/..ltx"|null,
     * "last_error":..|null},..],"retention":{"window_ms":..,"grace_ms":..,"last_run":..,"files_deleted":..,
     * "bytes_deleted":..,"last_run_files_deleted":..,"last_run_bytes_deleted":..,"last_error":..},
     * "files_per_level":[n0,..,n9]}}; -1 in files_per_level means not listed yet.
     */
    public String toJson() {
        return StatusJson.write(this);
    }
}
