package dev.ltx4j.cli;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.vfs.LitestreamVfs;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ltx4j bench reads [--quick]}: the read path of the litestream VFS beside plain SQLite files, in one run on
 * one machine: a warm full scan in read mode, random point reads, a write-mode connection scanning its own unsynced
 * pages, and four reader threads beside one writer. Every SQLite connection runs with {@code PRAGMA cache_size=0},
 * so each page a statement needs comes through the VFS (plain: the unix VFS and the OS page cache). Times are wall
 * clock and CPU time of the measuring thread; the breakdown splits one warm page read into its parts.
 */
final class ReadBench {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final String SCAN = "SELECT count(*), sum(length(v)) FROM t";

    private final PrintWriter out;
    private final Path work;
    private final int mb;
    private final int points;
    private final Duration concurrentFor;

    ReadBench(PrintWriter out, Path work, boolean quick) {
        this.out = out;
        this.work = work;
        this.mb = quick ? 10 : 50;
        this.points = quick ? 5_000 : 20_000;
        this.concurrentFor = Duration.ofSeconds(quick ? 2 : 5);
    }

    /** Wall and CPU time of one measurement, in milliseconds. */
    record Timing(double wallMs, double cpuMs) {
        @Override
        public String toString() {
            return String.format("%8.1f ms  (cpu %8.1f ms)", wallMs, cpuMs);
        }
    }

    interface SqlWork {
        void run() throws Exception;
    }

    static Timing time(SqlWork w) throws Exception {
        long c0 = THREADS.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        w.run();
        long t1 = System.nanoTime();
        long c1 = THREADS.getCurrentThreadCpuTime();
        return new Timing((t1 - t0) / 1e6, (c1 - c0) / 1e6);
    }

