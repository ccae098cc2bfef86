package dev.ltx4j.simulator.property;

import dev.ltx4j.simulator.InvariantViolation;
import dev.ltx4j.simulator.Seeds;
import dev.ltx4j.simulator.SimRandom;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * A property-based check usable from plain JUnit 5: {@code Property.forAll(gen, (seed, value) -> ...).check()}
 * runs {@code tries} tries; try {@code i} has seed {@code Seeds.child(baseSeed, i)}, draws its input from the
 * stream {@code Seeds.child(seed, "input")}, and passes the seed to the check (which derives its world from it).
 * A check fails by throwing. On failure the input is shrunk while it keeps failing the same way (same exception
 * class; for {@link InvariantViolation}, the same property): lists from a {@link ListGen} by delta debugging then
 * element simplification, other values by {@link Gen#simplify}. Then a {@link PropertyFailure} reports the seed,
 * the minimal input and the replay command.
 *
 * <p>System properties: {@code ltx4j.sim.seed} sets the base seed ({@code random} picks one from the clock and
 * prints it); {@code ltx4j.sim.replay} runs only the try with that seed; {@code ltx4j.sim.scale} multiplies the
 * number of tries (default 1).
 *
 * @param <T> the input type
 */
public final class Property<T> {

    /** The property body: throw to fail. */
    @FunctionalInterface
    public interface Check<T> {
        void check(long seed, T value) throws Exception;
    }

    /** What a passing run did. */
    public record Result(long baseSeed, int tries) {}

    private final Gen<T> gen;
    private final Check<T> check;
    private String name = "property";
    private int tries = 100;
    private Long baseSeed;
    private int maxShrinkRuns = 2000;
    private BiFunction<Long, T, String> replay = (seed, value) -> "-Dltx4j.sim.replay=" + seed;

    private Property(Gen<T> gen, Check<T> check) {
        this.gen = Objects.requireNonNull(gen, "gen");
        this.check = Objects.requireNonNull(check, "check");
    }

    /** A property of every value {@code gen} generates. */
    public static <T> Property<T> forAll(Gen<T> gen, Check<T> check) {
        return new Property<>(gen, check);
    }

    /** Names the property in messages (and, unless a base seed is set, derives the default base seed). */
    public Property<T> named(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    /** Tries before scaling by {@code ltx4j.sim.scale}. */
    public Property<T> tries(int tries) {
        if (tries < 1) {
            throw new IllegalArgumentException("tries must be positive: " + tries);
        }
        this.tries = tries;
        return this;
    }

    /** The base seed (overridden by {@code ltx4j.sim.seed}). Default: derived from the name. */
    public Property<T> seed(long baseSeed) {
        this.baseSeed = baseSeed;
        return this;
    }

    /** Bound on check runs spent shrinking. */
    public Property<T> maxShrinkRuns(int runs) {
        this.maxShrinkRuns = runs;
        return this;
    }

    /** How to print the replay command for a failing try seed and its original input. */
    public Property<T> replayCommand(BiFunction<Long, T, String> replay) {
        this.replay = Objects.requireNonNull(replay, "replay");
        return this;
    }

    /** The input of the try with {@code seed}. */
    public T inputFor(long seed) {
        return gen.generate(new SimRandom(Seeds.child(seed, "input")));
    }

    /** The base seed this run will use. */
    public long effectiveBaseSeed() {
        String prop = System.getProperty("ltx4j.sim.seed");
        if (prop != null && !prop.isBlank()) {
            if (prop.trim().equals("random")) {
                long s = System.nanoTime() ^ Seeds.nameHash(name);
                System.out.println("[" + name + "] random base seed " + s);
                return s;
            }
            return Long.parseLong(prop.trim());
        }
        return baseSeed != null ? baseSeed : Seeds.nameHash(name);
    }

    /** Runs the tries; throws {@link PropertyFailure} on the first failing one. */
    public Result check() {
        String replayProp = System.getProperty("ltx4j.sim.replay");
        if (replayProp != null && !replayProp.isBlank()) {
            long seed = Long.parseLong(replayProp.trim());
            runTry(seed, 0, 1);
            return new Result(seed, 1);
        }
        long base = effectiveBaseSeed();
        int scaled = (int) Math.max(1, Math.round(tries * Double.parseDouble(System.getProperty("ltx4j.sim.scale", "1"))));
        for (int i = 0; i < scaled; i++) {
            runTry(Seeds.child(base, i), i, scaled);
        }
        return new Result(base, scaled);
    }

    private void runTry(long seed, int index, int total) {
        T input = inputFor(seed);
        Throwable failure = failureOf(seed, input);
        if (failure == null) {
            return;
        }
        Shrinker shrinker = new Shrinker(maxShrinkRuns);
        T minimal = shrink(seed, input, failure, shrinker);
        Throwable minimalFailure = failureOf(seed, minimal);
        if (minimalFailure == null) { // cannot happen for deterministic checks; keep the original then
            minimal = input;
            minimalFailure = failure;
        }
        StringBuilder m = new StringBuilder();
        m.append("Property \"").append(name).append("\" failed on try ").append(index + 1).append(" of ").append(total)
                .append(" (seed ").append(seed).append(")\n");
        m.append("  original input: ").append(describeSize(input)).append('\n');
        m.append("  minimal input (").append(shrinker.runs()).append(" shrink runs): ").append(describeSize(minimal))
                .append('\n');
        if (minimal instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                m.append(String.format("    %3d: %s%n", i, list.get(i)));
            }
        } else {
            m.append("    ").append(minimal).append('\n');
        }
        m.append("  failure: ").append(minimalFailure).append('\n');
        String command = replay.apply(seed, input);
        m.append("  replay: ").append(command);
        throw new PropertyFailure(m.toString(), seed, input, minimal, command, minimalFailure);
    }

    private static String describeSize(Object v) {
        return v instanceof List<?> l ? l.size() + " elements" : "value";
    }

    private Throwable failureOf(long seed, T value) {
        try {
            check.check(seed, value);
            return null;
        } catch (Exception | AssertionError e) {
            return e;
        }
    }

    private static boolean sameFailure(Throwable a, Throwable b) {
        if (b == null || a.getClass() != b.getClass()) {
            return false;
        }
        if (a instanceof InvariantViolation va && b instanceof InvariantViolation vb) {
            return va.property().equals(vb.property());
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private T shrink(long seed, T input, Throwable failure, Shrinker shrinker) {
        if (gen instanceof ListGen<?> listGen) {
            ListGen<Object> lg = (ListGen<Object>) listGen;
            List<Object> list = (List<Object>) input;
            Predicate<List<Object>> fails =
                    candidate -> sameFailure(failure, failureOf(seed, (T) candidate));
            List<Object> smaller = shrinker.ddmin(list, fails);
            smaller = shrinker.simplifyElements(smaller, lg.element(), fails);
            return (T) smaller;
        }
        return shrinker.simplifyValue(input, gen, candidate -> sameFailure(failure, failureOf(seed, candidate)));
    }
}
