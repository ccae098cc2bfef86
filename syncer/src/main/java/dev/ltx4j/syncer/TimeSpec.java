package dev.ltx4j.syncer;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The times {@code PRAGMA litestream_time} and {@code litestream_set_time()} accept:
 * <ul>
 *   <li>RFC 3339: {@code 2026-11-27T10:00:00Z}, with an optional fraction (up to nanoseconds) and any offset
 *       ({@code 2026-11-27T12:00:00.250+02:00}); {@code T} may be a space; a time without a zone is refused;</li>
 *   <li>relative to now: {@code 5 minutes ago}, {@code 2 hours ago}, {@code 30s ago}, {@code 1h30m ago},
 *       {@code 1 day 2 hours ago}, {@code an hour ago}; units ms, s, m, h, d, w and their English names;</li>
 *   <li>{@code now};</li>
 *   <li>{@code latest} or the empty string: back to the latest state.</li>
 * </ul>
 * Anything else is refused with a message listing these forms.
 */
public final class TimeSpec {
    private static final Pattern RFC3339 = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})?");
    private static final Pattern COMPONENT = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?|an?)\\s*([a-z]+)");
    static final String FORMS = "use RFC 3339 ('2026-11-27T10:00:00Z'; fraction and offset optional), a relative"
            + " time ('5 minutes ago', '2 hours ago', '30s ago', '1h30m ago'), 'now', or 'latest'";

    private TimeSpec() {}

    /**
     * Reads {@code text} at {@code now}.
     *
     * @return the instant, or empty for {@code latest} / the empty string
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static Optional<Instant> parse(String text, Instant now) {
        if (text == null) {
            throw new IllegalArgumentException("a time is required; " + FORMS);
        }
        String t = text.strip();
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.isEmpty() || lower.equals("latest")) {
            return Optional.empty();
        }
        if (lower.equals("now")) {
            return Optional.of(now);
        }
        if (RFC3339.matcher(t).matches()) {
            return Optional.of(absolute(t));
        }
        if (lower.endsWith("ago")) {
            return Optional.of(now.minus(relative(text, lower.substring(0, lower.length() - 3))));
        }
        throw new IllegalArgumentException("cannot read '" + text + "' as a time; " + FORMS);
    }

    private static Instant absolute(String t) {
        String iso = t.replace(' ', 'T').replace('t', 'T').replace('z', 'Z');
        if (!iso.endsWith("Z") && !iso.matches(".*[+-]\\d{2}:\\d{2}")) {
            throw new IllegalArgumentException("'" + t + "' has no time zone: add Z (UTC) or an offset such as +02:00");
        }
        try {
            return OffsetDateTime.parse(iso, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + t + "' is not a valid time: " + e.getMessage(), e);
        }
    }

    private static Duration relative(String text, String body) {
        Matcher m = COMPONENT.matcher(body);
        Duration total = Duration.ZERO;
        int at = 0;
        boolean any = false;
        while (m.find() && m.start() == at) {
            String n = m.group(1);
            BigDecimal amount = n.startsWith("a") ? BigDecimal.ONE : new BigDecimal(n);
            long unitNanos = unitNanos(text, m.group(2));
            BigDecimal nanos = amount.multiply(BigDecimal.valueOf(unitNanos));
            if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                throw new IllegalArgumentException("'" + text + "' is too far back");
            }
            total = total.plusNanos(nanos.longValue());
            at = m.end();
            any = true;
        }
        if (!any || !body.substring(at).isBlank()) {
            throw new IllegalArgumentException("cannot read '" + text + "' as a time; " + FORMS);
        }
        return total;
    }

    private static long unitNanos(String text, String unit) {
        return switch (unit) {
            case "ms", "msec", "msecs", "millisecond", "milliseconds" -> 1_000_000L;
            case "s", "sec", "secs", "second", "seconds" -> 1_000_000_000L;
            case "m", "min", "mins", "minute", "minutes" -> 60_000_000_000L;
            case "h", "hr", "hrs", "hour", "hours" -> 3_600_000_000_000L;
            case "d", "day", "days" -> 86_400_000_000_000L;
            case "w", "wk", "wks", "week", "weeks" -> 604_800_000_000_000L;
            default -> throw new IllegalArgumentException("unknown unit '" + unit + "' in '" + text + "'; " + FORMS);
        };
    }
}
