package dev.ltx4j.pagestore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class IntLongMapTest {

    @Test
    void behavesLikeAMapIncludingUnsignedKeysAndShrink() {
        SplittableRandom rnd = new SplittableRandom(3);
        IntLongMap map = new IntLongMap();
        Map<Long, Long> model = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            long key = 1 + rnd.nextLong(0xFFFF_FFFEL);
            if (rnd.nextInt(10) == 0) {
                key = 1 + rnd.nextInt(50); // many overwrites
            }
            long value = rnd.nextLong(Long.MAX_VALUE);
            map.put((int) key, value);
            model.put(key, value);
        }
        assertThat(map.size()).isEqualTo(model.size());
        model.forEach((k, v) -> assertThat(map.get((int) (long) k)).isEqualTo(v));
        long cut = 0x9000_0000L;
        map.removeAbove(cut);
        model.keySet().removeIf(k -> k > cut);
        assertThat(map.size()).isEqualTo(model.size());
        int[] keys = map.sortedKeys();
        assertThat(keys).hasSize(model.size());
        long[] asLongs = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            asLongs[i] = Integer.toUnsignedLong(keys[i]);
        }
        assertThat(asLongs).containsExactly(new TreeMap<>(model).keySet().stream().mapToLong(Long::longValue)
                .toArray());
        assertThat(map.get(0x7fff_0000)).isEqualTo(model.getOrDefault(0x7fff_0000L, -1L));
    }
}
