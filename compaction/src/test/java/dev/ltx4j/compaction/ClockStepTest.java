package dev.ltx4j.compaction;

import static dev.ltx4j.compaction.Clients.T0;
import static dev.ltx4j.compaction.Clients.level;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
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

    /**
     * A step back of less than two snapshot intervals (here 45 min, the interval 1 h) used to delay the next snapshot
     * by the step: the newest snapshot then looked made "in the future" by less than the step rule's bound, so the
     * compactor waited for the wall clock to reach its time plus the interval. Now the interval runs from when this
     * compactor made it, on monotonic time (given, or derived from the wall clock when not).
     */
    @Test
    void aStepBackOfLessThanTwoSnapshotIntervalsDoesNotDelayTheNextSnapshot() throws Exception {
        for (boolean monotonic : new boolean[] {true, false}) {
            ReplicaClient client = new InMemoryReplicaClient();
            Model m = new Model(7, false);
            Compactor c = new Compactor(client, S, CompactionFaults.NONE);
            long mono = 0;
            Instant now = T0;
            long lastSnapshotAt = -1;
            long snapshots = 0;
            for (int i = 1; i <= 400; i++) { // 4,000 s: a snapshot at the first step and one an interval later
                now = T0.plusSeconds(10L * i);
                mono += 10_000_000_000L;
                m.commit(client, now);
                step(c, now, mono, monotonic);
                if (c.status().level(9).filesCreated() != snapshots) {
                    snapshots = c.status().level(9).filesCreated();
                    lastSnapshotAt = mono;
                }
            }
            Instant back = now.minus(Duration.ofMinutes(45));
            long due = lastSnapshotAt + Duration.ofHours(1).toNanos();
            for (int i = 1; mono < due + 20_000_000_000L; i++) { // until 20 s after the interval has passed
                Instant t = back.plusSeconds(10L * i);
                mono += 10_000_000_000L;
                m.commit(client, t);
                step(c, t, mono, monotonic);
            }
            assertThat(c.status().level(9).filesCreated()).as("a snapshot one interval after the last one (%s)",
                    monotonic ? "monotonic time given" : "wall clock only").isEqualTo(snapshots + 1);
        }
    }

    private static void step(Compactor c, Instant now, long mono, boolean monotonic) {
        if (monotonic) {
            c.step(now, mono);
        } else {
            c.step(now);
        }
    }

    /**
     * A forward step must not shorten the retention grace (field probe, probe2: a 1 h step deleted 46 files at the
     * next run): "deletable now and in the plan as of the grace period ago" read the grace on the wall clock, so right
     * after a step beyond the window every file the window held was deleted at once. Every file retention kept just
     * before the step stays for the grace period of real (monotonic) time.
     */
    @Test
    void aForwardStepDoesNotShortenTheRetentionGrace() throws Exception {
        Stepped s = new Stepped();
        Instant now = s.run(T0, 1, 725); // 2 h and 50 s
        List<LtxFileInfo> kept = s.compactor.retain(now, false).plan().keep();
        Instant ahead = now.plus(Duration.ofHours(5)); // beyond the 2 h window: the old states leave it
        Instant t = s.run(ahead, 1, 1); // 10 s of real time, inside the 5 min grace
        s.compactor.retain(t, true, s.mono); // a forward step no longer makes retention due: run it explicitly
        s.assertPresent(kept, "kept 10 s ago (grace 5 min)");
        // Once the grace has passed in real time, what the window (of real time) no longer needs goes.
        s.run(ahead, 2, 60);
        s.assertSomeDeleted(kept);
    }

    /**
     * A retention (or snapshot) call without monotonic time on a compactor stepped with it: it synthesized a
     * monotonic time from the wall clock, importing a forward step as elapsed time, so the grace was lost (every file
     * the window held deleted at once) and the later real times were clamped. It now uses the last observation.
     */
    @Test
    void aRetentionCallWithoutMonotonicTimeDoesNotImportAForwardStep() throws Exception {
        Stepped s = new Stepped();
        Instant now = s.run(T0, 1, 725); // 2 h and 50 s
        List<LtxFileInfo> kept = s.compactor.retain(now, false).plan().keep();
        Instant ahead = now.plus(Duration.ofHours(5)); // beyond the 2 h window
        s.compactor.retain(ahead.plusSeconds(10), true); // no monotonic time given: 10 s after the step, in the grace
        s.assertPresent(kept, "kept just before the step (grace 5 min)");
        // The real times after it are not clamped: the grace passes in real time and the step's window applies.
        s.run(ahead, 1, 60);
        s.assertSomeDeleted(kept);
    }

    /** A compactor stepped with monotonic time, a commit at every step (the retention-grace scenarios). */
    private static final class Stepped {
        final ReplicaClient client = new InMemoryReplicaClient();
        final Model model = new Model(8, false);
        final Compactor compactor = new Compactor(client, S, CompactionFaults.NONE);
        long mono;

        /** Commits and steps at {@code from} + 10 s * i for i in [first, last], 10 s of monotonic time apart. */
        Instant run(Instant from, int first, int last) throws Exception {
            Instant t = from;
            for (int i = first; i <= last; i++) {
                t = from.plusSeconds(10L * i);
                mono += 10_000_000_000L;
                model.commit(client, t);
                compactor.step(t, mono);
            }
            return t;
        }

        void assertPresent(List<LtxFileInfo> files, String why) throws Exception {
            List<String> present = Clients.all(client).stream().map(Object::toString).toList();
            for (LtxFileInfo f : files) {
                assertThat(present).as("file %s %s", f, why).contains(f.toString());
            }
        }

        void assertSomeDeleted(List<LtxFileInfo> kept) throws Exception {
            List<String> later = Clients.all(client).stream().map(Object::toString).toList();
            assertThat(kept).as("deleted after the grace").anyMatch(f -> !later.contains(f.toString()));
        }
    }
}
