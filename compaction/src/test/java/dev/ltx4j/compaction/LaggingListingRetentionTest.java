package dev.ltx4j.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.LtxFileInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A listing that lags (eventual consistency) can miss a recent file, which looks like a gap: the in-window TXIDs
 * behind it seemed "already lost" and their files were deleted, though the bucket still restored them (simulator
 * seed 119: L0/80 missing from a compactor's listing, L0/81 deleted 4.9 s inside the window).
 */
class LaggingListingRetentionTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static LtxFileInfo f(int level, long min, long max) {
        return new LtxFileInfo(level, min, max, 100, T0.plusSeconds(max));
    }

    @Test
    void filesBehindAHoleInTheListingStay() {
        List<LtxFileInfo> l0 = new ArrayList<>();
        for (long t = 76; t <= 83; t++) {
            if (t != 80) { // landed, but this listing lags behind it
                l0.add(f(0, t, t));
            }
        }
        Map<Integer, List<LtxFileInfo>> listing = Map.of(9, List.of(f(9, 1, 75)), 1, List.of(f(1, 76, 83)), 0, l0);

        RetentionPlan plan = RetentionPlan.of(listing, T0.plusSeconds(85), Duration.ofSeconds(20), Duration.ZERO);

        assertThat(plan.keep()).contains(f(0, 81, 81), f(0, 82, 82), f(0, 79, 79));
        assertThat(plan.delete()).doesNotContain(f(0, 81, 81), f(0, 82, 82));
        assertThat(plan.restorePoints()).contains(79L, 83L);
    }

    @Test
    void aTxidOutsideTheWindowBehindAHoleMayGo() {
        List<LtxFileInfo> l0 = new ArrayList<>();
        for (long t = 76; t <= 83; t++) {
            if (t != 80) {
                l0.add(f(0, t, t));
            }
        }
        Map<Integer, List<LtxFileInfo>> listing = Map.of(9, List.of(f(9, 1, 83)), 0, l0);

        RetentionPlan plan = RetentionPlan.of(listing, T0.plusSeconds(1000), Duration.ofSeconds(20), Duration.ZERO);

        assertThat(plan.delete()).contains(f(0, 81, 81), f(0, 76, 76));
    }
}
