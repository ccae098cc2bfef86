package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Simulation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays the seed corpora on every build. {@code regression-seeds.txt}: runs that once found a bug and must now
 * pass (twice, with one trace hash). {@code known-failures.txt}: open bugs that must still be found; when one
 * starts passing, its fix landed: move the line to the regression corpus.
 *
 * <p>Line format: {@code <scenario> <seed> <ops> [faults-spec] [bugs=list] [expect=property]  # why}.
 */
class RegressionCorpusTest {

    record Entry(String scenario, long seed, int ops, FaultPlan faults, Set<Bug> bugs, String expect, String line) {}

    static List<Entry> read(String resource) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (InputStream in = RegressionCorpusTest.class.getResourceAsStream("/" + resource)) {
            assertThat(in).as("resource %s", resource).isNotNull();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                String body = line.contains("#") ? line.substring(0, line.indexOf('#')) : line;
                if (body.isBlank()) {
                    continue;
                }
                String[] f = body.trim().split("\\s+");
                FaultPlan plan = FaultPlan.all();
                Set<Bug> bugs = Set.of();
                String expect = null;
                for (int i = 3; i < f.length; i++) {
                    if (f[i].startsWith("bugs=")) {
                        bugs = Bug.parseList(f[i].substring(5));
                    } else if (f[i].startsWith("expect=")) {
                        expect = f[i].substring(7);
                    } else {
                        plan = FaultPlan.parse(f[i]);
                    }
                }
                out.add(new Entry(f[0], Long.parseLong(f[1]), Integer.parseInt(f[2]), plan, bugs, expect, line));
            }
        }
        return out;
    }

    @TestFactory
    List<DynamicTest> regressionSeedsPassAndReplayExactly() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Entry e : read("regression-seeds.txt")) {
            tests.add(DynamicTest.dynamicTest(e.line(), () -> {
                RunResult a = Simulation.run(Simulation.scenario(e.scenario(), e.bugs()), e.seed(), e.ops(), e.faults());
                RunResult b = Simulation.run(Simulation.scenario(e.scenario(), e.bugs()), e.seed(), e.ops(), e.faults());
                assertThat(b.traceHash()).isEqualTo(a.traceHash());
                if (e.expect() == null) {
                    assertThat(a.violation()).as(e.line()).isNull();
                } else {
                    assertThat(a.violation()).as(e.line()).isNotNull();
                    assertThat(a.violation().property()).isEqualTo(e.expect());
                }
            }));
        }
        assertThat(tests).isNotEmpty();
        return tests;
    }

    @TestFactory
    List<DynamicTest> knownFailuresAreStillFound() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Entry e : read("known-failures.txt")) {
            tests.add(DynamicTest.dynamicTest(e.line(), () -> {
                RunResult a = Simulation.run(Simulation.scenario(e.scenario(), e.bugs()), e.seed(), e.ops(), e.faults());
                assertThat(a.violation()).as("no longer fails (fixed?): move to regression-seeds.txt: " + e.line())
                        .isNotNull();
                assertThat(a.violation().property()).isEqualTo(e.expect());
            }));
        }
        return tests;
    }
}
