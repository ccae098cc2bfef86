package dev.ltx4j.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SimulationMainTest {

    private static String[] run(int expectedExit, String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit = SimulationMain.run(args, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(out).isEqualTo(expectedExit);
        return new String[] {out};
    }

    @Test
    void oneSeedPrintsASummaryPerScenarioAndReplaysIdentically() {
        String spec = Plans.engineSafe().toSpec();
        String a = run(0, "--seed", "77", "--ops", "120", "--faults", spec)[0];
        String b = run(0, "--seed", "77", "--ops", "120", "--faults", spec)[0];
        assertThat(a).contains("log-writer seed 77 ops 120").contains("uploader seed 77 ops 120").contains("PASS")
                .contains("trace hash").contains("faults fired:").contains("states:").contains("ops/CPU-second");
        assertThat(hashes(a)).isEqualTo(hashes(b));
    }

    private static String hashes(String out) {
        StringBuilder b = new StringBuilder();
        for (String line : out.split("\n")) {
            if (line.contains("trace hash")) {
                b.append(line, 0, line.indexOf('(')).append('\n');
            }
        }
        return b.toString();
    }

    @Test
    void aBugSwitchFailsWithAReplayLine() {
        String out = run(1, "--scenario", "uploader", "--seed", "1", "--ops", "300", "--bugs", "overwrite-upload",
                "--faults", "none")[0];
        assertThat(out).contains("FAIL lost-acknowledged-write").contains("replay: ltx4j sim --scenario uploader");
    }

    @Test
    void durationRunsABatchAndPrintsTotals() {
        String out = run(0, "--scenario", "log-writer", "--seed", "5", "--ops", "50", "--faults", "crash,fsync-failure",
                "--duration", "0.2s")[0];
        assertThat(out).contains("batch:").contains("0 failed").contains("throughput:");
    }

    @Test
    void badArgumentsExitWithTwoAndNameTheProblem() {
        assertThat(run(2, "--ops")[0]).contains("--ops needs a value");
        assertThat(run(2, "--seed", "x")[0]).contains("--seed").contains("\"x\"");
        assertThat(run(2, "--faults", "gremlins")[0]).contains("gremlins");
        assertThat(run(2, "--scenario", "nope")[0]).contains("unknown scenario \"nope\"");
        assertThat(run(2, "--bugs", "nope")[0]).contains("unknown bug switch");
        assertThat(run(2, "--frobnicate", "1")[0]).contains("unknown option --frobnicate");
    }
}
