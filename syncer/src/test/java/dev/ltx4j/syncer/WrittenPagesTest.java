package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class WrittenPagesTest {
    /** Random adds (with repeats, small and 32-bit page numbers), lookups and truncations against a model. */
    @Test
    void matchesASetModelThroughGrowthAndTruncation() {
        Random random = new Random(9);
        WrittenPages pages = new WrittenPages();
        TreeSet<Long> model = new TreeSet<>();
        for (int i = 0; i < 20_000; i++) {
            long p = random.nextInt(4) == 0 ? 1 + (random.nextLong() & 0xFFFF_FFFEL) : 1 + random.nextInt(3000);
            int op = random.nextInt(100);
            if (op < 70) {
                pages.add(p);
                model.add(p);
            } else if (op < 99) {
                assertThat(pages.contains(p)).isEqualTo(model.contains(p));
            } else {
                long keep = random.nextInt(3500);
                pages.removeAbove(keep);
                model.tailSet(keep, false).clear();
            }
            assertThat(pages.size()).isEqualTo(model.size());
        }
        assertThat(pages.sorted()).containsExactly(model.stream().mapToLong(Long::longValue).toArray());
    }

    @Test
    void pageZeroIsRefused() {
        assertThatThrownBy(() -> new WrittenPages().add(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new WrittenPages().sorted()).isEmpty();
    }
}
