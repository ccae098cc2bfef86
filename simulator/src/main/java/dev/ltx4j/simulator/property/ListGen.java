package dev.ltx4j.simulator.property;

import dev.ltx4j.simulator.SimRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Lists of generated elements, e.g. a workload's action list. {@link Property} shrinks a failing list by delta
 * debugging ({@link Shrinker#ddmin}): remove chunks, then single elements, then simplify single elements with
 * {@link #element()}'s {@link Gen#simplify}.
 */
public final class ListGen<T> implements Gen<List<T>> {
    private final Gen<T> element;
    private final int minSize;
    private final int maxSize;

    ListGen(Gen<T> element, int minSize, int maxSize) {
        this.element = Objects.requireNonNull(element, "element");
        if (minSize < 0 || maxSize < minSize) {
            throw new IllegalArgumentException("bad list size range [" + minSize + ", " + maxSize + "]");
        }
        this.minSize = minSize;
        this.maxSize = maxSize;
    }

    /** The element generator. */
    public Gen<T> element() {
        return element;
    }

    @Override
    public List<T> generate(SimRandom random) {
        int n = minSize == maxSize ? minSize : random.nextInt(minSize, maxSize + 1);
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(element.generate(random));
        }
        return out;
    }
}
