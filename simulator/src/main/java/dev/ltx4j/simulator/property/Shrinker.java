package dev.ltx4j.simulator.property;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Minimises failing inputs. {@link #ddmin} is Zeller's delta debugging restricted to complements (remove one of
 * {@code n} chunks; on success coarsen, on failure refine until chunks are single elements), which ends with a
 * list from which no single element can be removed; {@link #simplifyElements} then replaces elements by simpler
 * ones. Every call of the predicate counts against a budget so shrinking always ends.
 */
public final class Shrinker {
    private int budget;
    private int runs;

    /** A shrinker that evaluates the predicate at most {@code maxRuns} times. */
    public Shrinker(int maxRuns) {
        this.budget = maxRuns;
    }

    /** Predicate evaluations so far. */
    public int runs() {
        return runs;
    }

    private <T> boolean test(Predicate<T> fails, T candidate) {
        if (budget <= 0) {
            return false;
        }
        budget--;
        runs++;
        return fails.test(candidate);
    }

    /** Removes chunks, then single elements, while {@code fails} still holds. */
    public <T> List<T> ddmin(List<T> failing, Predicate<List<T>> fails) {
        List<T> current = new ArrayList<>(failing);
        int n = 2;
        while (current.size() >= 2 && budget > 0) {
            int size = current.size();
            int chunk = (size + n - 1) / n;
            boolean reduced = false;
            for (int start = 0; start < size; start += chunk) {
                List<T> complement = new ArrayList<>(current.subList(0, start));
                complement.addAll(current.subList(Math.min(size, start + chunk), size));
                if (test(fails, complement)) {
                    current = complement;
                    n = Math.max(n - 1, 2);
                    reduced = true;
                    break;
                }
            }
            if (!reduced) {
                if (n >= size) {
                    break;
                }
                n = Math.min(size, n * 2);
            }
        }
        if (current.size() == 1 && test(fails, List.of())) {
            current = new ArrayList<>();
        }
        return current;
    }

    /** Replaces each element by the first simpler candidate that still fails, until none does. */
    public <T> List<T> simplifyElements(List<T> failing, Gen<T> element, Predicate<List<T>> fails) {
        List<T> current = new ArrayList<>(failing);
        boolean progress = true;
        while (progress && budget > 0) {
            progress = false;
            for (int i = 0; i < current.size(); i++) {
                for (T candidate : element.simplify(current.get(i))) {
                    List<T> next = new ArrayList<>(current);
                    next.set(i, candidate);
                    if (test(fails, next)) {
                        current = next;
                        progress = true;
                        break;
                    }
                }
            }
        }
        return current;
    }

    /** Simplifies a single value through {@code gen}'s candidates. */
    public <T> T simplifyValue(T failing, Gen<T> gen, Predicate<T> fails) {
        T current = failing;
        boolean progress = true;
        while (progress && budget > 0) {
            progress = false;
            for (T candidate : gen.simplify(current)) {
                if (test(fails, candidate)) {
                    current = candidate;
                    progress = true;
                    break;
                }
            }
        }
        return current;
    }
}
