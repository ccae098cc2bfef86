package dev.ltx4j.syncer;

import dev.ltx4j.compaction.CompactionSettings;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The six compaction settings (issue 10) by their URI parameter and environment variable names, and their parsing
 * into {@link CompactionSettings}; every error names where the bad value came from.
 */
public final class CompactionOptions {
    /** URI parameter → environment variable. */
    public static final Map<String, String> VARIABLES = Map.of(
            "compaction", "LITESTREAM_COMPACTION",
            "compaction_intervals", "LITESTREAM_COMPACTION_INTERVALS",
            "snapshot_interval", "LITESTREAM_SNAPSHOT_INTERVAL",
            "retention", "LITESTREAM_RETENTION",
            "retention_grace", "LITESTREAM_RETENTION_GRACE",
            "compaction_upload_cache", "LITESTREAM_COMPACTION_UPLOAD_CACHE");

    private CompactionOptions() {}

    /**
     * Settings from {@code value} (by URI parameter name; empty: unset) over {@link CompactionSettings#defaults()}.
     *
     * @param source names where a parameter's value came from, for errors (e.g. "URI parameter retention")
     * @throws IllegalArgumentException naming the source and the bad value
     */
    public static CompactionSettings parse(Function<String, Optional<String>> value, Function<String, String> source) {
        CompactionSettings s = CompactionSettings.defaults();
        Optional<String> on = value.apply("compaction");
        if (on.isPresent()) {
            s = s.withEnabled(switch (on.get().trim().toLowerCase(Locale.ROOT)) {
                case "on", "true", "1", "yes" -> true;
                case "off", "false", "0", "no" -> false;
                default -> throw new IllegalArgumentException("invalid " + source.apply("compaction") + " \""
                        + on.get() + "\": expected on or off");
            });
        }
        Optional<String> levels = value.apply("compaction_intervals");
        if (levels.isPresent()) {
            List<Duration> parsed = CompactionSettings.parseLevelIntervals(source.apply("compaction_intervals"),
                    levels.get());
            s = s.withLevelIntervals(parsed);
        }
        Optional<String> snapshots = value.apply("snapshot_interval");
        if (snapshots.isPresent()) {
            s = s.withSnapshotInterval(zeroOrMore("snapshot_interval", snapshots.get(), source));
        }
        Optional<String> retention = value.apply("retention");
        if (retention.isPresent()) {
            s = s.withRetention(zeroOrMore("retention", retention.get(), source));
        }
        Optional<String> grace = value.apply("retention_grace");
        if (grace.isPresent()) {
            s = s.withRetentionGrace(zeroOrMore("retention_grace", grace.get(), source));
        }
        Optional<String> cache = value.apply("compaction_upload_cache");
        if (cache.isPresent()) {
            s = s.withUploadCacheBytes(CompactionSettings.parseBytes(source.apply("compaction_upload_cache"),
                    cache.get()));
        }
        return s;
    }

    /** From the environment only ({@code LITESTREAM_COMPACTION}, ...). */
    public static CompactionSettings fromEnvironment(Map<String, String> env) {
        return parse(p -> Optional.ofNullable(env.get(VARIABLES.get(p))).filter(v -> !v.isBlank()),
                p -> "environment variable " + VARIABLES.get(p));
    }

    private static Duration zeroOrMore(String parameter, String value, Function<String, String> source) {
        String v = value.trim();
        return CompactionSettings.parseDurationOrZero(source.apply(parameter), v);
    }

    /** The settings as URI parameter values (the builder's form), inverse of {@link #parse}. */
    public static Map<String, String> toParameters(CompactionSettings s) {
        StringBuilder levels = new StringBuilder();
        for (Duration d : s.levelIntervals()) {
            levels.append(levels.length() == 0 ? "" : ",").append(d.toNanos()).append("ns");
        }
        return Map.of("compaction", s.enabled() ? "on" : "off",
                "compaction_intervals", levels.length() == 0 ? "none" : levels.toString(),
                "snapshot_interval", go(s.snapshotInterval()),
                "retention", go(s.retention()),
                "retention_grace", go(s.retentionGrace()),
                "compaction_upload_cache", Long.toString(s.uploadCacheBytes()));
    }

    private static String go(Duration d) {
        return d.isZero() ? "0" : d.toNanos() + "ns";
    }
}
