package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's wall clock stepping back (an NTP step after a VM resumed, a corrected RTC) while a writer compacts
 * (field probe, probe2): compaction, snapshots and retention were scheduled as "last run + interval" on the wall clock,
 * so a step back of an hour stopped all three for an hour while level 0 piled up (a day's step: a day). They are now
 * due on the engine clock's monotonic time and go on at their usual distance (docs/compaction.md, "Clock steps").
 */
class ClockStepCompactionTest {
    static final int PS = 4096;
    static final CompactionSettings SHORT = Kit.SHORT_COMPACTION;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    private Database writer() throws Exception {
        return Kit.compactingWriter(replica, tmp.resolve("c"), clock, 7, SHORT);
    }

    private void commitSyncCompact(Database w, int i) throws Exception {
        commitPages(w, PS, i == 1 ? new int[] {1, 1, 2, 1, 3, 1} : new int[] {1, i, 2 + i % 2, i});
        assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        clock.advance(Duration.ofMillis(500));
        w.compactOnce(clock.instant());
    }

    @Test
    void compactionSnapshotsAndRetentionGoOnAfterTheWallClockStepsBackAnHour() throws Exception {
        try (Database w = writer()) {
            for (int i = 1; i <= 10; i++) {
                commitSyncCompact(w, i);
            }
            CompactionStatus before = w.status().compaction();
            assertThat(before.level(1).filesCreated()).isPositive();
            assertThat(before.level(9).filesCreated()).isPositive();
            Instant stepAt = clock.instant();

            clock.advance(Duration.ofHours(-1)); // NTP steps the clock back
            for (int i = 11; i <= 20; i++) { // 5 s of commits: several L1/L2 intervals and one snapshot interval
                commitSyncCompact(w, i);
            }
            CompactionStatus after = w.status().compaction();
            assertThat(after.level(1).filesCreated()).as("L1 files after the step")
                    .isGreaterThan(before.level(1).filesCreated() + 2);
            assertThat(after.level(2).filesCreated()).as("L2 files after the step")
                    .isGreaterThan(before.level(2).filesCreated());
            assertThat(after.level(9).filesCreated()).as("snapshots after the step")
                    .isGreaterThan(before.level(9).filesCreated());
            assertThat(after.retention().lastRun()).as("retention ran after the step").isBefore(stepAt);
            assertThat(after.level(1).lastError()).isNull();

            // The data is what was committed, from the replica's compacted levels too.
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(w));
        }
    }

    @Test
    void theIdleWakeUpsAfterTheLastSyncKeepTheirDistanceAcrossAStepBack() throws Exception {
        try (Database w = writer()) {
            for (int i = 1; i <= 4; i++) {
                commitSyncCompact(w, i);
            }
            long snapshots = w.status().compaction().level(9).filesCreated();
            clock.advance(Duration.ofHours(-1));
            // Idle: the wake-up one snapshot interval (and retention window) after the last sync takes a snapshot of
            // the last TXID, as it would without the step.
            for (int i = 0; i < 16; i++) {
                clock.advance(Duration.ofMillis(500));
                w.compactOnce(clock.instant());
            }
            CompactionStatus st = w.status().compaction();
            assertThat(st.level(9).filesCreated()).as("snapshot by the idle wake-up").isGreaterThan(snapshots);
            assertThat(st.level(9).lastFile().maxTxid()).isEqualTo(w.current().txid());
        }
    }

    /**
     * Forward: the idle wake-ups are wall times, the snapshot interval monotonic time. A wake-up a forward step brought
     * early found no snapshot due and was spent, so an idle writer's last TXIDs waited for the next sync. The wake-ups
     * move with the step.
     */
    @Test
    void theIdleWakeUpsAfterTheLastSyncKeepTheirDistanceAcrossAStepForward() throws Exception {
        CompactionSettings slowSnapshots = new CompactionSettings(true,
                List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(2));
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"),
                clock, 7).cacheBytes(0).compaction(slowSnapshots).build())) {
            for (int i = 1; i <= 4; i++) {
                commitSyncCompact(w, i);
            }
            long snapshots = w.status().compaction().level(9).filesCreated();
            clock.stepWall(Duration.ofHours(1)); // both wake-ups (30 s and 2 s later) would come at once
            for (int i = 0; i < 70; i++) { // 35 s: past the snapshot interval after the last sync
                clock.advance(Duration.ofMillis(500));
                w.compactOnce(clock.instant());
            }
            CompactionStatus st = w.status().compaction();
            assertThat(st.level(9).filesCreated()).as("snapshot by the idle wake-up").isGreaterThan(snapshots);
            assertThat(st.level(9).lastFile().maxTxid()).isEqualTo(w.current().txid());
        }
    }

    /**
     * Frozen: the idle wake-ups and the retry after a failed step are deadlines on monotonic time. As wall times, a
     * wall clock that stood still while time passed (a test clock, a paused or single-stepped VM) never reached them,
     * so an idle writer's last TXIDs were never snapshotted.
     */
    @Test
    void theIdleWakeUpsComeWhileTheWallClockIsFrozen() throws Exception {
        try (Database w = writer()) {
            for (int i = 1; i <= 4; i++) {
                commitSyncCompact(w, i);
            }
            long snapshots = w.status().compaction().level(9).filesCreated();
            for (int i = 0; i < 16; i++) { // 8 s of monotonic time: past the snapshot interval after the last sync
                clock.advance(Duration.ofMillis(500));
                clock.stepWall(Duration.ofMillis(-500)); // the wall clock stands still
                w.compactOnce(clock.instant());
            }
            CompactionStatus st = w.status().compaction();
            assertThat(st.level(9).filesCreated()).as("snapshot by the idle wake-up").isGreaterThan(snapshots);
            assertThat(st.level(9).lastFile().maxTxid()).isEqualTo(w.current().txid());
        }
    }

    /**
     * Levels were due on the wall clock (last run + interval), both in the compactor and in the lane's
     * check before it steps: a wall clock that stands still while time passes (a paused or single-stepped VM, a test
     * clock) held them, so level 0 piled up. They are now due on the engine clock's monotonic time.
     */
    @Test
    void levelsGoOnWhileTheWallClockIsFrozen() throws Exception {
        try (Database w = writer()) {
            commitSyncCompact(w, 1);
            CompactionStatus before = w.status().compaction();
            for (int i = 2; i <= 12; i++) { // 5.5 s of monotonic time: several L1, L2 and retention intervals
                commitPages(w, PS, new int[] {1, i, 2 + i % 2, i});
                assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
                clock.advance(Duration.ofMillis(500));
                clock.stepWall(Duration.ofMillis(-500)); // the wall clock stands still
                w.compactOnce(clock.instant());
            }
            CompactionStatus after = w.status().compaction();
            assertThat(after.level(1).filesCreated()).as("L1 files while the wall clock stood still")
                    .isGreaterThan(before.level(1).filesCreated() + 2);
            assertThat(after.level(2).filesCreated()).as("L2 files while the wall clock stood still")
                    .isGreaterThan(before.level(2).filesCreated());
            assertThat(after.level(1).lastFile().maxTxid()).isGreaterThan(w.current().txid() - 3);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(w));
        }
    }
}
