package dev.ltx4j.pagestore;

import java.util.Locale;

/**
 * What opening does with a buffer that is damaged (not merely torn by a crash; see
 * {@link BufferDamagedException}). A torn tail is always recovered to the committed prefix, whatever this says.
 */
public enum BufferRecovery {
    /** Refuse to open, leaving every byte of the file as it is (the default). */
    REFUSE,
    /**
     * Copy the file aside as {@code <buffer>.damaged-<time>} (owner-only), then keep the committed transactions
     * before the damage and drop everything from it on: the explicit, logged choice to lose the commits after it.
     */
    TRUNCATE_DAMAGED;

    /** The configuration name: {@code refuse} or {@code truncate-damaged}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses a configuration name ({@code refuse}, {@code truncate-damaged}). */
    public static BufferRecovery parse(String value) {
        String key = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (BufferRecovery r : values()) {
            if (r.name().equals(key)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown buffer recovery \"" + value + "\"; expected refuse or truncate-damaged");
    }
}
