package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pinned cases of Litestream's TestReplica_CalcRestorePlan, plus timestamp and gap cases. */
class RestorePlannerTest {
    private final MapReplicaClient client = new MapReplicaClient();
    private final RestorePlanner planner = new RestorePlanner(client);
    private static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");

    private void put(int level, long min, long max) {
        client.put(level, min, max, T0);
    }

    private void put(int level, long min, long max, Instant at) {
        client.put(level, min, max, at);
    }

    private static List<String> names(List<LtxFileInfo> plan) {
        List<String> out = new ArrayList<>();
        for (LtxFileInfo f : plan) {
            out.add("L" + f.level() + " " + f.minTxid() + "-" + f.maxTxid());
        }
        return out;
    }

    private List<String> plan(RestoreTarget target) throws Exception {
        return names(planner.plan(target));
    }

    @Test
    void snapshotOnly() throws Exception {
        put(9, 1, 10);
        assertThat(plan(RestoreTarget.txid(10))).containsExactly("L9 1-10");
    }

    @Test
    void snapshotAndIncremental() throws Exception {
        put(9, 1, 5);
        put(9, 1, 15);
        put(1, 6, 7);
        put(1, 8, 9);
        put(1, 10, 12);
        for (long t = 7; t <= 11; t++) {
            put(0, t, t);
        }
        assertThat(plan(RestoreTarget.txid(10))).containsExactly("L9 1-5", "L1 6-7", "L1 8-9", "L0 10-10");
    }

    @Test
    void selectLongestAcrossLevels() throws Exception {
        put(9, 1, 5);
        put(2, 6, 12);
        put(0, 6, 20);
        assertThat(plan(RestoreTarget.txid(20))).containsExactly("L9 1-5", "L0 6-20");
    }

    @Test
    void gapInLevelResolvedByLowerLevel() throws Exception {
        put(9, 1, 5);
        put(1, 6, 7);
        put(1, 9, 10);
        put(0, 8, 8);
        put(0, 9, 9);
        put(0, 10, 10);
        assertThat(plan(RestoreTarget.txid(10))).containsExactly("L9 1-5", "L1 6-7", "L0 8-8", "L1 9-10");
    }

    @Test
    void skipsDuplicateRanges() throws Exception {
        put(9, 1, 1);
        put(1, 1, 1);
        put(0, 1, 1);
        assertThat(plan(RestoreTarget.txid(1))).containsExactly("L9 1-1");
    }

    @Test
    void overlappingFilesWithinLevel() throws Exception {
        put(9, 1, 5);
        put(2, 1, 100);
        put(2, 50, 60);
        assertThat(plan(RestoreTarget.txid(100))).containsExactly("L9 1-5", "L2 1-100");
    }

    @Test
    void transactionNotAvailableWhenSnapshotIsPastTarget() {
        put(9, 1, 10);
        assertThatThrownBy(() -> planner.plan(RestoreTarget.txid(5)))
                .isInstanceOf(RestorePlanException.TransactionNotAvailable.class)
                .hasMessageStartingWith("transaction not available")
                .satisfies(e -> assertThat(((RestorePlanException.TransactionNotAvailable) e).replicaEmpty()).isFalse());
    }

    @Test
    void noFiles() {
        assertThatThrownBy(() -> planner.plan(RestoreTarget.latest()))
                .isInstanceOf(RestorePlanException.TransactionNotAvailable.class)
                .satisfies(e -> assertThat(((RestorePlanException.TransactionNotAvailable) e).replicaEmpty()).isTrue());
    }

    @Test
    void targetBeyondTheEndIsNotAvailable() {
        put(9, 1, 5);
        put(0, 6, 6);
        assertThatThrownBy(() -> planner.plan(RestoreTarget.txid(9)))
                .isInstanceOf(RestorePlanException.TransactionNotAvailable.class)
                .satisfies(e -> assertThat(((RestorePlanException.TransactionNotAvailable) e).reachedTxid()).isEqualTo(6));
    }

