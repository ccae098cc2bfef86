package dev.ltx4j.simulator;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A SplitMix64 generator whose every method is defined here (none inherited from JDK defaults that could change
 * between releases), so a seed gives the same numbers on every JDK. Not thread-safe: the simulation is
 * single-threaded.
 */
public final class SimRandom implements RandomGenerator {
    private long state;

    public SimRandom(long seed) {
        this.state = seed;
    }

    /** A generator for {@code component}, independent of every other component's draws. */
    public SimRandom child(String component) {
        return new SimRandom(Seeds.child(nextLong(), component));
    }

    @Override
    public long nextLong() {
        state += 0x9e3779b97f4a7c15L;
        return Seeds.mix(state);
    }

    @Override
    public int nextInt() {
        return (int) (nextLong() >>> 32);
    }

    /** Uniform in {@code [0, bound)}; {@code bound > 0}. */
    @Override
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        return (int) nextLong(bound);
    }

    /** Uniform in {@code [origin, bound)}. */
    @Override
    public int nextInt(int origin, int bound) {
        if (origin >= bound) {
            throw new IllegalArgumentException("empty range [" + origin + ", " + bound + ")");
        }
        return (int) (origin + nextLong((long) bound - origin));
    }

    /** Uniform in {@code [0, bound)}; {@code bound > 0} (rejection sampling, no modulo bias). */
    @Override
    public long nextLong(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        long limit = Long.remainderUnsigned(-bound, bound); // 2^64 mod bound
        while (true) {
            long r = nextLong();
            if (Long.compareUnsigned(r, limit) >= 0 || limit == 0) {
                return Long.remainderUnsigned(r, bound);
            }
        }
    }

    /** Uniform in {@code [origin, bound)}. */
    @Override
    public long nextLong(long origin, long bound) {
        if (origin >= bound) {
            throw new IllegalArgumentException("empty range [" + origin + ", " + bound + ")");
        }
        long span = bound - origin;
        if (span > 0) {
            return origin + nextLong(span);
        }
        long r;
        do {
            r = nextLong();
        } while (r < origin || r >= bound);
        return r;
    }

    @Override
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    @Override
    public boolean nextBoolean() {
        return nextLong() < 0;
    }

    /** True with probability {@code p} (never for {@code p <= 0}, always for {@code p >= 1}). */
    public boolean chance(double p) {
        if (p <= 0) {
            return false;
        }
        return p >= 1 || nextDouble() < p;
    }

    @Override
    public void nextBytes(byte[] bytes) {
        int i = 0;
        while (i < bytes.length) {
            long r = nextLong();
            for (int k = 0; k < 8 && i < bytes.length; k++, r >>>= 8) {
                bytes[i++] = (byte) r;
            }
        }
    }

    /** One element of a non-empty list, uniformly. */
    public <T> T pick(List<T> items) {
        return items.get(nextInt(items.size()));
    }
}
