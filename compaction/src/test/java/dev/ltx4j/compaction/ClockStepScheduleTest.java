package dev.ltx4j.compaction;

import static dev.ltx4j.compaction.Clients.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When levels and retention are due, and where the retention window starts, when the wall clock steps
 * (docs/compaction.md, "Clock steps"): intervals run on monotonic time, so a step back neither stops nor rushes a
 * level, a forward step runs nothing early, a frozen wall clock holds nothing; a forward step does not push the states
 * of the last {@code retention} of real time out of the window.
 */
class ClockStepScheduleTest {
    static final CompactionSettings S = CompactionSettings.defaults()
            .withLevelIntervals(List.of(Duration.ofMinutes(5), Duration.ofHours(1)))
            .withSnapshotInterval(Duration.ZERO).withRetention(Duration.ofHours(2))
            .withRetentionGrace(Duration.ofMinutes(5));

    /** Commits and steps every 10 s of monotonic time; records when each level and retention ran (monotonic). */
    private static final class Run {
        final ReplicaClient client;
        final Model model = new Model(11, false);
        final Compactor compactor;
        long mono;
        Instant wall = T0;
        /** Per level 1..2 ([0]: retention): the monotonic seconds of the first run after {@link #mark()}, or -1. */
        final long[] firstAfterMark = {-1, -1, -1};
        final long[] runs = new long[3];

        Run(CompactionSettings settings) {
            this(settings, new InMemoryReplicaClient());
        }

        Run(CompactionSettings settings, ReplicaClient client) {
            this(settings, client, CompactionFaults.NONE);
        }

        Run(CompactionSettings settings, ReplicaClient client, CompactionFaults faults) {
            this.client = client;
            compactor = new Compactor(client, settings, faults);
        }

        /** {@code steps} steps of 10 s monotonic time, the wall clock moving {@code wallSeconds} per step. */
        void run(int steps, long wallSeconds) throws Exception {
            for (int i = 0; i < steps; i++) {
                mono += 10_000_000_000L;
                wall = wall.plusSeconds(wallSeconds);
                model.commit(client, wall);
                CompactionStatus before = compactor.status();
                CompactionStatus after = compactor.step(wall, mono);
                for (int level = 1; level <= 2; level++) {
                    if (!java.util.Objects.equals(before.level(level).lastRun(), after.level(level).lastRun())) {
                        ran(level);
                    }
                }
                if (!java.util.Objects.equals(before.retention().lastRun(), after.retention().lastRun())) {
                    ran(0);
                }
            }
        }

        private void ran(int part) {
            runs[part]++;
            if (firstAfterMark[part] < 0) {
                firstAfterMark[part] = mono / 1_000_000_000L;
            }
        }

        void mark() {
            java.util.Arrays.fill(firstAfterMark, -1);
        }
    }

    @Test
    void aForwardStepRunsNoLevelNorRetentionEarly() throws Exception {
        Run r = new Run(S);
        r.run(100, 10); // 1,000 s: L2 and retention ran at the first step (10 s), L1 every 5 minutes
        r.mark();
        r.wall = r.wall.plus(Duration.ofHours(5));
        r.run(250, 10); // to 3,500 s of monotonic time: before L2's and retention's hour has passed
        assertThat(r.firstAfterMark[2]).as("L2 after a 5 h forward step (it ran at 10 s; its interval is 1 h)")
                .isEqualTo(-1);
        assertThat(r.firstAfterMark[0]).as("retention after the step (it ran at 10 s; its interval is 1 h)")
                .isEqualTo(-1);
        assertThat(r.firstAfterMark[1]).as("L1 goes on at its interval").isEqualTo(1210);
        r.run(20, 10);
        assertThat(r.firstAfterMark[2]).as("L2 once its hour has passed").isEqualTo(3610);
        assertThat(r.firstAfterMark[0]).as("retention once its hour has passed").isEqualTo(3610);
    }

    @Test
    void aStepBackNeitherHoldsNorRushesALevel() throws Exception {
        Run r = new Run(S);
        r.run(100, 10);
        r.mark();
        r.wall = r.wall.minus(Duration.ofHours(3));
        r.run(280, 10); // to 3,800 s of monotonic time
        assertThat(r.firstAfterMark[1]).as("L1 after a 3 h step back: at its interval, not at once").isEqualTo(1210);
        assertThat(r.firstAfterMark[2]).as("L2 after the step: an hour after its last run").isEqualTo(3610);
        assertThat(r.firstAfterMark[0]).as("retention after the step").isEqualTo(3610);
        assertThat(r.runs[1]).as("L1 runs in 3,800 s of real time").isEqualTo(13);
    }

    @Test
    void aFrozenWallClockHoldsNoLevel() throws Exception {
        Run r = new Run(S);
        r.run(100, 10);
        r.mark();
        r.run(280, 0); // the wall clock stands still (a paused or single-stepped VM, a test clock) for 2,800 s
        assertThat(r.firstAfterMark[1]).as("L1 while the wall clock stands still").isEqualTo(1210);
        assertThat(r.firstAfterMark[2]).as("L2 while the wall clock stands still").isEqualTo(3610);
        assertThat(r.firstAfterMark[0]).as("retention while the wall clock stands still").isEqualTo(3610);
    }