    void run() throws Exception {
        if (String.valueOf(System.getProperty("ltx4j.bench.part")).startsWith("concurrent")) { // only that part
            new ConcurrentReads(out, work, concurrentFor).run();
            return;
        }
        out.printf("ltx4j bench reads: %d MB database, %d point reads, %d s concurrent (JDK %s)%n", mb, points,
                concurrentFor.toSeconds(), Runtime.version());
        Path source = work.resolve("reads.db");
        buildBlobTable(source, mb);
        String url = work.resolve("replica-reads").toUri().toString();
        importInto(source, url);
        long pages = Files.size(source) / 4096;

        out.println("\nWarm full scan, " + pages + " pages (lower is better; cache_size=0 everywhere)");
        Timing plainScan;
        try (Connection c = plain(source)) {
            scan(c); // OS page cache warm
            plainScan = best(3, () -> scan(c));
        }
        line("plain file", plainScan, plainScan);
        LitestreamVfs.Registration read = LitestreamVfs.builder().replica(url).cacheSize((long) (mb + 16) << 20)
                .pollInterval(Duration.ofSeconds(60)).register("bench-reads");
        Timing ourScan;
        long[] before;
        long[] after;
        try (Connection c = DriverManager.getConnection(read.jdbcUrl(work.resolve("reads-follower.db")))) {
            pragma(c, "PRAGMA cache_size=0");
            scan(c); // cold: fetches and verifies the snapshot
            scan(c);
            before = LitestreamVfs.nativeCounters();
            ourScan = best(3, () -> scan(c));
            after = LitestreamVfs.nativeCounters();
        }
        line("ltx4j read mode, warm", ourScan, plainScan);
        breakdown(url, pages, plainScan, ourScan, before, after);

        out.println("\nRandom point reads: " + points + " autocommit SELECTs by primary key (lower is better)");
        int rows = mb * 1024;
        Timing plainPoints;
        try (Connection c = plain(source)) {
            pointReads(c, rows, 1_000);
            plainPoints = best(3, () -> pointReads(c, rows, points));
        }
        line("plain file", plainPoints, plainPoints);
        try (Connection c = DriverManager.getConnection(read.jdbcUrl(work.resolve("reads-follower.db")))) {
            pragma(c, "PRAGMA cache_size=0");
            pointReads(c, rows, 1_000);
            Timing t = best(3, () -> pointReads(c, rows, points));
            line("ltx4j read mode", t, plainPoints);
            out.printf("  %-44s %8.2f us per read (plain %.2f us)%n", "", t.wallMs * 1000 / points,
                    plainPoints.wallMs * 1000 / points);
        }

        out.println("\nWrite mode: a connection scanning its own unsynced pages (sync interval 1h)");
        LitestreamVfs.Registration write = LitestreamVfs.builder().replica(work.resolve("replica-own").toUri().toString())
                .writeEnabled(true).durability(Durability.LOCAL).syncInterval(Duration.ofHours(1))
                .bufferPath(work.resolve("buffer-own")).register("bench-reads-own");
        try (Connection c = DriverManager.getConnection(write.jdbcUrl(work.resolve("own.db")))) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
                s.execute(blobInsert(mb));
            }
            pragma(c, "PRAGMA cache_size=0");
            scan(c);
            long[] b = LitestreamVfs.nativeCounters();
            Timing t = best(3, () -> scan(c));
            long[] a = LitestreamVfs.nativeCounters();
            line("ltx4j write mode, own unsynced pages", t, plainScan);
            out.printf("  %-44s %8.2f xRead and %.2f crossings per page%n", "", (a[0] - b[0]) / 3.0 / pages,
                    (a[2] - b[2]) / 3.0 / pages);
        }

        out.println("\nFour reader threads and one writer for " + concurrentFor.toSeconds() + " s (higher is better;"
                + " writer: autocommit UPDATEs, readers: autocommit point SELECTs)");
        new ConcurrentReads(out, work, concurrentFor).run();
    }

    private void breakdown(String url, long pages, Timing plain, Timing ours, long[] before, long[] after)
            throws Exception {
        double reads = (after[0] - before[0]) / 3.0;
        double crossings = (after[2] - before[2]) / 3.0;
        double engineNs = engineOnly(url);
        double preadNs = preadOnly(work.resolve("reads.db"));
        double plainNs = plain.cpuMs * 1e6 / pages;
        double oursNs = ours.cpuMs * 1e6 / pages;
        double sqliteNs = plainNs - preadNs;
        out.printf("  breakdown per page (CPU time of the scanning thread, %d pages):%n", pages);
        out.printf("    %-62s %7.0f ns%n", "plain file: SQLite + unix VFS", plainNs);
        out.printf("    %-62s %7.0f ns%n", "  pread of one page (Java FileChannel, OS cache warm)", preadNs);
        out.printf("    %-62s %7.0f ns%n", "  SQLite itself (the difference)", sqliteNs);
        out.printf("    %-62s %7.0f ns%n", "ltx4j read mode: SQLite + litestream VFS", oursNs);
        out.printf("    %-62s %7.0f ns%n", "  SQLite itself (as above)", sqliteNs);
        out.printf("    %-62s %7.0f ns%n", "  engine: pinned lookup + page cache + copy to a Java array", engineNs);
        out.printf("    %-62s %7.0f ns%n", "  JNI crossing + bridge + copy into SQLite (the rest)",
                oursNs - sqliteNs - engineNs);
        out.printf("    %-62s %7.2f xRead, %.2f crossings per page%n", "  calls", reads / pages, crossings / pages);
    }

    /** CPU ns per page of reading every page of the replica through a pinned read transaction, warm. */
    private static double engineOnly(String url) throws Exception {
        ReplicaClient client = ReplicaClients.open(url);
        try (Database db = Database.open(client, "engine-only", EngineOptions.builder().cacheBytes(256L << 20).build())) {
            byte[] page = new byte[65536];
            long n = 0;
            for (long done = 0; done < 400_000; done += Math.max(1, n)) { // until the JIT has compiled the path
                try (ReadTransaction t = db.beginRead()) {
                    n = t.sizeBytes() / t.pageSize();
                    for (long p = 0; p < n; p++) t.read(p * t.pageSize(), page, 0, t.pageSize());
                }
            }
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 5; round++) {
                long c0 = THREADS.getCurrentThreadCpuTime();
                try (ReadTransaction t = db.beginRead()) {
                    for (long p = 0; p < n; p++) t.read(p * t.pageSize(), page, 0, t.pageSize());
                }
                best = Math.min(best, THREADS.getCurrentThreadCpuTime() - c0);
            }
            return (double) best / n;
        }
    }

    /** CPU ns per page of reading every 4 KiB page of {@code db} with positional reads, warm, best of five passes. */
    private static double preadOnly(Path db) throws Exception {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(db)) {
            java.nio.ByteBuffer page = java.nio.ByteBuffer.allocateDirect(4096);
            long n = ch.size() / 4096;
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 8; round++) {
                long c0 = THREADS.getCurrentThreadCpuTime();
                for (long p = 0; p < n; p++) {
                    page.clear();
                    ch.read(page, p * 4096);
                }
                if (round >= 3) best = Math.min(best, THREADS.getCurrentThreadCpuTime() - c0);
            }
            return (double) best / n;
        }
    }

    /** The fastest of {@code n} runs by CPU time (with its wall time): the least disturbed one on a shared machine. */
    private static Timing best(int n, SqlWork w) throws Exception {
        Timing best = null;
        for (int i = 0; i < n; i++) {
            Timing t = time(w);
            if (best == null || t.cpuMs < best.cpuMs) best = t;
        }
        return best;
    }

    private void line(String what, Timing t, Timing baseline) {
        out.printf("  %-44s %s  %5.2fx of plain (cpu %5.2fx)%n", what, t, t.wallMs / baseline.wallMs,
                t.cpuMs / baseline.cpuMs);
    }

    /** {@code t(id INTEGER PRIMARY KEY, v BLOB)} with {@code mb * 1024} rows of 1000 random bytes. */
    static String blobInsert(int mb) {
        return "INSERT INTO t(v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                + mb * 1024 + ") SELECT randomblob(1000) FROM n";
    }

    private static void buildBlobTable(Path db, int mb) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)");
            s.execute(blobInsert(mb));
        }
    }

    private void importInto(Path db, String url) throws Exception {
        int rc = new picocli.CommandLine(new Main()).setOut(new PrintWriter(PrintWriter.nullWriter()))
                .setErr(out).execute("import", db.toString(), url);
        if (rc != 0) throw new java.io.IOException("import of " + db + " into " + url + " failed");
    }

    static Connection plain(Path db) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        pragma(c, "PRAGMA cache_size=0");
        return c;
    }

    static void pragma(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static void scan(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(SCAN)) {
            if (!r.next() || r.getLong(1) == 0) throw new SQLException("scan found no rows");
        }
    }

    private static void pointReads(Connection c, int rows, int n) throws SQLException {
        SplittableRandom random = new SplittableRandom(42);
        try (PreparedStatement p = c.prepareStatement("SELECT length(v) FROM t WHERE id = ?")) {
            for (int i = 0; i < n; i++) {
                p.setInt(1, 1 + random.nextInt(rows));
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) throw new SQLException("point read found no row");
                }
            }
        }
    }

    /** Four readers and one writer on one database, for a fixed time: reads/s, commits/s, reader errors. */
    static final class ConcurrentReads {
        private static final int ROWS = 10_000;
        private final PrintWriter out;
        private final Path work;
        private final Duration duration;

        ConcurrentReads(PrintWriter out, Path work, Duration duration) {
            this.out = out;
            this.work = work;
            this.duration = duration;
        }

        void run() throws Exception {
            String part = String.valueOf(System.getProperty("ltx4j.bench.part")); // concurrent-ltx4j: ours only
            if (!part.equals("concurrent-ltx4j")) {
                measure("plain file, WAL, synchronous=FULL", () -> plainUrl("conc-wal.db"), "WAL");
                measure("plain file, rollback journal (DELETE)", () -> plainUrl("conc-delete.db"), "DELETE");
            }
            LitestreamVfs.Registration vfs = LitestreamVfs.builder()
                    .replica(work.resolve("replica-conc").toUri().toString()).writeEnabled(true)
                    .durability(Durability.LOCAL).syncInterval(Duration.ofSeconds(1))
                    .bufferPath(work.resolve("buffer-conc")).register("bench-conc");
            measure("ltx4j write mode, durability local", () -> vfs.jdbcUrl(work.resolve("conc.db")), null);
        }

        interface Url {
            String get() throws Exception;
        }

        private String plainUrl(String name) {
            return "jdbc:sqlite:" + work.resolve(name);
        }

        private void measure(String name, Url url, String journal) throws Exception {
            String u = url.get();
            try (Connection c = DriverManager.getConnection(u)) {
                if (journal != null) pragma(c, "PRAGMA journal_mode=" + journal);
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)");
                    s.execute("INSERT INTO kv(k, v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                            + " WHERE i < " + ROWS + ") SELECT i, printf('%0100d', i) FROM n");
                }
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong reads = new AtomicLong();
            AtomicLong commits = new AtomicLong();
            AtomicLong readErrors = new AtomicLong();
            AtomicLong writeErrors = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                boolean writer = i == 0;
                int seed = i;
                threads.add(new Thread(() -> {
                    try (Connection c = DriverManager.getConnection(u)) {
                        pragma(c, "PRAGMA busy_timeout=10000");
                        if (journal != null) pragma(c, "PRAGMA synchronous=FULL");
                        SplittableRandom r = new SplittableRandom(seed);
                        String sql = writer ? "UPDATE kv SET v = ? WHERE k = ?" : "SELECT v FROM kv WHERE k = ?";
                        try (PreparedStatement p = c.prepareStatement(sql)) {
                            while (!stop.get()) {
                                try {
                                    if (writer) {
                                        p.setString(1, "value " + r.nextLong());
                                        p.setInt(2, 1 + r.nextInt(ROWS));
                                        p.executeUpdate();
                                        commits.incrementAndGet();
                                    } else {
                                        p.setInt(1, 1 + r.nextInt(ROWS));
                                        try (ResultSet rs = p.executeQuery()) {
                                            if (!rs.next()) throw new SQLException("row missing");
                                        }
                                        reads.incrementAndGet();
                                    }
                                } catch (SQLException e) {
                                    (writer ? writeErrors : readErrors).incrementAndGet();
                                }
                            }
                        }
                    } catch (Throwable t) {
                        synchronized (failures) {
                            failures.add(t);
                        }
                    }
                }, "bench-" + (writer ? "writer" : "reader-" + i)));
            }
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            threads.forEach(Thread::start);
            // Warm-up, not counted: on a loaded 2-core machine the JIT compiling the path takes seconds of its own.
            Thread.sleep(duration.toMillis() / 2);
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            long r0 = reads.get();
            long c0 = commits.get();
            long[] n0 = journal == null ? LitestreamVfs.nativeCounters() : null;
            Thread.sleep(duration.toMillis());
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            long r = reads.get() - r0;
            long c = commits.get() - c0;
            long[] n1 = journal == null ? LitestreamVfs.nativeCounters() : null;
            stop.set(true);
            for (Thread t : threads) t.join();
            if (!failures.isEmpty()) throw new IllegalStateException(name + ": " + failures.get(0), failures.get(0));
            out.printf("  %-40s %9.0f reads/s %7.0f commits/s  errors: %d reads, %d writes  (process cpu %.1f s;"
                    + " %.0f reads per cpu-s)%n", name, r / secs, c / secs, readErrors.get(), writeErrors.get(), cpu,
                    r / cpu);
            if (n0 != null && n1.length >= 7) { // where the pages SQLite read again after a commit came from
                out.printf("    per commit: %.1f Java crossings, %.1f page reads from Java, %.1f from the native page"
                        + " view (%d fills)%n", (n1[2] - n0[2]) / (double) Math.max(1, c),
                        (n1[0] - n0[0]) / (double) Math.max(1, c), (n1[4] - n0[4]) / (double) Math.max(1, c),
                        n1[6] - n0[6]);
            }
        }
    }
}
