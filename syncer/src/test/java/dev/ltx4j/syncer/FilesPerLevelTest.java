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

    /** Across 2^63 (a negative Java long; TXIDs are unsigned) the uploads went on counting. */
    @Test
    void levelZeroCountsUploadsAcrossTheSignedBoundary() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient replica = new InMemoryReplicaClient();
        long base = 0x7FFF_FFFF_FFFF_FFFEL;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        dev.ltx4j.ltx.LtxEncoder enc = new dev.ltx4j.ltx.LtxEncoder(out, dev.ltx4j.ltx.LtxHeader.of(
                dev.ltx4j.ltx.Ltx.HEADER_FLAG_NO_CHECKSUM, PS, 2, 1, base, 1_600_000_000_000L, 0).withNodeId(99));
        enc.writePage(1, Kit.page1(PS, 1), 0);
        enc.writePage(2, Kit.page(PS, 2), 0);
        enc.finish(0);
        replica.createFile(9, 1, base, dev.ltx4j.replica.LtxBody.of(out.toByteArray()));
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock,
                5).compaction(HOURLY).build())) {
            commitPages(w, PS, 1, 1, 2, 1);
            w.syncOnce(clock.instant());
            w.compactOnce(clock.instant()); // the first step lists every level (retention)
            int listed = replica.listFiles(0, 0, false).size();
            for (int i = 2; i <= 4; i++) { // base + 2 = 2^63 onwards
                clock.advance(Duration.ofSeconds(1));
                commitPages(w, PS, 2, i);
                assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            }
            assertThat(w.current().txid()).isNegative();
            w.compactOnce(clock.instant());
            // Before: "txid > counted" stopped counting at 2^63, so L0 stayed at listed + 1.
            assertThat(w.status().compaction().filesPerLevel().get(0)).as("L0 files after 3 more syncs")
                    .isEqualTo(replica.listFiles(0, 0, false).size()).isEqualTo(listed + 3);
        }
    }
}
