package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.workload.Bug;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every bug switch must stay caught (docs/simulator-bug-coverage.md): by at least two regression-corpus lines that
 * expect a violation with it, or by a targeted test named here (a test that searches seeds for it, so trace shifts
 * from engine changes do not lose it). A switch added to {@link Bug} without either fails this test. And every corpus
 * line that expects a switch to be caught has a line with the same run and no switch, which must pass (the failure
 * is the switch's, not the workload's).
 */
class BugCoverageTest {

    /** The targeted tests per switch: {@code Class#method} in this package; each must name the switch. */
    static final Map<Bug, List<String>> TARGETED = new EnumMap<>(Bug.class);

    static {
        t(Bug.SKIP_FSYNC, "BugsAreFoundTest#simulatorFindsShrinksAndReplaysTheBug",
                "EngineScenarioTest#engineBugSwitchIsFoundShrunkAndReplayed");
        t(Bug.NONE_AS_LOCAL, "BugsAreFoundTest#simulatorFindsShrinksAndReplaysTheBug");
        t(Bug.OVERWRITE_UPLOAD, "BugsAreFoundTest#simulatorFindsShrinksAndReplaysTheBug",
                "EngineScenarioTest#engineBugSwitchIsFoundShrunkAndReplayed");
        t(Bug.AMBIGUOUS_AS_FAILED, "BugsAreFoundTest#simulatorFindsShrinksAndReplaysTheBug");
        t(Bug.CUT_SYNC_MID_TRANSACTION, "EngineScenarioTest#engineBugSwitchIsFoundShrunkAndReplayed");
        t(Bug.FORGET_OWN_UPLOAD, "EngineScenarioTest#engineBugSwitchIsFoundShrunkAndReplayed");
        t(Bug.IGNORE_SHRINK, "EngineScenarioTest#engineBugSwitchIsFoundShrunkAndReplayed");
        t(Bug.WAL_PAGE_ONE, "EngineScenarioTest#engineBugSwitchIsFoundShrunkAndReplayed",
                "SqlWalSnapshotTest#aWalOriginReplicaWorksThroughSqliteAndTheBugSwitchIsCaught");
        t(Bug.SILENT_BUFFER_TRUNCATION, "BugsAreFoundTest#simulatorFindsShrinksAndReplaysTheBug");
        t(Bug.KEEP_TORN_TAIL_AFTER_FULL_DISK, "BugsAreFoundTest#simulatorFindsShrinksAndReplaysTheBug");
        t(Bug.ZERO_TAIL_ON_REUSED_FILE, "BugsAreFoundTest#simulatorFindsShrinksAndReplaysTheBug");
        t(Bug.SKIP_DIRECTORY_ENTRY_SYNC, "BugsAreFoundTest#simulatorFindsShrinksAndReplaysTheBug");
        t(Bug.SKIP_FOLLOWER_CONTINUITY, "FollowerScenarioTest#skipFollowerContinuityIsFoundShrunkAndReplayed");
        t(Bug.CONFLICT_SNAPSHOT_RACE, "SqlScenarioTest#theConflictSnapshotRaceIsFoundShrunkAndReplayed");
        t(Bug.SKIP_PAGE_VERIFICATION, "BugsAreFoundTest#simulatorFindsShrinksAndReplaysTheBug");
        t(Bug.TRUST_UNVERIFIED_CHECKSUMS, "CorruptionScenarioTest#trustingAnUnverifiedChecksumIsCaughtAsFalseDivergence");
        t(Bug.CONFLICTED_WRITE_FAILS, "SqlScenarioTest#aConflictInsideAWriteTransactionIsCaughtWithinAFewSeeds");
        t(Bug.HYDRATE_IGNORE_PIN, "HydrationScenarioTest#theBugSwitchesAreFoundShrunkAndReplayed");
        t(Bug.HYDRATE_TRUST_SIDECAR, "HydrationScenarioTest#theBugSwitchesAreFoundShrunkAndReplayed");
        t(Bug.TIME_TRAVEL_STRICTLY_BEFORE, "TimeTravelScenarioTest#strictlyBeforeIsFoundShrunkAndReplayed");
        t(Bug.STALE_SNAPSHOT_WRITE,
                "SqlReadersTest#readTransactionsBesideCommitsKeepEveryPropertyAndTheStaleWriteSwitchIsCaught");
        t(Bug.STALE_VERSION_STAMP, "SqlReadersTest#aStaleVersionStampIsCaught");
        t(Bug.STALE_WRITE_WHILE_CONFLICTED, "SqlReadersTest#aStaleWriteWhileConflictedIsCaughtInLongerRuns");
        t(Bug.DELETE_TOO_EARLY, "CompactionScenarioTest#compactionBugSwitchIsCaughtWithinTheBatchShrunkAndReplayed");
        t(Bug.COMPACT_ACROSS_GAP, "CompactionScenarioTest#compactionBugSwitchIsCaughtWithinTheBatchShrunkAndReplayed");
        t(Bug.SKIP_SYNC_CHECK, "SkipSyncCheckIsFoundTest#theCompactionScenarioCatchesAWriterThatSkipsTheCheck");
        t(Bug.ROUND_AFTER_CLOSE, "RoundAfterCloseIsFoundTest#theEngineScenarioCatchesASyncRoundOnAClosedDatabase");
        t(Bug.FORGET_OWN_STATE_AFTER_RESTART,
                "ForgetOwnStateAfterRestartIsFoundTest#theCompactionScenarioCatchesAFalseConflictOnTheWritersOwnFileAfterARestart");
        t(Bug.CLOSE_RETRIES_ON_WALL_CLOCK,
                "CloseRetriesUnderClockStepTest#closeRetriesForItsTimeoutOfMonotonicTimeAndTheWallClockSwitchIsCaught");
        t(Bug.UNALTERED_CHANGE_COUNTER, "SqlExclusiveTest#theLostRowIsCaughtAtTheCommitCheck",
                "SqlExclusiveTest#exclusiveConnectionsKeepEveryPropertyAndTheUnalteredChangeCounterIsCaught");
        t(Bug.WALL_CLOCK_WINDOW, "WallClockWindowIsFoundTest#aForwardStepThenRetentionCatchesTheWallClockWindowOnMostSeeds");
    }

