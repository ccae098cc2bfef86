package dev.ltx4j.compaction;

import dev.ltx4j.replica.support.ByteSizes;
import dev.ltx4j.replica.support.GoDurations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * When a {@link Compactor} compacts, snapshots and deletes.
 *
 * @param enabled          master switch: when false, {@link Compactor#step} does nothing at all (no compaction, no
 *                         snapshot, no retention); the explicit calls ({@link Compactor#compactLevel} and friends)
 *                         still work, for the CLI
 * @param levelIntervals   how often level {@code i + 1} is compacted from level {@code i} (index 0 is level 1); at
 *                         most 8 levels, each interval positive; an empty list means no level compaction
 * @param snapshotInterval how often a level-9 snapshot is written; {@link Duration#ZERO} means never
 * @param retention        how far back every TXID stays restorable; {@link Duration#ZERO} means never delete
 * @param retentionGrace   how long a file that became deletable is still kept, for readers holding older plans
 * @param uploadCacheBytes how many bytes of the writer's own recent uploads it keeps in memory so its compaction
 *                         does not download them again ({@link RecentUploads}); 0 keeps none
 */
public record CompactionSettings(boolean enabled, List<Duration> levelIntervals, Duration snapshotInterval,
        Duration retention, Duration retentionGrace, long uploadCacheBytes) {

    /** Highest level that can be compacted into: 8 (level 9 holds snapshots). */
    public static final int MAX_COMPACTION_LEVEL = 8;

    /** Validates; messages name the setting and the value. */
    public CompactionSettings {
        Objects.requireNonNull(levelIntervals, "compaction_intervals");
        levelIntervals = List.copyOf(levelIntervals);
        if (levelIntervals.size() > MAX_COMPACTION_LEVEL) {
            throw new IllegalArgumentException("invalid compaction_intervals: " + levelIntervals.size()
                    + " levels given, at most " + MAX_COMPACTION_LEVEL + " (level 9 holds snapshots)");
        }
        for (int i = 0; i < levelIntervals.size(); i++) {
            Duration d = levelIntervals.get(i);
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("invalid compaction_intervals: the interval of level " + (i + 1)
                        + " is " + d + ", must be positive");
            }
        }
        requireNotNegative("snapshot_interval", snapshotInterval);
        requireNotNegative("retention", retention);
        requireNotNegative("retention_grace", retentionGrace);
        if (uploadCacheBytes < 0) {
            throw new IllegalArgumentException("invalid compaction_upload_cache: " + uploadCacheBytes + " is negative");
        }
    }

    /** The settings with the default upload cache ({@link RecentUploads#DEFAULT_MAX_BYTES}). */
    public CompactionSettings(boolean enabled, List<Duration> levelIntervals, Duration snapshotInterval,
            Duration retention, Duration retentionGrace) {
        this(enabled, levelIntervals, snapshotInterval, retention, retentionGrace, RecentUploads.DEFAULT_MAX_BYTES);
    }

    /** Litestream's defaults: enabled, levels every 30s, 5m, 1h, a snapshot every 24h, retention 24h, grace 15m. */
    public static CompactionSettings defaults() {
        return new CompactionSettings(true, List.of(Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofHours(1)),
                Duration.ofHours(24), Duration.ofHours(24), Duration.ofMinutes(15));
    }

    /** The defaults with the master switch off. */
    public static CompactionSettings off() {
        return defaults().withEnabled(false);
    }

    public CompactionSettings withEnabled(boolean value) {
        return new CompactionSettings(value, levelIntervals, snapshotInterval, retention, retentionGrace, uploadCacheBytes);
    }

    public CompactionSettings withLevelIntervals(List<Duration> value) {
        return new CompactionSettings(enabled, value, snapshotInterval, retention, retentionGrace, uploadCacheBytes);
    }

    public CompactionSettings withSnapshotInterval(Duration value) {
        return new CompactionSettings(enabled, levelIntervals, value, retention, retentionGrace, uploadCacheBytes);
    }

    public CompactionSettings withRetention(Duration value) {
        return new CompactionSettings(enabled, levelIntervals, snapshotInterval, value, retentionGrace, uploadCacheBytes);
    }

    public CompactionSettings withRetentionGrace(Duration value) {
        return new CompactionSettings(enabled, levelIntervals, snapshotInterval, retention, value, uploadCacheBytes);
    }

    public CompactionSettings withUploadCacheBytes(long value) {
        return new CompactionSettings(enabled, levelIntervals, snapshotInterval, retention, retentionGrace, value);
    }

    /**
     * Parses {@code compaction_upload_cache}: a size as {@link ByteSizes} reads it ({@code 16MiB}, {@code 512k},
     * {@code 1g}), {@code 0} or {@code off} keeps nothing.
     */
    public static long parseBytes(String setting, String value) {
        if (value != null && value.trim().equalsIgnoreCase("off")) {
            return 0;
        }
        return ByteSizes.parse(setting, value);
    }

    /** Number of compaction levels (1..n are compacted). */
    public int levels() {
        return levelIntervals.size();
    }

    /** The interval of {@code level} (1-based). */
    public Duration interval(int level) {
        if (level < 1 || level > levelIntervals.size()) {
            throw new IllegalArgumentException("level " + level + " is not configured (levels 1.."
                    + levelIntervals.size() + ")");
        }
        return levelIntervals.get(level - 1);
    }

    public boolean snapshotsEnabled() {
        return !snapshotInterval.isZero();
    }

    public boolean retentionEnabled() {
        return !retention.isZero();
    }

    /**
     * Parses {@code compaction_intervals}: Go durations separated by commas ({@code 30s,5m,1h}); an empty string
     * or {@code none} is no levels.
     *
     * @param setting names the setting in errors, e.g. {@code environment variable LITESTREAM_COMPACTION_INTERVALS}
     */
    public static List<Duration> parseLevelIntervals(String setting, String value) {
        String text = value == null ? "" : value.trim();
        List<Duration> out = new ArrayList<>();
        if (text.isEmpty() || text.equalsIgnoreCase("none")) {
            return out;
        }
        for (String part : text.split(",", -1)) {
            out.add(GoDurations.setting(setting, part.trim()));
        }
        if (out.size() > MAX_COMPACTION_LEVEL) {
            throw new IllegalArgumentException("invalid " + setting + " \"" + value + "\": at most "
                    + MAX_COMPACTION_LEVEL + " levels");
        }
        return out;
    }

    /**
     * Parses a duration setting where {@code 0} means off ({@code snapshot_interval}, {@code retention}) or zero
     * ({@code retention_grace}).
     */
    public static Duration parseDurationOrZero(String setting, String value) {
        Duration d = GoDurations.parse(value);
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("invalid " + setting + " \"" + value
                    + "\": expected a duration such as 15m, 24h or 0");
        }
        return d;
    }

    private static void requireNotNegative(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException("invalid " + name + ": " + d + " is negative");
        }
    }
}