    @Test
    void latestWithoutSnapshotStartsAtTxidOneOnAnyLevel() throws Exception {
        put(1, 1, 4);
        put(0, 1, 1);
        put(0, 2, 2);
        put(0, 5, 5);
        assertThat(plan(RestoreTarget.latest())).containsExactly("L1 1-4", "L0 5-5");
    }

    @Test
    void latestWithAGapIsRejected() {
        put(9, 1, 5);
        put(0, 6, 6);
        put(0, 8, 8);
        assertThatThrownBy(() -> planner.plan(RestoreTarget.latest()))
                .isInstanceOfSatisfying(RestorePlanException.NonContiguous.class, e -> {
                    assertThat(e.reachedTxid()).isEqualTo(6);
                    assertThat(e.nextMinTxid()).isEqualTo(8);
                    assertThat(e.level()).isEqualTo(0);
                })
                .hasMessageContaining("non-contiguous ltx files");
    }

    @Test
    void txidTargetIgnoresFilesBeyondAGapAfterIt() throws Exception {
        put(9, 1, 5);
        put(0, 6, 6);
        put(0, 8, 8);
        assertThat(plan(RestoreTarget.txid(6))).containsExactly("L9 1-5", "L0 6-6");
    }

    @Test
    void tiesPreferHigherLevelThenEarlierCreatedAt() throws Exception {
        put(9, 1, 5);
        put(0, 6, 10, T0.plusSeconds(1));
        put(3, 6, 10, T0.plusSeconds(5));
        assertThat(plan(RestoreTarget.latest())).containsExactly("L9 1-5", "L3 6-10");

        MapReplicaClient same = new MapReplicaClient();
        same.put(9, 1, 5, T0);
        same.put(2, 6, 10, T0.plusSeconds(9));
        same.put(1, 6, 10, T0.plusSeconds(1));
        assertThat(names(new RestorePlanner(same).plan(RestoreTarget.latest()))).containsExactly("L9 1-5", "L2 6-10");
        assertThat(RestorePlanner.better(new LtxFileInfo(2, 6, 10, 1, T0.plusSeconds(9)),
                new LtxFileInfo(2, 6, 10, 1, T0.plusSeconds(1)))).isTrue();
        assertThat(RestorePlanner.better(new LtxFileInfo(2, 6, 10, 1, T0.plusSeconds(1)),
                new LtxFileInfo(2, 6, 10, 1, T0.plusSeconds(9)))).isFalse();
        assertThat(RestorePlanner.better(new LtxFileInfo(2, 7, 10, 1, T0), new LtxFileInfo(0, 6, 10, 1, T0))).isTrue();
    }

    @Test
    void timestampTargetUsesStrictlyEarlierFiles() throws Exception {
        put(9, 1, 5, T0);
        put(9, 1, 8, T0.plusSeconds(30));
        put(0, 6, 6, T0.plusSeconds(10));
        put(0, 7, 7, T0.plusSeconds(20));
        put(0, 8, 8, T0.plusSeconds(30));
        assertThat(plan(RestoreTarget.before(T0.plusSeconds(20)))).containsExactly("L9 1-5", "L0 6-6");
        assertThat(plan(RestoreTarget.before(T0.plusSeconds(21)))).containsExactly("L9 1-5", "L0 6-6", "L0 7-7");
        assertThat(plan(RestoreTarget.before(T0.plusSeconds(31)))).containsExactly("L9 1-8");
        assertThatThrownBy(() -> planner.plan(RestoreTarget.before(T0)))
                .isInstanceOf(RestorePlanException.TransactionNotAvailable.class);
    }

    @Test
    void unsignedTxids() throws Exception {
        long big = 0x8000000000000000L;
        put(9, 1, big);
        put(0, big + 1, big + 1);
        assertThat(planner.plan(RestoreTarget.txid(big + 1))).extracting(LtxFileInfo::maxTxid)
                .containsExactly(big, big + 1);
    }
}
