package dev.ltx4j.compaction;

import static dev.ltx4j.compaction.Clients.T0;
import static dev.ltx4j.compaction.Clients.level;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionResult.Outcome;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hole in level N-1 at level N's seek that a newer snapshot already covers (retention removed the files the
 * snapshot holds) is no gap: compaction continues past it, and once it has, retention deletes the lower-level files
 * the snapshot covers (the simulator's file-count-bound seeds 102, 103, 148: level 2 stuck at [1-1] kept 94 level-1
 * files as pending inputs forever).
 */
class CoveredHoleTest {
    @TempDir
    Path dir;

    private static void commit(Model m, ReplicaClient client, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            m.commit(client, T0.plusSeconds(m.txid() + 1));
        }
    }

    @Test
    void levelTwoContinuesPastAHoleTheSnapshotCovers() throws IOException {
        try (ReplicaClient client = Clients.MEMORY.open(dir)) {
            Model m = new Model(11, false);
            Compactor c = new Compactor(client, CompactionSettings.defaults(), CompactionFaults.NONE);
            Instant now = T0.plusSeconds(1000);
            commit(m, client, 1);
            assertThat(c.compactLevel(1, now).outcome()).isEqualTo(Outcome.CREATED); // L1 [1-1]
            assertThat(c.compactLevel(2, now).outcome()).isEqualTo(Outcome.CREATED); // L2 [1-1]
            commit(m, client, 2);
            assertThat(c.compactLevel(1, now).outcome()).isEqualTo(Outcome.CREATED); // L1 [2-3]
            commit(m, client, 7);
            assertThat(c.compactLevel(1, now).outcome()).isEqualTo(Outcome.CREATED); // L1 [4-10]
            assertThat(c.snapshot(now).outcome()).isEqualTo(Outcome.CREATED); // L9 [1-10]
            // Retention removed what the snapshot holds below level 2's seek.
            client.deleteFiles(level(client, 1).stream().filter(f -> f.maxTxid() <= 3).toList());
            client.deleteFiles(level(client, 0));
            commit(m, client, 5);
            assertThat(c.compactLevel(1, now).outcome()).isEqualTo(Outcome.CREATED); // L1 [11-15]

            CompactionResult r = c.compactLevel(2, now);

            assertThat(r.outcome()).isEqualTo(Outcome.CREATED);
            assertThat(r.output().minTxid()).isEqualTo(11);
            assertThat(r.output().maxTxid()).isEqualTo(15);
            List<Long> points = LongStream.rangeClosed(10, 15).boxed().toList();
            assertThat(RestorabilityCheck.problems(RetentionPlan.listAll(client), points)).isEmpty();
            assertThat(RestorabilityCheck.contentProblems(client, points, m::databaseAt, dir)).isEmpty();
            // Level 3 follows level 2 the same way: [1-1] first, then past the covered hole.
            assertThat(c.compactLevel(3, now).outcome()).isEqualTo(Outcome.CREATED);
            assertThat(c.compactLevel(3, now).outcome()).isEqualTo(Outcome.CREATED);
            assertThat(level(client, 3)).extracting(LtxFileInfo::maxTxid).contains(15L);
        }
    }

    @Test
    void aRealGapIsNeverCrossed() throws IOException {
        try (ReplicaClient client = Clients.MEMORY.open(dir)) {
            Model m = new Model(12, false);
            Compactor c = new Compactor(client, CompactionSettings.defaults(), CompactionFaults.NONE);
            Instant now = T0.plusSeconds(1000);
            commit(m, client, 1);
            c.compactLevel(1, now);
            c.compactLevel(2, now); // L2 [1-1]
            commit(m, client, 2);
            c.compactLevel(1, now); // L1 [2-3], no snapshot
            client.deleteFiles(level(client, 1));
            commit(m, client, 3);
            client.deleteFiles(client.listFiles(0, 0, false).stream().filter(f -> f.maxTxid() <= 3).toList());
            c.compactLevel(1, now); // L1 [4-6]: TXIDs 2-3 exist nowhere

            assertThat(c.compactLevel(2, now).outcome()).isEqualTo(Outcome.NOTHING_TO_DO);
        }
    }

    @Test
    void onceLevelTwoMovesOnRetentionDeletesTheCoveredLevelOneFiles() {
        Instant old = Instant.parse("2026-01-01T00:00:00Z");
        Map<Integer, List<LtxFileInfo>> m = new HashMap<>();
        m.put(9, List.of(new LtxFileInfo(9, 1, 115, 5000, old.plusSeconds(200))));
        m.put(3, List.of(new LtxFileInfo(3, 1, 1, 100, old)));
        // Level 2 moved past the covered hole (levelTwoContinuesPastAHoleTheSnapshotCovers): [116-120] follows [1-1].
        m.put(2, List.of(new LtxFileInfo(2, 1, 1, 100, old), new LtxFileInfo(2, 116, 120, 100, old.plusSeconds(120))));
        List<LtxFileInfo> l1 = new ArrayList<>();
        for (long t = 4; t <= 100; t++) {
            l1.add(new LtxFileInfo(1, t, t, 100, old.plusSeconds(t)));
        }
        m.put(1, l1);
        m.put(0, List.of(new LtxFileInfo(0, 120, 120, 100, old.plusSeconds(120))));

        RetentionPlan plan = RetentionPlan.of(m, old.plusSeconds(100_000), Duration.ofSeconds(60),
                Duration.ofSeconds(10));

        // The snapshot and level 2 restore every restore point; of level 1 only its newest file (the seek) stays.
        assertThat(plan.restorePoints()).containsExactly(120L);
        assertThat(plan.delete()).containsAll(l1.subList(0, l1.size() - 1));
        assertThat(plan.keep()).contains(l1.get(l1.size() - 1), m.get(9).get(0));
    }
}
