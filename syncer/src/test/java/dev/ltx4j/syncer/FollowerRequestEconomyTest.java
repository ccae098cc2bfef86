package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, follower side (docs/request-economy-follower.md): an idle follower's scheduled poll makes one request,
 * new files are still applied on the next poll, the checks a quick poll leaves out run within a bounded number of
 * polls, and the adaptive poll backs off while idle and comes back on a change or a read.
 */
class FollowerRequestEconomyTest {
    static final int PS = 4096;
    static final Duration POLL = Duration.ofSeconds(1);

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient store = new InMemoryReplicaClient();
    /** The store; while {@link #timeless}, a backend whose listings carry no usable time (all at the epoch). */
    final ReplicaClient replica = new ForwardingReplicaClient(store) {
        @Override
        public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
            List<LtxFileInfo> out = new ArrayList<>();
            for (LtxFileInfo f : super.listFiles(level, seekTxid, useMetadata)) {
                out.add(timeless ? new LtxFileInfo(f.level(), f.minTxid(), f.maxTxid(), f.size(), Instant.EPOCH) : f);
            }
            return out;
        }
    };
    boolean timeless;
    final CountingReplicaClient counting = new CountingReplicaClient(replica);

    Database follower(int backoff) throws Exception {
        // Monotonic time is the manual clock's alone: the poll schedule runs on it, and real time must not add a pause.
        return Database.open(counting, "app.db", Kit.reader(clock).clock(Kit.monotonic(clock)).pollInterval(POLL)
                .pollBackoff(backoff).build());
    }

    /** One scheduled poll one interval after the last; the requests it made. */
    long tick(Database f) {
        clock.advance(POLL);
        long before = counting.snapshot().requests();
        f.pollTick(clock.instant());
        return counting.snapshot().requests() - before;
    }

    @Test
    void anIdleFollowerMakesOneRequestPerScheduledPoll() throws Exception {
        history(4, 'A', 1);
        try (Database f = follower(1)) {
            tick(f); // the first poll after the open is complete
            long before = counting.snapshot().requests();
            long polls = f.status().follower().polls();
            for (int i = 0; i < 200; i++) {
                assertThat(tick(f)).as("poll %d", i).isEqualTo(1);
            }
            assertThat(counting.snapshot().requests() - before).isEqualTo(200);
            assertThat(f.status().follower().polls() - polls).isEqualTo(200);
            assertThat(f.status().toJson()).contains("\"effective_poll_interval_ms\":1000")
                    .contains("\"poll_backoff_max\":1");
            assertThat(f.status().follower().lastPollOk()).isTrue();
            assertThat(f.status().lagMillis()).isLessThanOrEqualTo(1000);
        }
    }

    /**
     * The poll schedule runs on monotonic time: on the wall clock, a clock frozen while time passed (a test clock, a
     * paused VM) skipped every scheduled poll after the first, and a step back skipped them for the step's size.
     */
    @Test
    void scheduledPollsGoOnWhileTheWallClockIsFrozen() throws Exception {
        history(4, 'A', 1);
        try (Database f = follower(1)) {
            tick(f);
            file(0, 5, 5, 'A' + 5, 1, 2);
            clock.advance(POLL);
            clock.stepWall(POLL.negated()); // time passed, the wall clock did not move
            f.pollTick(clock.instant());
            assertThat(f.current().txid()).as("applied with the wall clock frozen").isEqualTo(5);
        }
    }

    @Test
    void scheduledPollsGoOnAfterTheWallClockStepsBack() throws Exception {
        history(4, 'A', 1);
        try (Database f = follower(1)) {
            tick(f);
            file(0, 5, 5, 'A' + 5, 1, 2);
            clock.stepWall(Duration.ofHours(-1)); // NTP steps the clock back
            tick(f);
            assertThat(f.current().txid()).as("applied after a step back").isEqualTo(5);
        }
    }

    @Test
    void anExplicitPollStillChecksEverything() throws Exception {
        history(4, 'A', 1);
        try (Database f = follower(1)) {
            long before = counting.snapshot().requests();
            f.pollOnce(clock.instant());
            assertThat(counting.snapshot().requests() - before).isGreaterThan(10); // every level and the anchor
        }
    }

    @Test
    void aNewFileIsAppliedOnTheNextScheduledPoll() throws Exception {
        history(4, 'A', 1);
        try (Database f = follower(1)) {
            for (int i = 0; i < 10; i++) {
                tick(f);
            }
            file(0, 5, 5, 'A' + 5, 1, 2);
            long requests = tick(f);
            assertThat(f.current().txid()).isEqualTo(5);
            // the level-0 listing, the anchor's header, then the new file's header and page index
            assertThat(requests).isLessThanOrEqualTo(4);
            assertThat(tick(f)).isEqualTo(1);
        }
    }

    @Test
    void aFileRewrittenUnderItsNameIsNoticedByTheListingWhenItsTimeChanges() throws Exception {
        history(4, 'A', 1);
        try (Database f = follower(1)) {
            readAll(f);
            tick(f);
            tick(f);
            rewriteAnchor();
            tick(f);
            assertThat(f.status().follower().divergence()).as("noticed on the very next poll").isNotNull();
            assertThat(f.status().follower().reloads()).isEqualTo(1);
        }
    }

    @Test
    void aFileRewrittenWithTheSameNameSizeAndListedTimeIsNoticedByTheAnchorAudit() throws Exception {
        timeless = true;
        history(4, 'A', 1);
        try (Database f = follower(1)) {
            readAll(f);
            for (int i = 0; i < 5; i++) {
                tick(f);
            }
            rewriteAnchor();
            int polls = 0;
            while (f.status().follower().divergence() == null) {
                assertThat(polls++).as("polls before the anchor audit").isLessThan(2 * PollPlan.AUDIT_EVERY);
                long requests = tick(f);
                if (f.status().follower().divergence() == null) {
                    assertThat(requests).isEqualTo(1);
                }
            }
            assertThat(f.status().follower().reloads()).isEqualTo(1);
        }
    }

    @Test
    void newTransactionsOnlyOnAHigherLevelAreFoundByTheLevelAudit() throws Exception {
        history(4, 'A', 1);
        try (Database f = follower(1)) {
            tick(f);
            // A compacted file reaching past the follower while level 0 stays as it was (the level-0 files 5 and 6
            // were compacted and deleted while the follower did not see them).
            file(1, 1, 6, 'C', 1, 1, 2, 3);
            int polls = 0;
            while (f.current().txid() != 6) {
                assertThat(polls++).as("polls before the level-1 audit").isLessThan(2 * PollPlan.AUDIT_EVERY);
                tick(f);
            }
        }
    }

    @Test
    void aLongPauseMakesTheNextPollComplete() throws Exception {
        history(4, 'A', 1);
        try (Database f = follower(1)) {
            tick(f);
            tick(f);
            clock.advance(Duration.ofMinutes(5));
            assertThat(tick(f)).isGreaterThan(10);
        }
    }

    /**
     * CLOCK_MONOTONIC stops while the OS is suspended (laptop sleep, VM pause): after two hours asleep the monotonic
     * gap is one interval, the wall clock's two hours, and the writer may have compacted and deleted the level-0
     * files past the held position. The next poll is complete (before: a quick one, stale reads until an audit).
     */
    @Test
    void aSuspendOfTheWholeMachineMakesTheNextPollComplete() throws Exception {
        history(4, 'A', 1);
        try (Database f = follower(1)) {
            tick(f);
            tick(f);
            clock.stepWall(Duration.ofHours(2)); // asleep: the wall clock moved, monotonic time did not
            assertThat(tick(f)).isGreaterThan(10);
            assertThat(tick(f)).as("then quick polls again").isEqualTo(1);
        }
    }

    @Test
    void theAdaptivePollBacksOffWhileIdleAndComesBackOnAReadOrAChange() throws Exception {
        history(4, 'A', 1);
        try (Database f = follower(8)) {
            tick(f);
            long before = counting.snapshot().requests();
            for (int i = 0; i < 200; i++) {
                tick(f);
            }
            long idle = counting.snapshot().requests() - before;
            assertThat(f.status().follower().effectivePollIntervalMillis()).isEqualTo(8000);
            assertThat(f.status().toJson()).contains("\"effective_poll_interval_ms\":8000")
                    .contains("\"poll_backoff_max\":8");
            assertThat(idle).as("200 idle seconds").isLessThan(200 / 4);

            // A read transaction brings the base interval back at once.
            readAll(f);
            assertThat(tick(f)).isEqualTo(1);
            assertThat(f.status().follower().effectivePollIntervalMillis()).isEqualTo(1000);

            for (int i = 0; i < 100; i++) {
                tick(f);
            }
            assertThat(f.status().follower().effectivePollIntervalMillis()).isEqualTo(8000);
            // A change is seen within one backed-off interval, and brings the base interval back.
            file(0, 5, 5, 'A' + 5, 1, 2);
            int polls = 0;
            while (f.current().txid() != 5) {
                assertThat(polls++).isLessThanOrEqualTo(8);
                tick(f);
            }
            assertThat(f.status().follower().effectivePollIntervalMillis()).isEqualTo(1000);
        }
    }

    @Test
    void pollBackoffSettings() {
        assertThat(Settings.parsePollBackoff(Settings.POLL_BACKOFF, null)).isEqualTo(1);
        assertThat(Settings.parsePollBackoff(Settings.POLL_BACKOFF, "off")).isEqualTo(1);
        assertThat(Settings.parsePollBackoff(Settings.POLL_BACKOFF, "on")).isEqualTo(8);
        assertThat(Settings.parsePollBackoff(Settings.POLL_BACKOFF, "16x")).isEqualTo(16);
        assertThat(Settings.parsePollBackoff(Settings.POLL_BACKOFF, " 4 ")).isEqualTo(4);
        assertThatThrownBy(() -> Settings.parsePollBackoff(Settings.POLL_BACKOFF, "65"))
                .hasMessageContaining("LITESTREAM_POLL_BACKOFF").hasMessageContaining("65");
        assertThatThrownBy(() -> Settings.parsePollBackoff(Settings.POLL_BACKOFF, "fast"))
                .hasMessageContaining("LITESTREAM_POLL_BACKOFF");
        assertThat(EngineOptions.fromEnvironment(java.util.Map.of(Settings.POLL_BACKOFF, "on")).build().pollBackoff())
                .isEqualTo(8);
        assertThatThrownBy(() -> EngineOptions.builder().pollBackoff(0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ------------------------------------------------------------------------------------------ replica

    /** The last file (TXID {@code 4} of {@link #history}) again, same pages, size and name, another writer. */
    void rewriteAnchor() throws Exception {
        replica.deleteFiles(replica.listFiles(0, 4, false));
        file(0, 4, 4, 'A' + 4, 2, 2);
    }

    /** A Litestream-like NoChecksum history: snapshot at 1, then one L0 file per TXID. */
    void history(long txids, int fill, long node) throws Exception {
        file(0, 1, 1, fill, node, 1, 2, 3);
        for (long t = 2; t <= txids; t++) {
            file(0, t, t, fill + (int) t, node, 2);
        }
    }

    void file(int level, long min, long max, int fill, long node, long... pgnos) throws Exception {
        clock.advance(Duration.ofMillis(7));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, PS, 3, min, max,
                clock.millis(), 0).withNodeId(node));
        for (long p : pgnos) {
            enc.writePage(p, Rival.content(PS, p, fill), 0);
        }
        enc.finish(0);
        replica.createFile(level, min, max, LtxBody.of(out.toByteArray()));
    }
}
