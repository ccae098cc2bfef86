package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status's {@code files_per_level} between compaction runs: it moved only with the compactor's own listings,
 * creates and deletes, so level 0 stayed at its count of the last retention listing (an hour by default) while the
 * writer synced file after file. The writer's own uploads are now counted as they land.
 */
class FilesPerLevelTest {
    static final int PS = 4096;
    static final CompactionSettings HOURLY = new CompactionSettings(true, List.of(Duration.ofHours(1)),
            Duration.ZERO, Duration.ofHours(24), Duration.ofMinutes(15));

    @TempDir
    Path tmp;

    @Test
    void levelZeroCountsTheWritersUploadsBetweenCompactions() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient replica = new InMemoryReplicaClient();
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock,
                5).compaction(HOURLY).build())) {
            commitPages(w, PS, 1, 1, 2, 1);
            w.syncOnce(clock.instant());
            w.compactOnce(clock.instant()); // the first step lists every level (retention)
            int listed = replica.listFiles(0, 0, false).size();
            assertThat(w.status().compaction().filesPerLevel().get(0)).isEqualTo(listed);
            for (int i = 2; i <= 6; i++) {
                clock.advance(Duration.ofSeconds(1));
                commitPages(w, PS, 2, i);
                assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            }
            w.compactOnce(clock.instant()); // nothing due: no listing
            assertThat(w.status().compaction().filesPerLevel().get(0)).as("L0 files after 5 more syncs")
                    .isEqualTo(replica.listFiles(0, 0, false).size()).isEqualTo(listed + 5);
        }
    }
}
