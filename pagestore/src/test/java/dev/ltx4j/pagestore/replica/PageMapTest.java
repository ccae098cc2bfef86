package dev.ltx4j.pagestore.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class PageMapTest {
    private static final RemoteFile FILE = new RemoteFile(0, 1, 1, 4096, 1000);

    private static RemotePage at(long offset) {
        return new RemotePage(FILE, offset, 100);
    }

    @Test
    void checksumsTravelWithEntriesAndEarlierMapsNeverChange() {
        PageMap.Builder b = PageMap.EMPTY.edit();
        for (long p = 1; p <= 3000; p++) {
            b.put(p, at(p * 100), p * 7);
        }
        PageMap first = b.build();
        PageMap second = first.edit().put(5, at(1), 55).put(2500, null).truncate(2000).build();

        assertThat(first.checksum(5)).isEqualTo(35);
        assertThat(first.checksum(2500)).isEqualTo(2500 * 7);
        assertThat(first.size()).isEqualTo(3000);
        assertThat(second.checksum(5)).isEqualTo(55);
        assertThat(second.get(5)).isEqualTo(at(1));
        assertThat(second.checksum(2000)).isEqualTo(14000);
        assertThat(second.checksum(2001)).isZero();
        assertThat(second.get(2001)).isNull();
        assertThat(second.size()).isEqualTo(2000);
        // Re-adding a removed page without a checksum does not resurrect the old one.
        PageMap third = second.edit().put(2001, at(9)).build();
        assertThat(third.checksum(2001)).isZero();
    }

    /**
     * A truncate that finds nothing above its commit size returns without scanning (every commit truncates twice);
     * the bound it relies on must travel from a map to its edits, follow puts and shrinks, and reset on clear.
     */
    @Test
    void truncateStillDropsPagesAboveTheCommitAcrossEditsShrinksAndClears() {
        PageMap grown = PageMap.EMPTY.edit().put(3, at(3)).build().edit().put(1500, at(1500)).build();
        assertThat(grown.edit().truncate(1499).build().get(1500)).isNull();
        assertThat(grown.edit().truncate(1500).build().get(1500)).isEqualTo(at(1500));

        PageMap shrunk = grown.edit().truncate(1000).build();
        PageMap regrown = shrunk.edit().put(1200, at(1200)).build();
        assertThat(regrown.edit().truncate(1100).build().get(1200)).isNull();
        assertThat(regrown.edit().truncate(1100).build().size()).isEqualTo(1);

        PageMap cleared = grown.edit().clear().put(20, at(20)).build();
        assertThat(cleared.edit().truncate(10).build().size()).isZero();
        assertThat(cleared.edit().truncate(2).build().get(3)).isNull();
    }

    /** Checksum arrays are copied only when a value changes, and made only for a non-zero one. */
    @Test
    void checksumsChangeOnlyInTheMapThatChangedThem() {
        PageMap zeros = PageMap.EMPTY.edit().put(1, at(1)).put(2, at(2)).build();
        PageMap summed = zeros.edit().put(2, at(2), 22).put(1030, at(1030), 1030).build();
        PageMap rewritten = summed.edit().put(2, at(3)).put(1, at(4)).build();
        PageMap shrunk = summed.edit().truncate(1).build();
        PageMap regrown = shrunk.edit().put(2, at(5)).build();

        assertThat(zeros.checksum(2)).isZero();
        assertThat(summed.checksum(2)).isEqualTo(22);
        assertThat(summed.checksum(1030)).isEqualTo(1030);
        assertThat(rewritten.checksum(2)).isZero();
        assertThat(rewritten.checksum(1030)).isEqualTo(1030);
        assertThat(rewritten.get(2)).isEqualTo(at(3));
        assertThat(summed.checksum(2)).isEqualTo(22);
        assertThat(regrown.checksum(2)).isZero();
        assertThat(summed.get(1030)).isEqualTo(at(1030));
    }

    @Test
    void pageNumbersOutsideTheLtxRangeAreRefused() {
        // Only page references can be stored at all: put takes the sealed PageRef.
        assertThatThrownBy(() -> PageMap.EMPTY.edit().put(0, at(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside 1..2^32-1");
        assertThatThrownBy(() -> PageMap.EMPTY.edit().put(1L << 32, at(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside 1..2^32-1");
    }

    @Test
    void shrinkInsideAChunkClearsOnlyTheTailAndLeavesTheSharedMapAlone() {
        PageMap.Builder b = PageMap.EMPTY.edit();
        for (long p = 1; p <= 1500; p += 2) {
            b.put(p, at(p), p);
        }
        PageMap full = b.build();
        PageMap shrunk = full.edit().truncate(1030).build();
        PageMap unchanged = full.edit().truncate(1500).build();
        PageMap none = PageMap.EMPTY.edit().put(3, at(3)).truncate(1).build();

        assertThat(full.size()).isEqualTo(750);
        assertThat(full.get(1031)).isEqualTo(at(1031));
        assertThat(shrunk.size()).isEqualTo(515);
        assertThat(shrunk.get(1029)).isEqualTo(at(1029));
        assertThat(shrunk.checksum(1029)).isEqualTo(1029);
        assertThat(shrunk.get(1031)).isNull();
        assertThat(shrunk.checksum(1031)).isZero();
        assertThat(shrunk.edit().put(1031, at(5)).build().size()).isEqualTo(516);
        assertThat(unchanged.size()).isEqualTo(750);
        assertThat(none.size()).isZero();
        assertThat(none.get(3)).isNull();
    }

    /**
     * Random puts, removals and shrinks across leaves and chunks, several builds per builder: every map equals its
     * model (entries, checksums, size), also after later edits of the builders and maps derived from it (the
     * copy-on-write of leaves and leaf indexes never changes a published map).
     */
    @Test
    void randomEditsMatchAModelAndNeverChangePublishedMaps() {
        Random random = new Random(14);
        List<PageMap> maps = new ArrayList<>();
        List<TreeMap<Long, long[]>> models = new ArrayList<>();
        PageMap current = PageMap.EMPTY;
        TreeMap<Long, long[]> model = new TreeMap<>();
        for (int round = 0; round < 300; round++) {
            PageMap.Builder b = current.edit();
            TreeMap<Long, long[]> m = new TreeMap<>();
            model.forEach((k, v) -> m.put(k, v.clone()));
            int builds = 1 + random.nextInt(2);
            for (int build = 0; build < builds; build++) {
                for (int op = random.nextInt(12); op >= 0; op--) {
                    long span = random.nextBoolean() ? 70 : 3000;
                    long p = 1 + random.nextInt((int) span);
                    int kind = random.nextInt(10);
                    if (kind < 6) {
                        long sum = random.nextBoolean() ? 0 : random.nextLong();
                        b.put(p, at(p * 1000 + round), sum);
                        m.put(p, new long[] {p * 1000 + round, sum});
                    } else if (kind < 9) {
                        b.put(p, null);
                        m.remove(p);
                    } else {
                        b.truncate(p);
                        m.tailMap(p, false).clear();
                    }
                }
                PageMap built = b.build();
                maps.add(built);
                TreeMap<Long, long[]> snapshot = new TreeMap<>();
                m.forEach((k, v) -> snapshot.put(k, v.clone()));
                models.add(snapshot);
                current = built;
                model = snapshot;
            }
            if (round % 20 == 19) {
                for (int i = 0; i < maps.size(); i++) {
                    assertMatches(maps.get(i), models.get(i));
                }
            }
        }
        for (int i = 0; i < maps.size(); i++) {
            assertMatches(maps.get(i), models.get(i));
        }
    }

    private static void assertMatches(PageMap map, TreeMap<Long, long[]> model) {
        assertThat(map.size()).isEqualTo(model.size());
        for (long p = 1; p <= 3100; p++) {
            long[] want = model.get(p);
            if (want == null) {
                assertThat(map.get(p)).as("page %d", p).isNull();
                assertThat(map.checksum(p)).as("checksum of absent page %d", p).isZero();
            } else {
                assertThat(map.get(p)).as("page %d", p).isEqualTo(at(want[0]));
                assertThat(map.checksum(p)).as("checksum of page %d", p).isEqualTo(want[1]);
            }
        }
    }
}
