package dev.ltx4j.replica.support;

import java.util.regex.Pattern;

/**
 * The shape of a Litestream v0.3 replica's keys: {@code generations/<16 lower-case hex>/...}. Only such a key marks a
 * replica as v0.3 (docs/field-probes.md, "Round 9: leftovers"); an S3 console "folder" object
 * ({@code generations/}) or another application's file under {@code generations/} does not.
 */
public final class LitestreamV3Keys {
    /** The generation name (16 hex), then a slash or the end (a directory entry or a folder marker). */
    private static final Pattern GENERATION = Pattern.compile("[0-9a-f]{16}(?:/.*)?", Pattern.DOTALL);

    /** How many keys one listing asks for: a page, so stray keys sorted first do not hide a generation. */
    public static final int LISTING_PAGE = 100;

    private LitestreamV3Keys() {}

    /** Whether {@code afterGenerations}, a key with its {@code <prefix>/generations/} removed, is a v0.3 key. */
    public static boolean isGenerationEntry(String afterGenerations) {
        return GENERATION.matcher(afterGenerations).matches() && afterGenerations.length() > 16;
    }

    /** Whether a directory entry's name under {@code generations/} is a generation's directory name. */
    public static boolean isGenerationName(String name) {
        return name.length() == 16 && GENERATION.matcher(name).matches();
    }
}
