package dev.ltx4j.simulator.property;

import dev.ltx4j.simulator.SimRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * A seeded generator of values, optionally able to propose simpler versions of a value for shrinking.
 * Generators are pure functions of the random stream they are given: the same stream state gives the same
 * value.
 *
 * @param <T> the generated type
 */
@FunctionalInterface
public interface Gen<T> {

    /** Draws a value. */
    T generate(SimRandom random);

    /**
     * Simpler candidates for {@code value}, most aggressive first; empty when it cannot be simplified. The
     * shrinker tries them in order and keeps the first that still fails.
     */
    default List<T> simplify(T value) {
        return List.of();
    }

    /** A generator of {@code f(value)} (loses simplification). */
    default <R> Gen<R> map(Function<? super T, ? extends R> f) {
        Objects.requireNonNull(f, "f");
        return r -> f.apply(generate(r));
    }

    /** A generator with {@code simplifier} as its {@link #simplify}. */
    default Gen<T> withSimplifier(Function<T, List<T>> simplifier) {
        Gen<T> self = this;
        return new Gen<>() {
            @Override
            public T generate(SimRandom random) {
                return self.generate(random);
            }

            @Override
            public List<T> simplify(T value) {
                return simplifier.apply(value);
            }
        };
    }

    /** Always {@code value}. */
    static <T> Gen<T> constant(T value) {
        return r -> value;
    }

    /** Ints uniform in {@code [min, max]}, shrinking toward {@code min}. */
    static Gen<Integer> ints(int min, int max) {
        if (min > max) {
            throw new IllegalArgumentException("empty int range [" + min + ", " + max + "]");
        }
        Gen<Integer> g = r -> (int) r.nextLong(min, (long) max + 1);
        return g.withSimplifier(v -> {
            List<Integer> out = new ArrayList<>();
            if (v > min) {
                out.add(min);
                int half = (int) (((long) min + v) / 2);
                if (half != min && half != v) {
                    out.add(half);
                }
                if (v - 1 != min) {
                    out.add(v - 1);
                }
            }
            return out;
        });
    }

    /** Longs uniform in {@code [min, max]}, shrinking toward {@code min}. */
    static Gen<Long> longs(long min, long max) {
        if (min > max) {
            throw new IllegalArgumentException("empty long range [" + min + ", " + max + "]");
        }
        Gen<Long> g = r -> max == Long.MAX_VALUE && min == Long.MIN_VALUE ? r.nextLong()
                : max == Long.MAX_VALUE ? r.nextLong(min - 1, max) + 1 : r.nextLong(min, max + 1);
        return g.withSimplifier(v -> {
            List<Long> out = new ArrayList<>();
            if (v > min) {
                out.add(min);
                long half = min + (v - min) / 2;
                if (half != min && half != v) {
                    out.add(half);
                }
                if (v - 1 != min) {
                    out.add(v - 1);
                }
            }
            return out;
        });
    }

    /** True or false, shrinking to false. */
    static Gen<Boolean> booleans() {
        Gen<Boolean> g = SimRandom::nextBoolean;
        return g.withSimplifier(v -> v ? List.of(false) : List.of());
    }

    /** One of {@code values} uniformly, shrinking toward earlier values. */
    @SafeVarargs
    static <T> Gen<T> elements(T... values) {
        List<T> list = List.of(values);
        if (list.isEmpty()) {
            throw new IllegalArgumentException("elements needs at least one value");
        }
        Gen<T> g = r -> r.pick(list);
        return g.withSimplifier(v -> {
            int i = list.indexOf(v);
            return i <= 0 ? List.of() : List.copyOf(list.subList(0, i));
        });
    }

    /** A generator and its relative weight, for {@link #frequency}. */
    record Weighted<T>(int weight, Gen<? extends T> gen) {
        public Weighted {
            if (weight < 0) {
                throw new IllegalArgumentException("weight must not be negative: " + weight);
            }
            Objects.requireNonNull(gen, "gen");
        }
    }

    /** Shorthand for a {@link Weighted}. */
    static <T> Weighted<T> weighted(int weight, Gen<? extends T> gen) {
        return new Weighted<>(weight, gen);
    }

    /**
     * Picks a generator with probability proportional to its weight, then draws from it. Zero weights never
     * fire (lets a fault plan switch a branch off). Simplification is the caller's: use {@link #withSimplifier}.
     */
    @SafeVarargs
    static <T> Gen<T> frequency(Weighted<T>... choices) {
        List<Weighted<T>> list = List.of(choices);
        long total = list.stream().mapToLong(Weighted::weight).sum();
        if (total <= 0) {
            throw new IllegalArgumentException("frequency needs a positive total weight");
        }
        return r -> {
            long pick = r.nextLong(total);
            for (Weighted<T> w : list) {
                if (pick < w.weight()) {
                    return w.gen().generate(r);
                }
                pick -= w.weight();
            }
            throw new IllegalStateException("unreachable: weights changed");
        };
    }

    /** {@code length} random bytes, shrinking to all zeros. */
    static Gen<byte[]> bytes(int length) {
        Gen<byte[]> g = r -> {
            byte[] b = new byte[length];
            r.nextBytes(b);
            return b;
        };
        return g.withSimplifier(v -> {
            for (byte x : v) {
                if (x != 0) {
                    return List.<byte[]>of(new byte[length]);
                }
            }
            return List.of();
        });
    }

    /**
     * Database-page-like contents of {@code pageSize} bytes: mostly a repeated fill byte with a random head (like
     * a B-tree page's header and cells), sometimes fully random; shrinking to all zeros.
     */
    static Gen<byte[]> pages(int pageSize) {
        Gen<byte[]> g = r -> {
            byte[] b = new byte[pageSize];
            if (r.nextInt(4) == 0) {
                r.nextBytes(b);
            } else {
                Arrays.fill(b, (byte) r.nextInt(256));
                byte[] head = new byte[Math.min(pageSize, 1 + r.nextInt(64))];
                r.nextBytes(head);
                System.arraycopy(head, 0, b, 0, head.length);
            }
            return b;
        };
        return g.withSimplifier(bytes(pageSize)::simplify);
    }

    /** Lists of {@code element} with a length in {@code [minSize, maxSize]}, shrunk by delta debugging. */
    static <T> ListGen<T> lists(Gen<T> element, int minSize, int maxSize) {
        return new ListGen<>(element, minSize, maxSize);
    }

    /** Lists of exactly {@code size} elements (shrinking may still remove elements). */
    static <T> ListGen<T> listsOf(Gen<T> element, int size) {
        return new ListGen<>(element, size, size);
    }
}
