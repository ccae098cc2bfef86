package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SimCommandTest {

    @Test
    void engineSeedPrintsTraceHashFaultsStatesAndThroughputAndReplays() {
        String[] args = {"sim", "--scenario", "engine", "--seed", "1", "--ops", "80", "--faults",
            "latency-spike,create-race,crash"};
        CliRun a = CliRun.of(args);
        CliRun b = CliRun.of(args);
        assertThat(a.exitCode()).as(a.out() + a.err()).isZero();
        assertThat(a.out()).contains("engine seed 1 ops 80").contains("PASS").contains("trace hash")
                .contains("faults fired:").contains("states:").contains("recovery=").contains("ops/CPU-second");
        assertThat(hash(b.out())).isEqualTo(hash(a.out()));
    }

    @Test
    void bugSwitchFailsWithReplayCommandAndBadOptionsExitTwo() {
        CliRun r = CliRun.of("sim", "--scenario", "engine", "--seed", "1", "--ops", "150", "--faults",
                "latency-spike,create-race,crash", "--bugs", "cut-sync-mid-transaction");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL atomicity").contains("replay: ltx4j sim --scenario engine --seed 1");
        assertThat(CliRun.of("sim", "--faults", "no-such-fault").exitCode()).isEqualTo(2);
        assertThat(CliRun.of("sim", "--scenario", "nope").out()).contains("unknown scenario");
    }

    private static String hash(String out) {
        int i = out.indexOf("trace hash");
        return out.substring(i, out.indexOf('(', i));
    }
}
