package dev.ltx4j.replica.support;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The LTX timestamp as object metadata (S3 {@code litestream-timestamp}, Azure {@code litestreamtimestamp}): Go's {@code time.RFC3339Nano} of a millisecond UTC time, which
 * drops trailing fractional zeros ({@code 2024-01-02T03:04:05.12Z}, or {@code ...05Z} for a whole second).
 */
public final class MetadataTimestamp {
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private MetadataTimestamp() {}

    public static String format(Instant instant) {
        Instant ms = Instant.ofEpochMilli(instant.toEpochMilli());
        String base = SECONDS.format(ms);
        int millis = ms.getNano() / 1_000_000;
        if (millis == 0) {
            return base + "Z";
        }
        String fraction = String.format("%03d", millis).replaceAll("0+$", "");
        return base + "." + fraction + "Z";
    }

    /** Parses any RFC 3339 time (with or without a fraction, any offset); empty when the value is not one. */
    public static Optional<Instant> parse(String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
