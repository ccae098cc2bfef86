package dev.ltx4j.replica.support;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations written as Go's {@code time.ParseDuration} and Litestream's settings accept them ({@code 100ms},
 * {@code 5s}, {@code 1m30s}, {@code 1.5h}): the one parser behind every duration setting (sync and poll intervals,
 * connect and request timeouts). Callers apply their own bounds and name their own setting in errors.
 */
public final class GoDurations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)");

    private GoDurations() {
    }

    /**
     * The duration {@code value} denotes (an optional sign, then one or more number-unit parts, or a bare
     * {@code 0}; surrounding blanks ignored), exact to the nanosecond, or null if it does not parse or overflows.
     */
    public static Duration parse(String value) {
        String s = value == null ? "" : value.trim();
        boolean negative = s.startsWith("-");
        if (negative || s.startsWith("+")) {
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(s);
        long nanos = 0;
        int at = 0;
        try {
            while (at < s.length()) {
                if (!m.find(at) || m.start() != at) {
                    return null;
                }
                nanos = Math.addExact(nanos, new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit(m.group(2))))
                        .setScale(0, RoundingMode.DOWN).longValueExact());
                at = m.end();
            }
        } catch (ArithmeticException e) {
            return null;
        }
        return s.isEmpty() ? null : Duration.ofNanos(negative ? -nanos : nanos);
    }

    /**
     * The value of a duration setting (an interval or timeout): {@link #parse syntax} as above, positive and at least
     * 1 ms. Zero and negative values are refused rather than taken as "never". The one rule set for the engine's
     * settings and the VFS's options.
     *
     * @param setting names the setting in errors, e.g. {@code environment variable LITESTREAM_SYNC_INTERVAL}
     * @throws IllegalArgumentException naming {@code setting} and the value when the value is not such a duration
     */
    public static Duration setting(String setting, String value) {
        Duration parsed = parse(value);
        if (parsed == null) {
            throw new IllegalArgumentException("invalid " + setting + " \"" + value
                    + "\": expected a duration such as 100ms, 1s, 10s or 1m");
        }
        if (parsed.isZero() || parsed.isNegative()) {
            throw new IllegalArgumentException("invalid " + setting + " \"" + value + "\": must be positive (at"
                    + " least 1ms); zero or a negative value does not switch it off");
        }
        if (parsed.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("invalid " + setting + " \"" + value + "\": must be at least 1ms");
        }
        return parsed;
    }

    private static long unit(String u) {
        return switch (u) {
            case "ns" -> 1L;
            case "us", "\u00b5s", "\u03bcs" -> 1_000L; // micro sign and Greek mu: Go takes both
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L;
        };
    }
}
