package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ltx4j.simulator.property.Gen;
import dev.ltx4j.simulator.property.Property;
import dev.ltx4j.simulator.property.PropertyFailure;
import dev.ltx4j.simulator.property.Shrinker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PropertyTest {

    private static Property<List<Integer>> sevenThenThirteen() {
        return Property.forAll(Gen.lists(Gen.ints(0, 20), 20, 80), (seed, list) -> {
            int i = list.indexOf(7);
            if (i >= 0 && list.subList(i, list.size()).contains(13)) {
                throw new AssertionError("7 before 13");
            }
        }).named("seven-then-thirteen").seed(5).tries(200);
    }

    @Test
    void ddminShrinksAnActionListToTheTwoElementsThatMatter() {
        PropertyFailure f = catchThrowableOfType(PropertyFailure.class, () -> sevenThenThirteen().check());
        assertThat(f).isNotNull();
        assertThat(f.minimal()).isEqualTo(List.of(7, 13));
        assertThat((List<?>) f.original()).hasSizeGreaterThanOrEqualTo(20);
        assertThat(f.getMessage()).contains("seed " + f.seed()).contains("0: 7").contains("1: 13")
                .contains("-Dltx4j.sim.replay=" + f.seed());
    }

    @Test
    void replayBySeedReproducesTheSameFailureAndMinimalInput() {
        PropertyFailure f = catchThrowableOfType(PropertyFailure.class, () -> sevenThenThirteen().check());
        System.setProperty("ltx4j.sim.replay", Long.toString(f.seed()));
        try {
            PropertyFailure again = catchThrowableOfType(PropertyFailure.class, () -> sevenThenThirteen().check());
            assertThat(again.seed()).isEqualTo(f.seed());
            assertThat(again.original()).isEqualTo(f.original());
            assertThat(again.minimal()).isEqualTo(f.minimal());
        } finally {
            System.clearProperty("ltx4j.sim.replay");
        }
    }

    @Test
    void valuesShrinkThroughTheirGenerator() {
        PropertyFailure f = catchThrowableOfType(PropertyFailure.class, () -> Property.forAll(Gen.ints(0, 100_000),
                (seed, v) -> {
                    if (v >= 500) {
                        throw new IllegalStateException("too big: " + v);
                    }
                }).seed(3).check());
        assertThat(f.minimal()).isEqualTo(500);
        assertThat(f.getCause()).isInstanceOf(IllegalStateException.class).hasMessage("too big: 500");
    }

    @Test
    void elementsAreSimplifiedAfterRemoval() {
        // Fails when some element is >= 10: the minimal input is one element, simplified to exactly 10.
        PropertyFailure f = catchThrowableOfType(PropertyFailure.class, () -> Property.forAll(
                Gen.lists(Gen.ints(0, 1000), 5, 30), (seed, list) -> {
                    if (list.stream().anyMatch(x -> x >= 10)) {
                        throw new AssertionError("big element");
                    }
                }).seed(9).check());
        assertThat(f.minimal()).isEqualTo(List.of(10));
    }

    @Test
    void passingPropertiesRunEveryTryWithDistinctSeeds() {
        List<Long> seeds = new ArrayList<>();
        Property.Result r = Property.forAll(Gen.longs(0, 10), (seed, v) -> seeds.add(seed)).seed(1).tries(50).check();
        assertThat(r.tries()).isEqualTo(50);
        assertThat(seeds).doesNotHaveDuplicates().hasSize(50);
    }

    @Test
    void ddminRespectsItsBudget() {
        AtomicInteger calls = new AtomicInteger();
        List<Integer> big = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            big.add(i);
        }
        Shrinker s = new Shrinker(25);
        List<Integer> out = s.ddmin(big, l -> {
            calls.incrementAndGet();
            return l.contains(500) && l.contains(501);
        });
        assertThat(calls.get()).isLessThanOrEqualTo(25);
        assertThat(out).contains(500, 501).hasSizeLessThan(1000);
    }

    @Test
    void generatorsAreDeterministicAndInRange() {
        Gen<Object> g = Gen.frequency(Gen.weighted(1, Gen.ints(5, 9)), Gen.weighted(0, Gen.constant("never")),
                Gen.weighted(2, Gen.elements("a", "b")));
        SimRandom r1 = new SimRandom(4);
        SimRandom r2 = new SimRandom(4);
        for (int i = 0; i < 500; i++) {
            Object v = g.generate(r1);
            assertThat(v).isEqualTo(g.generate(r2)).isNotEqualTo("never");
            if (v instanceof Integer n) {
                assertThat(n).isBetween(5, 9);
            }
        }
        assertThat(Gen.pages(512).generate(r1)).hasSize(512);
        assertThat(Gen.bytes(16).simplify(new byte[] {1})).hasSize(1);
    }
}
