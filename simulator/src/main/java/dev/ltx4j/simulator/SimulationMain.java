package dev.ltx4j.simulator;

import dev.ltx4j.simulator.workload.Bug;
import dev.ltx4j.simulator.workload.RunResult;
import dev.ltx4j.simulator.workload.Scenario;
import dev.ltx4j.simulator.workload.Simulation;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The entry behind {@code ltx4j sim}:
 * <pre>
 * ltx4j sim [--scenario engine|log-writer|log|uploader|all] [--seed N] [--ops M] [--faults SPEC] [--bugs LIST]
 *           [--duration SECONDS]
 * </pre>
 * With {@code --seed} and no {@code --duration}, runs that seed once per scenario and prints its summary. With
 * {@code --duration}, runs consecutive seeds from {@code --seed} (default 1) until that much CPU time is spent,
 * then prints the totals. Exit code 0 when every run passed, 1 when an invariant broke, 2 on bad arguments.
 */
public final class SimulationMain {
    private SimulationMain() {}

    /** Parsed options. */
    public record Options(String scenario, long seed, int ops, FaultPlan faults, Set<Bug> bugs, double durationSeconds) {

        /** Parses {@code args}; throws {@link IllegalArgumentException} naming the bad option. */
        public static Options parse(String... args) {
            String scenario = "all";
            long seed = 1;
            int ops = 200;
            FaultPlan faults = FaultPlan.all();
            Set<Bug> bugs = Set.of();
            double duration = 0;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option " + a + " needs a value");
                }
                String v = args[++i];
                try {
                    switch (a) {
                        case "--scenario" -> scenario = v;
                        case "--seed" -> seed = Long.parseLong(v);
                        case "--ops" -> ops = Integer.parseInt(v);
                        case "--faults" -> faults = FaultPlan.parse(v);
                        case "--bugs" -> bugs = Bug.parseList(v);
                        case "--duration" -> duration = Double.parseDouble(v.endsWith("s") ? v.substring(0, v.length() - 1) : v);
                        default -> throw new IllegalArgumentException("unknown option " + a);
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("option " + a + " has a bad number: \"" + v + "\"", e);
                }
            }
            if (ops < 0) {
                throw new IllegalArgumentException("option --ops must not be negative: " + ops);
            }
            return new Options(scenario, seed, ops, faults, bugs, duration);
        }
    }

    /** Parses and runs; see the class comment. */
    public static int run(String[] args, PrintStream out) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            out.println("ltx4j sim: " + e.getMessage());
            return 2;
        }
        return run(o, out);
    }

    /** Runs parsed options; see the class comment. */
    public static int run(Options o, PrintStream out) {
        List<Scenario<?>> scenarios = new ArrayList<>();
        try {
            if (o.scenario().equals("all")) {
                for (String n : Simulation.scenarioNames()) {
                    scenarios.add(Simulation.scenario(n, o.bugs()));
                }
            } else {
                scenarios.add(Simulation.scenario(o.scenario(), o.bugs()));
            }
        } catch (IllegalArgumentException e) {
            out.println("ltx4j sim: " + e.getMessage());
            return 2;
        }
        Stats total = new Stats();
        long cpu = 0;
        int runs = 0;
        int failed = 0;
        long budget = (long) (o.durationSeconds() * 1e9);
        for (long i = 0; ; i++) {
            long seed = o.seed() + i;
            for (Scenario<?> s : scenarios) {
                RunResult r = Simulation.run(s, seed, o.ops(), o.faults());
                runs++;
                cpu += r.cpuNanos();
                total.addAll(r.stats());
                if (budget <= 0) {
                    SummaryPrinter.print(r, out);
                }
                if (!r.passed()) {
                    failed++;
                    if (budget > 0) {
                        SummaryPrinter.print(r, out);
                    }
                    out.println("replay: " + Simulation.replayCommand(s, seed, o.ops(), o.faults(), o.bugs()));
                }
            }
            if (budget <= 0 || cpu >= budget) {
                break;
            }
        }
        if (budget > 0) {
            out.printf("batch: %d runs from seed %d, %d failed%n", runs, o.seed(), failed);
            SummaryPrinter.printCounts(total, out);
            out.printf("throughput: %,.0f ops/CPU-second (%,d ops in %.2f CPU s)%n",
                    cpu <= 0 ? Double.NaN : total.operations() * 1e9 / cpu, total.operations(), cpu / 1e9);
        }
        return failed == 0 ? 0 : 1;
    }

    /** Command-line entry for running the simulator without the CLI module. */
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /** Prints summaries. */
    public static final class SummaryPrinter {
        private SummaryPrinter() {}

        /** One run: verdict, trace hash, faults, states, throughput. */
        public static void print(RunResult r, PrintStream out) {
            out.printf("%s seed %d ops %d faults %s: %s%n", r.scenario(), r.seed(), r.ops(), r.faults(),
                    r.passed() ? "PASS" : "FAIL " + r.violation().getMessage());
            out.printf("  trace hash %s (%d events), simulated time %.3f s%n", r.traceHashHex(), r.events(),
                    r.simNanos() / 1e9);
            printCounts(r.stats(), out);
            out.printf("  throughput: %,.0f ops/CPU-second (%d ops in %.3f CPU ms)%n", r.opsPerCpuSecond(),
                    r.stats().operations(), r.cpuNanos() / 1e6);
            if (!r.passed()) {
                out.println("  last events:");
                r.traceTail().forEach(e -> out.println("    " + e));
            }
        }

        /** Fault and state counts. */
        public static void printCounts(Stats s, PrintStream out) {
            StringBuilder f = new StringBuilder();
            for (Map.Entry<FaultKind, Long> e : s.faults().entrySet()) {
                f.append(f.length() == 0 ? "" : ", ").append(e.getKey().cliName()).append('=').append(e.getValue());
            }
            out.println("  faults fired: " + (f.length() == 0 ? "none" : f));
            StringBuilder st = new StringBuilder();
            for (Map.Entry<String, Long> e : s.states().entrySet()) {
                st.append(st.length() == 0 ? "" : ", ").append(e.getKey()).append('=').append(e.getValue());
            }
            out.println("  states: " + (st.length() == 0 ? "none" : st));
        }
    }
}
