package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.CompactionScenario;
import dev.ltx4j.simulator.workload.EngineScenario;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The sync's pre-upload conflict check (issue 15, docs/request-economy-writer.md) is what stops a writer from forking
 * the history when another writer's level-0 file was compacted into a higher level and deleted by retention:
 * create-if-absent no longer meets it. {@code --bugs skip-sync-check} uploads without the check, and the compaction
 * scenario (real compactors deleting level-0 files within seconds) must catch it: the writer commits, another writer
 * lands the next two TXIDs, the writer stays idle while compaction and retention take the first of the rival's
 * level-0 files away (the newest stays), then commits again. Without the switch the same seeds pass (the writer conflicts, nothing forks).
 */
class SkipSyncCheckIsFoundTest {

    private static List<CompactionScenario.Action> idleRivalThenCommit() {
        List<CompactionScenario.Action> a = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            a.add(engine(new EngineScenario.Commit(List.of(new EngineScenario.PageWrite(i, 11 + 2L * i)), 0)));
            a.add(engine(new EngineScenario.Idle(400)));
        }
        a.add(engine(new EngineScenario.Idle(800)));
        // Two rival commits: retention keeps the newest level-0 file (compaction seeks from it), so only the first
        // one's file can go, and that is the name the writer's next upload takes.
        a.add(engine(new EngineScenario.RivalCommit(List.of(new EngineScenario.PageWrite(3, 1001)))));
        a.add(engine(new EngineScenario.RivalCommit(List.of(new EngineScenario.PageWrite(4, 1003)))));
        for (int i = 0; i < 90; i++) { // 72 s: level intervals, retention window and grace all pass
            a.add(engine(new EngineScenario.Idle(800)));
        }
        a.add(engine(new EngineScenario.Commit(List.of(new EngineScenario.PageWrite(5, 2001)), 0)));
        for (int i = 0; i < 10; i++) {
            a.add(engine(new EngineScenario.Idle(800)));
        }
        return a;
    }

    private static CompactionScenario.Action engine(EngineScenario.Action action) {
        return new CompactionScenario.Engine(action);
    }

    @Test
    void theCompactionScenarioCatchesAWriterThatSkipsTheCheck() {
        List<CompactionScenario.Action> actions = idleRivalThenCommit();
        Set<Bug> bug = EnumSet.of(Bug.SKIP_SYNC_CHECK);
        int caught = 0;
        List<String> properties = new ArrayList<>();
        for (long seed = 1; seed <= 12; seed++) {
            RunResult withBug = Simulation.run(new CompactionScenario(bug), seed, actions, FaultPlan.none());
            RunResult fixed = Simulation.run(new CompactionScenario(), seed, actions, FaultPlan.none());
            assertThat(fixed.passed()).as("seed %d without the switch: %s", seed, fixed.violation()).isTrue();
            if (!withBug.passed()) {
                caught++;
                properties.add(seed + ": " + withBug.violation().property());
                // The printed seed replays the failure exactly.
                RunResult again = Simulation.run(new CompactionScenario(bug), seed, actions, FaultPlan.none());
                assertThat(again.traceHash()).isEqualTo(withBug.traceHash());
            }
        }
        System.out.println("MEASURE skip-sync-check caught in " + caught + " of 12 seeds: " + properties);
        assertThat(caught).as("seeds where the compaction scenario caught skip-sync-check").isPositive();
    }
}
