package dev.ltx4j.simulator;

import java.nio.charset.StandardCharsets;

/**
 * Stable seed derivation: every component of a simulation gets its own child seed from the root seed and its
 * name, so adding a component (or drawing more numbers in one) never shifts the random stream of another.
 * The functions are fixed here (SplitMix64 finaliser, FNV-1a over UTF-8 names) and never depend on JVM hash
 * codes, so a seed replays identically on every JDK.
 */
public final class Seeds {
    private Seeds() {}

    /** The SplitMix64 finaliser: a bijective 64-bit mix with good avalanche. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** FNV-1a 64 of the UTF-8 bytes of {@code name}. */
    public static long nameHash(String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The child seed of {@code component} under {@code seed}. */
    public static long child(long seed, String component) {
        return mix(mix(seed + 0x9e3779b97f4a7c15L) ^ nameHash(component));
    }

    /** The child seed number {@code index} under {@code seed} (e.g. the seed of try {@code index}). */
    public static long child(long seed, long index) {
        return mix(mix(seed ^ 0x632be59bd9b4e019L) + index * 0x9e3779b97f4a7c15L);
    }
}