    private static void t(Bug bug, String... tests) {
        TARGETED.put(bug, List.of(tests));
    }

    @Test
    void everySwitchIsCaughtByTwoCorpusSeedsOrATargetedTest() throws IOException {
        List<RegressionCorpusTest.Entry> corpus = RegressionCorpusTest.read("regression-seeds.txt");
        List<String> uncovered = new ArrayList<>();
        for (Bug bug : Bug.values()) {
            long seeds = corpus.stream().filter(e -> e.expect() != null && e.bugs().contains(bug)).count();
            if (seeds < 2 && !TARGETED.containsKey(bug)) {
                uncovered.add(bug.cliName() + " (" + seeds + " corpus seeds, no targeted test)");
            }
        }
        assertThat(uncovered).as("bug switches nothing keeps catching: add two corpus seeds (expect=) or a targeted"
                + " test to BugCoverageTest.TARGETED and docs/simulator-bug-coverage.md").isEmpty();
    }

    @Test
    void everyNamedTargetedTestExistsAndNamesItsSwitch() throws Exception {
        for (Map.Entry<Bug, List<String>> e : TARGETED.entrySet()) {
            for (String test : e.getValue()) {
                String[] cm = test.split("#");
                Class<?> c = Class.forName("dev.ltx4j.simulator." + cm[0]);
                assertThat(Arrays.stream(c.getDeclaredMethods()).map(Method::getName)).as(test).contains(cm[1]);
                Path source = Path.of("src/test/java/dev/ltx4j/simulator/" + cm[0] + ".java");
                if (Files.exists(source)) { // run from the module directory (Maven): the test must name the switch
                    String text = Files.readString(source, StandardCharsets.UTF_8);
                    assertThat(text.contains(e.getKey().cliName()) || text.contains("Bug." + e.getKey().name()))
                            .as("%s names %s", test, e.getKey().cliName()).isTrue();
                }
            }
        }
    }

    @Test
    void everyCorpusLineThatCatchesASwitchPassesWithoutIt() throws IOException {
        List<RegressionCorpusTest.Entry> corpus = RegressionCorpusTest.read("regression-seeds.txt");
        List<String> missing = new ArrayList<>();
        for (RegressionCorpusTest.Entry e : corpus) {
            if (e.expect() == null || e.bugs().isEmpty()) {
                continue;
            }
            boolean baseline = corpus.stream().anyMatch(p -> p.expect() == null && p.bugs().isEmpty()
                    && p.scenario().equals(e.scenario()) && p.seed() == e.seed() && p.ops() == e.ops()
                    && p.faults().toSpec().equals(e.faults().toSpec()));
            if (!baseline) {
                missing.add(e.line());
            }
        }
        assertThat(missing).as("corpus lines with a switch but no passing line of the same run without it").isEmpty();
    }
}
