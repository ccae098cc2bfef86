package dev.ltx4j.cli;

import dev.ltx4j.simulator.FaultPlan;
import dev.ltx4j.simulator.SimulationMain;
import dev.ltx4j.simulator.workload.Bug;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ltx4j sim}: runs the deterministic simulator (see {@link SimulationMain}). */
@Command(name = "sim", description = "Run the deterministic simulator: one seed (prints its trace hash, the faults"
        + " and interesting states that fired, and throughput), or consecutive seeds for --duration CPU seconds."
        + " Exit code 1 when an invariant broke (the replay command is printed).")
final class SimCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--scenario", defaultValue = "engine", paramLabel = "NAME",
            description = "engine, log (log-writer), uploader, sql, sql-readers, sql-exclusive, follower, corruption,"
                    + " hydration, timetravel, compaction, or all (every one but sql-readers, sql-exclusive and"
                    + " hydration); default"
                    + " ${DEFAULT-VALUE}.")
    String scenario;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Root seed; default ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--ops", defaultValue = "200", paramLabel = "M", description = "Actions per run; default ${DEFAULT-VALUE}.")
    int ops;

    @Option(names = "--faults", defaultValue = "all", paramLabel = "SPEC",
            description = "none, all, store, disk, clock, or kind[=probability],... (e.g. crash,lost-response=0.2,"
                    + "clock-step).")
    String faults;

    @Option(names = "--bugs", defaultValue = "none", paramLabel = "LIST",
            description = "Bug switches to re-introduce (test only), e.g. skip-fsync,ignore-shrink.")
    String bugs;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "SECONDS",
            description = "Run consecutive seeds for this many CPU seconds and print totals.")
    String duration;

    @Override
    public Integer call() {
        SimulationMain.Options o;
        try {
            FaultPlan plan = FaultPlan.parse(faults);
            double seconds = Double.parseDouble(duration.endsWith("s") ? duration.substring(0, duration.length() - 1)
                    : duration);
            o = new SimulationMain.Options(scenario, seed, ops, plan, Bug.parseList(bugs), seconds);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("ltx4j sim: " + e.getMessage());
            return 2;
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            code = SimulationMain.run(o, out);
        }
        spec.commandLine().getOut().print(buf.toString(StandardCharsets.UTF_8));
        spec.commandLine().getOut().flush();
        return code;
    }
}
