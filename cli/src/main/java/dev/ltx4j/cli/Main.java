package dev.ltx4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code ltx4j} command. */
@Command(name = "ltx4j", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Main.Version.class,
        description = "Remote-first SQLite for the JVM: LTX replicas in object storage.",
        subcommands = {LtxCommand.class, ImportCommand.class, RestoreCommand.class, DemoCommand.class, BenchCommand.class,
                SimCommand.class, BufferCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (used by tests in-process). */
    public static int run(String... args) {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("ltx4j: " + Errors.describe(ex));
            if (System.getenv("LTX4J_DEBUG") != null) {
                ex.printStackTrace(line.getErr());
            }
            return 1;
        });
        return cmd.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"ltx4j " + (v == null ? "(development build)" : v)};
        }
    }
}
