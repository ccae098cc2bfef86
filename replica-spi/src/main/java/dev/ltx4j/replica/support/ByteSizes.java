package dev.ltx4j.replica.support;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes in bytes as every size setting accepts them ({@code cache_size}, {@code compaction_upload_cache},
 * {@code LITESTREAM_NATIVE_CACHE_SIZE}, the hydration sizes): a whole number with an optional unit {@code b},
 * {@code k}, {@code m} or {@code g}, each also spelled with {@code b} or {@code ib} ({@code kb}, {@code KiB}), any
 * case, blanks allowed before the unit; k, m and g are powers of 1024. The one parser and the one error format, naming
 * the setting and the value.
 */
public final class ByteSizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|[kmg](?:i?b)?)?", Pattern.CASE_INSENSITIVE);

    private ByteSizes() {
    }

    /**
     * The bytes {@code value} denotes.
     *
     * @param setting where the value came from, for the error ({@code URI parameter cache_size}, {@code environment
     *                variable LITESTREAM_CACHE_SIZE})
     * @throws IllegalArgumentException naming {@code setting} and {@code value} when it is not a size or exceeds
     *                                  {@link Long#MAX_VALUE} bytes
     */
    public static long parse(String setting, String value) {
        String v = value == null ? "" : value.trim();
        Matcher m = SIZE.matcher(v);
        if (!m.matches()) {
            throw new IllegalArgumentException(setting + " is not a size: '" + v + "'; expected bytes with an optional"
                    + " unit k, m or g (powers of 1024; kb and KiB spellings too), e.g. 10485760, 64k or 16MiB");
        }
        int shift = m.group(2) == null ? 0 : switch (m.group(2).toLowerCase(Locale.ROOT).charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException(setting + " is too large: '" + v + "'; at most " + Long.MAX_VALUE
                    + " bytes");
        }
        return n << shift;
    }
}