    /**
     * A wall clock set a month ahead (by mistake, or a corrected RTC): the window ({@code now - retention}) used to
     * drop every state it jumped over, deleted once the grace passed, though they are less than {@code retention}
     * old in real time. The window now starts where the wall clock read {@code retention} ago on the monotonic clock.
     */
    @Test
    void aForwardStepKeepsTheStatesOfTheLastRetentionOfRealTime() throws Exception {
        CompactionSettings s = S.withLevelIntervals(List.of(Duration.ofMinutes(1), Duration.ofMinutes(5)));
        Run r = new Run(s);
        r.run(1000, 10); // 10,000 s, a TXID every 10 s
        long beforeStep = r.model.txid();
        r.wall = r.wall.plus(Duration.ofDays(30));
        r.run(120, 10); // 20 minutes of real time: past the grace and several retention runs
        assertThat(r.runs[0]).as("retention ran after the step").isGreaterThan(2);
        // Everything committed within the last 2 h of real time (720 steps) stays restorable.
        long oldest = r.model.txid() - 700;
        assertThat(oldest).isLessThan(beforeStep);
        RestorePlanner planner = new RestorePlanner(r.client);
        for (long txid = oldest; txid <= r.model.txid(); txid++) {
            long t = txid;
            assertThatCode(() -> planner.plan(RestoreTarget.txid(t))).as("TXID %d, within 2 h of real time", t)
                    .doesNotThrowAnyException();
        }
    }

    /**
     * The first successful retention run comes after a forward step (its listings failed for an hour meanwhile, the
     * levels compacted on): its grace question used to drop the timeline's pre-step segment before the window's longer
     * question, which then answered with the post-step offset, so states of the last {@code retention} of real time
     * from before the step were deleted at once.
     */
    @Test
    void aForwardStepBeforeTheFirstSuccessfulRetentionKeepsTheWindow() throws Exception {
        boolean[] retentionDown = {true};
        ReplicaClient client = new dev.ltx4j.replica.ForwardingReplicaClient(new InMemoryReplicaClient()) {
            @Override
            public List<dev.ltx4j.replica.LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata)
                    throws dev.ltx4j.replica.ReplicaException {
                if (retentionDown[0] && level == ReplicaClient.SNAPSHOT_LEVEL) { // only retention lists snapshots here
                    throw new dev.ltx4j.replica.ReplicaTransientException("listing of level 9 failed (test)");
                }
                return super.listFiles(level, seekTxid, useMetadata);
            }
        };
        Run r = new Run(S, client);
        r.run(200, 10); // 2,000 s: levels compact, every retention listing fails
        long beforeStep = r.model.txid();
        r.wall = r.wall.plus(Duration.ofDays(30));
        r.run(200, 10); // 2,000 s more after the step, still failing
        assertThat(r.compactor.status().retention().lastError()).as("retention failed so far").contains("level 9");
        retentionDown[0] = false;
        r.run(100, 10); // the first successful run at once; 5,000 s of real time in all, less than the 2 h window
        assertThat(r.compactor.status().retention().lastError()).as("retention ran").isNull();
        RestorePlanner planner = new RestorePlanner(client);
        for (long txid = 1; txid <= r.model.txid(); txid++) {
            long t = txid;
            assertThatCode(() -> planner.plan(RestoreTarget.txid(t))).as("TXID %d (%d before the step)", t, beforeStep)
                    .doesNotThrowAnyException();
        }
    }

    /** A level compacted by hand, then stepped after its interval: due (its run was recorded at the monotonic 0). */
    @Test
    void aLevelCompactedByHandIsDueAfterItsInterval() throws Exception {
        Run r = new Run(S);
        r.model.commit(r.client, r.wall);
        r.compactor.compactLevel(1, r.wall);
        Instant byHand = r.compactor.status().level(1).lastRun();
        Instant later = r.wall.plus(Duration.ofMinutes(10)); // L1's interval is 5 minutes
        r.model.commit(r.client, later);
        CompactionStatus after = r.compactor.step(later);
        assertThat(after.level(1).lastRun()).as("L1 ran by hand at %s", byHand).isEqualTo(later);
    }

    /**
     * The simulator's bug switches put the schedule and the window of before session 12 back (its clock-step fault must
     * catch them: docs/simulator-structure.md, "Clock steps"); pinned here so a refactoring cannot leave them inert.
     */
    @Test
    void theWallClockSwitchesBringTheOldScheduleAndWindowBack() throws Exception {
        Run schedule = new Run(S, new InMemoryReplicaClient(), new CompactionFaults() {
            @Override
            public boolean wallClockSchedule() {
                return true;
            }
        });
        schedule.run(100, 10);
        schedule.mark();
        schedule.wall = schedule.wall.minus(Duration.ofHours(3));
        schedule.run(1, 10);
        assertThat(schedule.firstAfterMark[1]).as("L1 at once after a step back (a last run in the future)")
                .isEqualTo(1010);
        assertThat(schedule.firstAfterMark[2]).as("L2 at once after a step back").isEqualTo(1010);

        CompactionSettings s = S.withLevelIntervals(List.of(Duration.ofMinutes(1), Duration.ofMinutes(5)));
        Run window = new Run(s, new InMemoryReplicaClient(), new CompactionFaults() {
            @Override
            public boolean wallClockWindow() {
                return true;
            }
        });
        window.run(1000, 10);
        long beforeStep = window.model.txid();
        window.wall = window.wall.plus(Duration.ofDays(30));
        window.run(120, 10);
        RestorePlanner planner = new RestorePlanner(window.client);
        long t = beforeStep - 10; // committed 2 minutes before the step, 22 minutes of real time ago
        assertThatCode(() -> planner.plan(RestoreTarget.txid(t))).as("TXID %d with the old window", t)
                .isInstanceOf(Exception.class);
    }
}
