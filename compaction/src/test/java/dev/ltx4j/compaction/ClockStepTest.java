package dev.ltx4j.compaction;

import static dev.ltx4j.compaction.Clients.T0;
import static dev.ltx4j.compaction.Clients.level;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.replica.ReplicaClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The compactor's schedule when the wall clock steps (field probe, probe2): a step back must not stop compaction,
 * snapshots and retention until the clock catches up (they were "last run + interval"), and a store whose clock runs
 * somewhat ahead of ours must not make every step take a snapshot.
 */
class ClockStepTest {
    static final CompactionSettings S = CompactionSettings.defaults()
            .withLevelIntervals(List.of(Duration.ofMinutes(1), Duration.ofMinutes(5)))
            .withSnapshotInterval(Duration.ofHours(1)).withRetention(Duration.ofHours(2))
            .withRetentionGrace(Duration.ofMinutes(5));

    @Test
    void aStepBackOfThreeHoursDoesNotHoldCompactionSnapshotsOrRetention() throws Exception {
        ReplicaClient client = new InMemoryReplicaClient();
        Model m = new Model(5, false);
        Compactor c = new Compactor(client, S, CompactionFaults.NONE);
        Instant now = T0;
        for (int i = 1; i <= 200; i++) { // 2,000 s, a TXID every 10 s
            now = T0.plusSeconds(10L * i);
            m.commit(client, now);
            c.step(now);
        }
        CompactionStatus before = c.status();
        Instant back = now.minus(Duration.ofHours(3));
        for (int i = 1; i <= 400; i++) { // 4,000 s after the step: more than one snapshot interval
            Instant t = back.plusSeconds(10L * i);
            m.commit(client, t);
            c.step(t);
        }
        CompactionStatus after = c.status();
        assertThat(after.level(1).filesCreated() - before.level(1).filesCreated()).as("L1 files after the step")
                .isGreaterThan(50);
        assertThat(after.level(2).filesCreated()).as("L2 files after the step")
                .isGreaterThan(before.level(2).filesCreated() + 5);
        assertThat(after.level(9).filesCreated()).as("snapshots after the step")
                .isGreaterThan(before.level(9).filesCreated());
        assertThat(after.retention().lastRun()).as("retention after the step").isAfter(back);
        assertThat(level(client, 9).get(level(client, 9).size() - 1).maxTxid()).isGreaterThan(200);
    }

    @Test
    void aStoreClockTenMinutesAheadTakesOneSnapshotPerInterval() throws Exception {
        ReplicaClient client = new InMemoryReplicaClient();
        Model m = new Model(6, false);
        Compactor c = new Compactor(client, S, CompactionFaults.NONE);
        for (int i = 1; i <= 1080; i++) { // 3 h; files dated 10 min ahead of the compactor's clock
            Instant now = T0.plusSeconds(10L * i);
            m.commit(client, now.plus(Duration.ofMinutes(10)));
            c.step(now);
        }
        assertThat(c.status().level(9).filesCreated()).isBetween(2L, 4L);
    }
}
