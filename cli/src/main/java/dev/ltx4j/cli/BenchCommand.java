package dev.ltx4j.cli;

import dev.ltx4j.vfs.LitestreamVfs;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ltx4j bench vfs [--quick]}: wall-clock comparisons of the litestream VFS against plain SQLite files, in one
 * run on one machine. A rough guide, not a JMH measurement: autocommit inserts through JDBC (ltx4j write mode,
 * durability local and none, beside plain WAL with synchronous FULL and OFF), a full scan through read mode (cold
 * and warm cache) beside the plain file, and the same Python script against ltx4j and the reference extension.
 */
@Command(name = "bench", description = "Measure the litestream VFS beside plain SQLite (bench vfs|reads [--quick]).")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "WHAT", description = "What to measure: vfs (writes, scan, python) or"
            + " reads (the read path: scan, point reads, own unsynced pages, readers beside a writer)")
    String what;

    @Option(names = "--quick", description = "Small sizes (400 inserts a round, 10 MB scan) for a fast check.")
    boolean quick;

    @Option(names = "--rounds", paramLabel = "N", description = "Alternating rounds of the JDBC commit variants"
            + " (default 5).")
    int rounds = 5;

    @Option(names = "--part", paramLabel = "LIST", split = ",", description = "Parts to run: jdbc, scan, python"
            + " (default all).")
    List<String> parts = List.of("jdbc", "scan", "python");

    @Option(names = "--replica", paramLabel = "URL", description = "Replica base URL of the JDBC commit part's ltx4j"
            + " variants (each uses URL/<variant>; e.g. an s3:// URL with endpoint=...); default: file replicas in the"
            + " work directory.")
    String replica;

    @Option(names = "--commits", paramLabel = "N", description = "Autocommit inserts per round of the JDBC commit part"
            + " (default 2000, 400 with --quick).")
    Integer commits;

    @Option(names = "--dir", paramLabel = "DIR", description = "Work directory (default: a new temp directory).")
    Path dir;

    @Option(names = "--reference", paramLabel = "SO", description = "Reference litestream-vfs.so for the Python comparison"
            + " (default: .cache/reference-vfs-0.5.17 under the current directory, if installed).")
    Path reference;

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        if (!"vfs".equals(what) && !"reads".equals(what)) {
            throw new IllegalArgumentException("unknown benchmark '" + what + "'; use: bench vfs, bench reads");
        }
        out = spec.commandLine().getOut();
        Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("ltx4j-bench-");
        if ("reads".equals(what)) {
            new ReadBench(out, work, quick).run();
            out.println("\nload average at end: " + loadAverage());
            out.flush();
            return 0;
        }
        int scanMb = quick ? 10 : 50;
        int perRound = commits != null ? commits : quick ? 400 : 2_000;
        out.printf("ltx4j bench vfs: %d rounds of %d autocommit inserts, %d MB scan, in %s (JDK %s)%n", rounds,
                perRound, scanMb, work,
                Runtime.version());
        out.println("load average at start: " + loadAverage());

        if (parts.contains("jdbc")) {
            out.println("\nAutocommit INSERTs through sqlite-jdbc (commits/s, higher is better)");
            out.println("  replicas of the ltx4j variants: " + (replica == null ? "files in the work directory"
                    : java.net.URI.create(replica.replace(" ", "%20")).getScheme() + " (--replica)"));
            new CommitBench(out, work, perRound, rounds, replica).run();
            out.println("  (the engine's buffer is fsynced once per commit under durability local; the rollback journal"
                    + " of an engine database lives in memory and is never fsynced, so synchronous changes little)");
        }
        if (parts.contains("scan")) {
            out.println("\nFull scan of a " + scanMb + " MB database (ms, lower is better)");
            scan(work, scanMb);
        }
        if (parts.contains("python")) {
            out.println("\nPython (Debian /usr/bin/python3) autocommit INSERTs through the extension (commits/s)");
            python(work, quick ? 500 : 2_000);
        }
        out.println("\nload average at end: " + loadAverage());
        return 0;
    }

    /** The 1, 5 and 15 minute load averages (as uptime shows them), or "unknown" off Linux. */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private void scan(Path work, int mb) throws Exception {
        Path source = work.resolve("scan.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + source); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
            s.execute("INSERT INTO t(v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                    + mb * 1024 + ") SELECT randomblob(1000) FROM n");
        }
        String url = work.resolve("replica-scan").toUri().toString();
        int rc = new picocli.CommandLine(new Main()).setOut(new PrintWriter(PrintWriter.nullWriter()))
                .setErr(spec.commandLine().getErr()).execute("import", source.toString(), url);
        if (rc != 0) throw new IOException("import of the scan database failed");
        String query = "SELECT count(*), sum(length(v)) FROM t";
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + source)) {
            out.printf("  %-40s %7.0f ms (OS page cache warm)%n", "plain file", timed(c, query));
        }
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).cacheSize((long) (mb + 16) << 20)
                .pollInterval(Duration.ofSeconds(60)).register("bench-scan");
        long open0 = System.nanoTime();
        try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(work.resolve("scan-follower.db")))) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA cache_size=0");
            }
            // SQLite reads the header while opening: this includes loading the replica's page index and, since
            // pages are served only from verified files, verifying the snapshot (one streaming read).
            out.printf("  %-40s %7.0f ms%n", "ltx4j read mode, open (header read)", (System.nanoTime() - open0) / 1e6);
            out.printf("  %-40s %7.0f ms%n", "ltx4j read mode, cold page cache", timed(c, query));
            out.printf("  %-40s %7.0f ms%n", "ltx4j read mode, warm page cache", timed(c, query));
        }
    }

    private static double timed(Connection c, String sql) throws SQLException {
        long t0 = System.nanoTime();
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private void python(Path work, int n) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            out.println("  skipped: no /usr/bin/python3");
            return;
        }
        Path script = work.resolve("bench.py");
        Files.writeString(script, String.join("\n",
                "import sqlite3, sys, time",
                "loader = sqlite3.connect(':memory:')",
                "loader.enable_load_extension(True)",
                "loader.load_extension(sys.argv[1])",
                "loader.close()",
                "conn = sqlite3.connect('file:bench.db?vfs=litestream', uri=True, isolation_level=None)",
                "conn.execute('CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)')",
                "n = int(sys.argv[2])",
                "for i in range(n // 10):",
                "    conn.execute('INSERT INTO t(v) VALUES (?)', ('warm-up row %d' % i,))",
                "t0 = time.perf_counter()",
                "for i in range(n):",
                "    conn.execute('INSERT INTO t(v) VALUES (?)', ('row %d of the benchmark' % i,))",
                "dt = time.perf_counter() - t0",
                "conn.close()",
                "print('%.0f' % (n / dt))", ""), StandardCharsets.UTF_8);
        Path ours = Files.createDirectories(work.resolve("dist")).resolve("litestream-vfs.so");
        Files.copy(LitestreamVfs.load(), ours);
        String classPath = engineClassPath();
        Path ref = reference != null ? reference
                : Path.of(".cache/reference-vfs-0.5.17/node_modules/litestream-vfs-linux-amd64/litestream-vfs.so");
        boolean hasRef = Files.isRegularFile(ref);
        double[] ourRates = new double[rounds];
        double[] noneRates = new double[rounds];
        double[] refRates = new double[rounds];
        for (int r = 0; r < rounds; r++) { // alternating, each a fresh process and database
            ourRates[r] = measurePython(python, script, ours, n, work.resolve("py-ltx4j-" + r),
                    Map.of("LITESTREAM_CLASSPATH", classPath, "JAVA_HOME", System.getProperty("java.home")));
            // The reference's own guarantee: no fsync of anything at commit (LITESTREAM_DURABILITY=none).
            noneRates[r] = measurePython(python, script, ours, n, work.resolve("py-ltx4j-none-" + r),
                    Map.of("LITESTREAM_CLASSPATH", classPath, "JAVA_HOME", System.getProperty("java.home"),
                            "LITESTREAM_DURABILITY", "none"));
            refRates[r] = !hasRef ? Double.NaN : measurePython(python, script, ref.toAbsolutePath(), n,
                    work.resolve("py-ref-" + r), Map.of("LITESTREAM_LOG_FILE", work.resolve("ref.log").toString()));
        }
        out.printf("  %d alternating runs of %d inserts (after %d untimed), median (range)%n", rounds, n, n / 10);
        out.printf("  %-40s %s%n", "ltx4j (JVM embedded in python)", summary(ourRates));
        out.printf("  %-40s %s%n", "ltx4j, durability none (no fsync)", summary(noneRates));
        if (!hasRef) {
            out.println("  reference: skipped (no " + ref + "; pass --reference)");
            return;
        }
        // Measured with strace -f -y: per commit the reference fsyncs SQLite's rollback journal twice (it keeps the
        // journal as a real file in the temporary directory) and never its write buffer, so nothing it acknowledges
        // survives a crash, yet it pays two fsyncs when the temporary directory is on a disk (not on tmpfs).
        out.printf("  %-40s %s%n", "reference 0.5.17 (buffer never fsynced)", summary(refRates));
        out.println("  (the reference fsyncs SQLite's rollback journal twice a commit, in " + System.getenv().getOrDefault(
                "TMPDIR", "/tmp") + ", and never its buffer; ltx4j fdatasyncs its buffer once a commit, durability"
                + " none: never)");
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            ratio[r] = ourRates[r] / refRates[r];
        }
        out.printf("  %-40s %s%n", "ltx4j rate / reference rate", summary(ratio).replace(" /s", "x"));
        for (int r = 0; r < rounds; r++) {
            ratio[r] = noneRates[r] / refRates[r];
        }
        out.printf("  %-40s %s%n", "same, both without fsync (none / ref.)", summary(ratio).replace(" /s", "x"));
    }

    /** Median and range, ignoring failed runs (NaN). */
    private static String summary(double[] xs) {
        double[] ok = Arrays.stream(xs).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (ok.length == 0) return "failed";
        double median = ok.length % 2 == 1 ? ok[ok.length / 2] : (ok[ok.length / 2 - 1] + ok[ok.length / 2]) / 2;
        String fmt = median < 10 ? "%.2f" : "%.0f";
        return String.format(fmt + " /s (" + fmt + "-" + fmt + ")%s", median, ok[0], ok[ok.length - 1],
                ok.length < xs.length ? ", " + (xs.length - ok.length) + " failed" : "");
    }

    /** The jars of this CLI for the JVM that the extension starts inside python. */
    private static String engineClassPath() throws Exception {
        Path self = Path.of(BenchCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isRegularFile(self)) return self + File.pathSeparator + self.resolveSibling("lib") + "/*";
        return System.getProperty("java.class.path");
    }

    /** Commits/s of one python run, or NaN when it failed (its stderr is kept in {@code cwd}). */
    private double measurePython(Path python, Path script, Path so, int n, Path cwd, Map<String, String> extra)
            throws Exception {
        Files.createDirectories(cwd);
        ProcessBuilder pb = new ProcessBuilder(List.of(python.toString(), script.toString(), so.toString(),
                Integer.toString(n))).directory(cwd.toFile()).redirectError(cwd.resolve("stderr.txt").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LITESTREAM_"));
        pb.environment().putAll(extra);
        pb.environment().put("LITESTREAM_WRITE_ENABLED", "true");
        pb.environment().put("LITESTREAM_REPLICA_URL", cwd.resolve("replica").toUri().toString());
        pb.environment().put("LITESTREAM_BUFFER_PATH", cwd.resolve("buffer").toString());
        Process p = pb.start();
        String result = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0 || result.isEmpty()) {
            out.printf("  python run in %s failed (see stderr.txt there)%n", cwd);
            return Double.NaN;
        }
        return Double.parseDouble(result);
    }
}
