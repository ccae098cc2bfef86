package dev.ltx4j.compaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.internal.Chain;
import dev.ltx4j.compaction.internal.RetentionSolver;
import dev.ltx4j.replica.LtxFileInfo;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChainTest {
    static LtxFileInfo f(int level, long min, long max) {
        return new LtxFileInfo(level, min, max, 100, Instant.EPOCH.plusSeconds(max));
    }

    static List<String> names(Chain c) {
        return c.inputs().stream().map(x -> x.minTxid() + "-" + x.maxTxid()).toList();
    }

    @Test
    void seekIsOnePastTheNewestMax() {
        assertThat(Chain.seek(List.of())).isZero();
        assertThat(Chain.seek(List.of(f(1, 1, 10), f(1, 11, 20), f(1, 5, 15)))).isEqualTo(21);
    }

    @Test
    void txidsPastTheSignedRangeOrderUnsigned() {
        long top = Long.MAX_VALUE; // 7fffffffffffffff; top + 1 is 8000000000000000, a negative long
        List<LtxFileInfo> l0 = List.of(h(0, top + 2, top + 2), h(0, top - 1, top - 1), h(0, top, top),
                h(0, top + 1, top + 1));
        assertThat(Chain.seek(List.of(h(1, 1, top - 2), h(1, top - 1, top + 1)))).isEqualTo(top + 2);
        assertThat(names(Chain.select(l0, top - 1, false, 100))).hasSize(4).startsWith((top - 1) + "-" + (top - 1));
        assertThat(names(Chain.select(l0, 0, false, 100))).hasSize(4);
        assertThat(Chain.covered(List.of(h(9, 1, top), h(0, top + 1, top + 1), h(0, top + 2, top + 2))))
                .isEqualTo(top + 2);
        // Retention over a snapshot ending past 2^63 and the files after it: the latest TXID is restorable.
        RetentionSolver r = RetentionSolver.solve(List.of(h(9, 1, top + 1), h(0, top, top), h(0, top + 1, top + 1),
                h(0, top + 2, top + 2)), null, false);
        assertThat(r.refusal()).isNull();
        assertThat(r.points()).containsExactly(top + 1, top + 2); // top alone is unreachable (no chain to top - 1)
        // A file a lagging listing cannot reach keeps the reachable TXID below it as a point, past 2^63 too.
        Instant later = Instant.EPOCH.plusSeconds(20);
        RetentionSolver lag = RetentionSolver.solve(List.of(h(9, 1, top + 1),
                new LtxFileInfo(0, top + 3, top + 3, 100, later), new LtxFileInfo(9, 1, top + 4, 100, later)),
                Instant.EPOCH.plusSeconds(10), false);
        assertThat(lag.points()).contains(top + 1, top + 4);
        assertThat(lag.keep()).containsExactly(true, true, true);
    }

    private static LtxFileInfo h(int level, long min, long max) {
        return new LtxFileInfo(level, min, max, 100, Instant.EPOCH);
    }

    @Test
    void chainFromSeekStopsAtTheFirstGap() {
        List<LtxFileInfo> l0 = List.of(f(0, 11, 11), f(0, 12, 12), f(0, 13, 13), f(0, 15, 15), f(0, 16, 16));
        Chain c = Chain.select(l0, 11, false, 100);
        assertThat(names(c)).containsExactly("11-11", "12-12", "13-13");
        assertThat(c.more()).isFalse();
        // After that run the next seek is 14: nothing starts there, nothing is compacted.
        assertThat(Chain.select(l0, 14, false, 100).inputs()).isEmpty();
    }

    @Test
    void theBugSwitchJumpsTheGap() {
        List<LtxFileInfo> l0 = List.of(f(0, 11, 11), f(0, 12, 12), f(0, 15, 15), f(0, 16, 16));
        assertThat(names(Chain.select(l0, 11, true, 100))).containsExactly("11-11", "12-12", "15-15", "16-16");
        assertThat(names(Chain.select(l0, 13, true, 100))).containsExactly("15-15", "16-16");
    }

    @Test
    void emptyDestinationStartsAtTheLowestFile() {
        List<LtxFileInfo> l0 = List.of(f(0, 500, 500), f(0, 501, 501), f(0, 503, 503));
        assertThat(names(Chain.select(l0, 0, false, 100))).containsExactly("500-500", "501-501");
    }

    @Test
    void atTheSameStartTheLargestMaxWins() {
        List<LtxFileInfo> l1 = List.of(f(1, 11, 14), f(1, 11, 20), f(1, 15, 25), f(1, 21, 22), f(1, 26, 30));
        assertThat(names(Chain.select(l1, 11, false, 100))).containsExactly("11-20", "15-25", "26-30");
    }

    @Test
    void aFileOverlappingTheSeekStartsTheChainWhenNoneStartsThere() {
        // Racing compactors left L1 {11-14, 11-20, 15-25}; L2 reached 20: only 15-25 covers seek 21.
        List<LtxFileInfo> l1 = List.of(f(1, 11, 14), f(1, 11, 20), f(1, 15, 25), f(1, 26, 26));
        assertThat(names(Chain.select(l1, 21, false, 100))).containsExactly("15-25", "26-26");
    }

    @Test
    void theInputCapLeavesTheRestForTheNextCall() {
        List<LtxFileInfo> l0 = List.of(f(0, 1, 1), f(0, 2, 2), f(0, 3, 3));
        Chain c = Chain.select(l0, 0, false, 2);
        assertThat(names(c)).containsExactly("1-1", "2-2");
        assertThat(c.more()).isTrue();
        assertThat(Chain.select(l0, 0, false, 3).more()).isFalse();
    }
}
