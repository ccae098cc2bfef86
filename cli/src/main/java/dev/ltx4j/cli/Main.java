package dev.ltx4j.cli;

import dev.ltx4j.vfs.LitestreamVfs;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code ltx4j} command. */
@Command(name = "ltx4j", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Main.Version.class,
        description = "Remote-first SQLite for the JVM: LTX replicas in object storage.",
        subcommands = {LtxCommand.class, ImportCommand.class, RestoreCommand.class, CompactCommand.class, RetainCommand.class,
                DemoCommand.class, BenchCommand.class,
                SimCommand.class, BufferCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (used by tests in-process). */
    public static int run(String... args) {
        return run(null, null, args);
    }

    /** Runs a command line printing to {@code out} and {@code err} (null: the standard streams). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cmd = new CommandLine(new Main());
        // The native library only once a command runs: help, version and usage errors never hash a page, and the
        // load (extraction into the temporary directory, dlopen, CPU probe) cost them ~50 ms.
        cmd.setExecutionStrategy(parsed -> {
            if (!helpOnly(parsed)) {
                useNativeCrc64();
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        if (out != null) {
            cmd.setOut(out);
        }
        if (err != null) {
            cmd.setErr(err);
        }
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("ltx4j: " + Errors.describe(ex));
            if (System.getenv("LTX4J_DEBUG") != null) {
                ex.printStackTrace(line.getErr());
            }
            return 1;
        });
        return cmd.execute(args);
    }

    /** Whether the command line only asks for help or the version (picocli answers those without running a command). */
    static boolean helpOnly(CommandLine.ParseResult parsed) {
        for (CommandLine line : parsed.asCommandLineList()) {
            if (line.isUsageHelpRequested() || line.isVersionHelpRequested()
                    || line.getCommand() instanceof CommandLine.HelpCommand) {
                return true;
            }
        }
        return false;
    }

    /**
     * Loads the VFS native library for its CRC-64 accelerator (verify, restore, compaction and the simulator hash
     * every page; docs/crc64-native.md). Best effort: without a library for this platform the Java code serves;
     * {@code -Dltx4j.crc64.native=false} skips the load (and its extraction into the temporary directory).
     */
    private static void useNativeCrc64() {
        if ("false".equalsIgnoreCase(System.getProperty("ltx4j.crc64.native", "").trim())) {
            return;
        }
        try {
            LitestreamVfs.loadNative();
        } catch (IOException | LinkageError | RuntimeException e) {
            // The pure-Java CRC-64 serves; nothing else of the CLI needs the library before a VFS command loads it.
        }
    }

    /** The version the build wrote into {@code version.properties} (Maven resource filtering). */
    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            String v = p.getProperty("version", "");
            // An unfiltered copy (an IDE build that skipped Maven) still says ${project.version}.
            return v.isBlank() || v.startsWith("${") ? "(development build)" : v;
        } catch (IOException e) {
            return "(development build)";
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"ltx4j " + version()};
        }
    }
}
