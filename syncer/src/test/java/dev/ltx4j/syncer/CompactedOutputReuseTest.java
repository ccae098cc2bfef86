package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writer with the default compaction (30s, 5m, 1h) holds the level-1 and level-2 files its compactor wrote, so
 * compaction into L2 and L3 anchors them with a 16-byte trailer read instead of downloading them again
 * (docs/request-costs.md). Before: every L1 file was downloaded once more by the L2 compaction (ten GETs per five
 * minutes), every L2 file by the L3 compaction (twelve per hour). The restored replica is still the writer's state.
 */
class CompactedOutputReuseTest {
    @TempDir
    Path tmp;

    @Test
    void compactionIntoTheUpperLevelsReadsAnchorsNotTheFilesItWrote() throws Exception {
        InMemoryReplicaClient replica = new InMemoryReplicaClient();
        OldReplica.Pages levels = new OldReplica.Pages(replica);
        CountingReplicaClient counting = new CountingReplicaClient(levels, true);
        OldReplica old = new OldReplica(1_700_000_000_000L);
        // Two hours at one commit every 10 s: 240 L1, 24 L2 and 2 L3 compactions.
        old.live(counting, tmp, 720, Duration.ofSeconds(10), 11);

        int l1Files = replica.listFiles(1, 0, false).size();
        int l2Files = replica.listFiles(2, 0, false).size();
        assertThat(l1Files).isGreaterThanOrEqualTo(200);
        assertThat(l2Files).isGreaterThanOrEqualTo(20);
        System.out.printf("MEASURE two hours of a writer: GETs by level %s (L1 files %d, L2 files %d)%n",
                levels.getsByLevel(), l1Files, l2Files);
        // About one trailer read per L2 compaction (two for the first after start, and for a run whose start is not
        // the previous run's verified end), not one per L1 file (before: 228 here).
        assertThat(levels.gets[1]).as("GETs of L1 files").isLessThanOrEqualTo(l2Files + 3);
        assertThat(levels.gets[2]).as("GETs of L2 files").isLessThanOrEqualTo(2L * replica.listFiles(3, 0, false)
                .size() + 1);
        for (LtxFileInfo f : replica.listFiles(2, 0, false)) {
            assertThat(counting.opensOf(2, f.minTxid(), f.maxTxid())).as("reads of %s", f).isLessThanOrEqualTo(1);
        }
        // The files compacted from held bytes restore the writer's state.
        try (Database r = Database.open(replica, "app.db", Kit.reader(old.clock).build())) {
            assertThat(Kit.restore(replica, 0, tmp)).isEqualTo(Kit.readAll(r));
            assertThat(r.current().txid()).isEqualTo(721);
        }
    }
}
