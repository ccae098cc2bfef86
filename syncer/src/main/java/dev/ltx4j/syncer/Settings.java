package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.support.GoDurations;
import java.time.Duration;
import java.util.Locale;

/** Parsing of the engine's environment settings, with errors that name the variable and the bad value. */
public final class Settings {
    public static final String WRITE_ENABLED = "LITESTREAM_WRITE_ENABLED";
    public static final String SYNC_INTERVAL = "LITESTREAM_SYNC_INTERVAL";
    public static final String BUFFER_PATH = "LITESTREAM_BUFFER_PATH";
    public static final String DURABILITY = "LITESTREAM_DURABILITY";
    public static final String POLL_INTERVAL = "LITESTREAM_POLL_INTERVAL";
    /** What opening does with a damaged write buffer: {@code refuse} (default) or {@code truncate-damaged}. */
    public static final String BUFFER_RECOVERY = "LITESTREAM_BUFFER_RECOVERY";
    /** Adaptive poll of a read-mode follower: {@code off} (default), {@code on} (up to 8x) or a factor 2..64. */
    public static final String POLL_BACKOFF = "LITESTREAM_POLL_BACKOFF";
    /** The factor {@code on} means. */
    public static final int DEFAULT_POLL_BACKOFF = 8;
    /** The largest factor accepted. */
    public static final int MAX_POLL_BACKOFF = 64;


    private Settings() {}

    /**
     * Parses a Go-style duration such as {@code 100ms}, {@code 1s}, {@code 10s}, {@code 1m} or {@code 1m30s}.
     * Must be positive: zero and negative durations are refused, not taken to mean "never".
     *
     * @param variable named in the error
     * @throws IllegalArgumentException naming the variable and value when it does not parse or is not positive
     */
    public static Duration parseDuration(String variable, String value) {
        return GoDurations.setting(variable, value); // the one duration rule set (also the VFS's options)
    }

    /** {@code local} (default), {@code remote} or {@code none}, case-insensitive; null or blank means local. */
    public static Durability parseDurability(String value) {
        if (value == null || value.isBlank()) {
            return Durability.LOCAL;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "local" -> Durability.LOCAL;
            case "remote" -> Durability.REMOTE;
            case "none" -> Durability.NONE;
            default -> throw new IllegalArgumentException("invalid " + DURABILITY + " \"" + value
                    + "\": expected local, remote or none");
        };
    }

    /**
     * The most an idle follower's poll interval is multiplied by: {@code off}/{@code false}/{@code 1} (default,
     * null or blank) = 1, {@code on}/{@code true} = {@value #DEFAULT_POLL_BACKOFF}, or a factor {@code 2..64}
     * (also written {@code 8x}).
     *
     * @param source named in the error (a variable or URI parameter)
     * @throws IllegalArgumentException naming the source and value when it is none of these
     */
    public static int parsePollBackoff(String source, String value) {
        if (value == null || value.isBlank()) {
            return 1;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "off", "false", "no", "0":
                return 1;
            case "on", "true", "yes":
                return DEFAULT_POLL_BACKOFF;
            default:
                break;
        }
        String digits = v.endsWith("x") ? v.substring(0, v.length() - 1) : v;
        int f = -1;
        if (digits.matches("\\d{1,3}")) {
            f = Integer.parseInt(digits);
        }
        if (f < 1 || f > MAX_POLL_BACKOFF) {
            throw new IllegalArgumentException("invalid " + source + " \"" + value + "\": expected off, on, or a"
                    + " factor from 1 to " + MAX_POLL_BACKOFF + " (e.g. 8 or 8x)");
        }
        return f;
    }

    /** {@code true}/{@code false} (also 1/0, yes/no), case-insensitive; null or blank means false. */
    public static boolean parseBoolean(String variable, String value) {
        if (value == null || value.isBlank()) {
            return false;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new IllegalArgumentException("invalid " + variable + " \"" + value
                    + "\": expected true or false");
        };
    }
}
