package dev.ltx4j.cli;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.storage.FileLogStorage;
import dev.ltx4j.vfs.LitestreamVfs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The JDBC commit part of {@code ltx4j bench vfs}: autocommit single-row INSERTs, every variant on its own open
 * database, measured in alternating rounds (variant A, B, C, ... then again) after an untimed warm-up of each, so
 * JIT warm-up and load swings hit every variant alike. Reports per variant the median and range of commits/s and
 * of the per-round ratio to plain WAL/FULL, and for ltx4j the fsyncs and Java crossings per commit.
 */
final class CommitBench {
    /**
     * One database the rounds insert into: one connection, or several threads with one connection each; or, with
     * {@code floor} set, no database at all: the bare write+fdatasync floor (see {@link Floor}).
     */
    private record Variant(String name, List<Connection> connections, boolean ours, Floor floor) {
        Variant(String name, List<Connection> connections, boolean ours) {
            this(name, connections, ours, null);
        }
    }

    /**
     * The physical floor of a durable commit on this disk, measured in the same rounds: one positional write of
     * {@link #BYTES} (what a one-row autocommit INSERT appends to the write buffer's log: two page records and a
     * commit record) and one {@code fdatasync}, into a file preallocated with written zeros as the log is. Neither
     * SQLite nor the engine can commit durably for less; the gap between a variant and this row is what its own
     * code and extra I/O cost.
     */
    private static final class Floor implements AutoCloseable {
        static final int BYTES = 2 * (12 + 4096) + 40;
        private static final long SPAN = 8L * 1024 * 1024; // written once; the rounds cycle through it
        private final FileChannel channel;
        private final ByteBuffer record = ByteBuffer.allocateDirect(BYTES);
        private long position;

        Floor(Path file) throws IOException {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            for (long at = 0; at < SPAN; at += zeros.capacity()) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    channel.write(zeros, at + zeros.position());
                }
            }
            channel.force(false);
            while (record.hasRemaining()) {
                record.put((byte) 'x');
            }
        }

        void commit() throws IOException {
            if (position + BYTES > SPAN) {
                position = 0; // stays inside the preallocated zeros, as most of the log's commits do
            }
            record.clear();
            while (record.hasRemaining()) {
                position += channel.write(record, position);
            }
            channel.force(false);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private final PrintWriter out;
    private final Path work;
    private final int perRound;
    private final int rounds;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** CPU time of the inserting threads themselves (the commits), apart from the background sync and the JVM's. */
    private static final AtomicLong COMMIT_THREAD_CPU = new AtomicLong();
    /** Heap bytes the inserting threads allocated (the engine's per-commit garbage beside sqlite-jdbc's own). */
    private static final AtomicLong COMMIT_THREAD_ALLOC = new AtomicLong();
    /** Per variant and round: the inserting threads' heap bytes allocated. */
    private final Map<Variant, long[]> threadAlloc = new LinkedHashMap<>();

    /** Base URL of the ltx4j variants' replicas, or null for file replicas in the work directory. */
    private final String replica;

    CommitBench(PrintWriter out, Path work, int perRound, int rounds, String replica) {
        this.replica = replica;
        this.out = out;
        this.work = work;
        this.perRound = perRound;
        this.rounds = rounds;
    }

    void run() throws Exception {
        List<Variant> variants = new ArrayList<>();
        try {
            variants.add(plain("plain file, WAL, synchronous=FULL", "FULL", 1));
            variants.add(plain("plain file, WAL, synchronous=OFF", "OFF", 1));
            variants.add(ours("ltx4j write mode, durability local", "local", Durability.LOCAL, "FULL", 1));
            variants.add(ours("ltx4j write mode, durability none", "none", Durability.NONE, "FULL", 1));
            variants.add(ours("ltx4j durability local, synchronous=OFF", "localoff", Durability.LOCAL, "OFF", 1));
            variants.add(plain("4 threads: plain WAL, synchronous=FULL", "FULL", 4));
            variants.add(ours("4 threads: ltx4j durability local", "local4", Durability.LOCAL, "FULL", 4));
            Floor floor = new Floor(work.resolve("floor.bin"));
            toClose.add(floor);
            variants.add(new Variant("floor: " + Floor.BYTES + " B pwrite + fdatasync", List.of(), false, floor));
            for (Variant v : variants) {
                round(v, Math.max(perRound / 2, 50)); // warm-up, untimed: JIT, page cache, first sync
            }
            Map<Variant, double[]> rates = new LinkedHashMap<>();
            Map<Variant, long[]> fsyncs = new LinkedHashMap<>();
            Map<Variant, long[]> crossings = new LinkedHashMap<>();
            Map<Variant, long[]> cpu = new LinkedHashMap<>();
            Map<Variant, long[]> waits = new LinkedHashMap<>();
            Map<Variant, long[]> threadCpu = new LinkedHashMap<>();
            Map<Variant, long[]> readWrites = new LinkedHashMap<>(); // [xRead crossings, xWrite crossings]
            Map<Variant, long[]> retries = new LinkedHashMap<>();
            Map<Variant, long[]> lockStats = new LinkedHashMap<>(); // native counters 8-15, summed over the rounds
            for (Variant v : variants) {
                retries.put(v, new long[rounds]);
                lockStats.put(v, new long[LOCK_STATS]);
                readWrites.put(v, new long[2]);
                rates.put(v, new double[rounds]);
                fsyncs.put(v, new long[rounds]);
                crossings.put(v, new long[rounds]);
                cpu.put(v, new long[rounds]);
                waits.put(v, new long[rounds]);
                threadCpu.put(v, new long[rounds]);
                threadAlloc.put(v, new long[rounds]);
            }
            for (int r = 0; r < rounds; r++) {
                for (Variant v : variants) {
                    long f0 = FileLogStorage.fsyncCount();
                    long c0 = nativeCounter(2);
                    long w0 = nativeCounter(3);
                    long i0 = nativeCounter(7);
                    long[] l0 = lockCounters();
                    long r0 = nativeCounter(0);
                    long x0 = nativeCounter(1);
                    long cpu0 = processCpuNanos();
                    long tc0 = COMMIT_THREAD_CPU.get();
                    long ta0 = COMMIT_THREAD_ALLOC.get();
                    rates.get(v)[r] = round(v, perRound);
                    cpu.get(v)[r] = processCpuNanos() - cpu0;
                    threadCpu.get(v)[r] = COMMIT_THREAD_CPU.get() - tc0;
                    threadAlloc.get(v)[r] = COMMIT_THREAD_ALLOC.get() - ta0;
                    fsyncs.get(v)[r] = FileLogStorage.fsyncCount() - f0;
                    crossings.get(v)[r] = nativeCounter(2) - c0;
                    waits.get(v)[r] = nativeCounter(3) - w0;
                    retries.get(v)[r] = nativeCounter(7) - i0;
                    long[] l1 = lockCounters();
                    for (int k = 0; k < LOCK_STATS; k++) {
                        lockStats.get(v)[k] += l1[k] - l0[k];
                    }
                    readWrites.get(v)[0] += nativeCounter(0) - r0;
                    readWrites.get(v)[1] += nativeCounter(1) - x0;
                }
            }
            report(variants, rates, fsyncs, crossings, cpu, waits, threadCpu, readWrites, retries, lockStats);
        } finally {
            for (int i = toClose.size() - 1; i >= 0; i--) {
                toClose.get(i).close();
            }
        }
    }

    private void report(List<Variant> variants, Map<Variant, double[]> rates, Map<Variant, long[]> fsyncs,
            Map<Variant, long[]> crossings, Map<Variant, long[]> cpu, Map<Variant, long[]> waits,
            Map<Variant, long[]> threadCpu, Map<Variant, long[]> readWrites, Map<Variant, long[]> retries,
            Map<Variant, long[]> lockStats) {
        out.printf("  %d alternating rounds of %d commits per variant; median (range) of commits/s and of the ratio of"
                + " time per commit to plain WAL/FULL in the same round (single-thread variants to 1 thread, 4-thread"
                + " variants to 4 threads)%n", rounds, perRound);
        double[] base1 = rates.get(variants.get(0));
        double[] base4 = rates.get(variants.get(5));
        for (Variant v : variants) {
            double[] rate = rates.get(v);
            double[] base = v.connections().size() > 1 ? base4 : base1; // the floor compares with 1 thread
            double[] ratio = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratio[r] = base[r] / rate[r];
            }
            double[] cpuPerCommit = Arrays.stream(cpu.get(v)).mapToDouble(n -> n / 1e3 / perRound).toArray();
            double[] threadPerCommit = Arrays.stream(threadCpu.get(v)).mapToDouble(n -> n / 1e3 / perRound).toArray();
            String counts = String.format("   CPU %.0f us/commit (%.0f-%.0f), of it committing threads %.0f (%.0f-%.0f)",
                    median(cpuPerCommit), min(cpuPerCommit), max(cpuPerCommit), median(threadPerCommit),
                    min(threadPerCommit), max(threadPerCommit));
            if (!v.connections().isEmpty()) {
                counts += String.format(", heap %.1f kB/commit",
                        Arrays.stream(threadAlloc.get(v)).sum() / 1e3 / ((double) perRound * rounds));
            }
            if (v.ours()) {
                double commits = (double) perRound * rounds;
                double all = Arrays.stream(crossings.get(v)).sum() / commits;
                double reads = readWrites.get(v)[0] / commits;
                double writes = readWrites.get(v)[1] / commits;
                counts += String.format(", fsyncs/commit %.3f, crossings/commit %.2f (xRead %.2f, xWrite %.2f,"
                        + " locks/sync/commit/size %.2f)", Arrays.stream(fsyncs.get(v)).sum() / commits, all, reads,
                        writes, all - reads - writes);
                if (v.connections().size() > 1) {
                    long[] l = lockStats.get(v);
                    counts += String.format(", hand-over waits/commit %.2f, immediate retries/commit %.2f"
                            + " (stale refusals %.2f, %.1f us each under the lock), write lock held %.0f us and free while"
                            + " wanted %.0f us per commit, taken again by its last holder %.0f%% of the times, busy-handler"
                            + " sleeps/commit %.3f (%.0f us)",
                            Arrays.stream(waits.get(v)).sum() / commits, Arrays.stream(retries.get(v)).sum() / commits,
                            l[6] / commits, l[6] == 0 ? 0 : l[7] / 1e3 / l[6], l[2] / 1e3 / commits, l[3] / 1e3 / commits,
                            l[0] == 0 ? 0 : 100.0 * l[1] / l[0], l[4] / commits, l[5] / commits);
                }
            }
            out.printf("  %-40s %7.0f /s (%.0f-%.0f)   %5.2fx (%.2f-%.2f)%s%n", v.name(), median(rate), min(rate),
                    max(rate), median(ratio), min(ratio), max(ratio), counts);
        }
        out.println("  (CPU: of the whole process, all threads, including the background sync and the JVM's own threads;"
                + " committing threads: the inserting threads alone; fsyncs: every fsync of the"
                + " write buffer's files and directories, also the sync rounds' rewrites; crossings: C-to-Java calls of"
                + " the VFS, all connections; hand-over waits: a writer waiting for another connection of the process to"
                + " let go of the write lock instead of SQLite's sleeping busy handler; immediate retries: busy-handler sleeps"
                + " skipped after a stale-snapshot refusal, the lock being free; write lock: RESERVED in the lock table, held"
                + " from grant to release, free from a release while a writer waited to the next grant)");
    }

    private Variant plain(String name, String synchronous, int threads) throws SQLException {
        Path db = work.resolve("plain-" + synchronous.toLowerCase() + "-" + threads + ".db");
        List<Connection> cs = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
            toClose.add(c);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout=10000");
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=" + synchronous);
                if (i == 0) s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            }
            cs.add(c);
        }
        return new Variant(name, cs, false);
    }

    private Variant ours(String name, String tag, Durability durability, String synchronous, int threads)
            throws Exception {
        String url = replica == null ? work.resolve("replica-" + tag).toUri().toString() : withPath(replica, tag);
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url)
                .writeEnabled(true).durability(durability).syncInterval(Duration.ofSeconds(1))
                .bufferPath(work.resolve("buffer-" + tag)).register("bench-" + tag);
        List<Connection> cs = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Connection c = DriverManager.getConnection(vfs.jdbcUrl(work.resolve("vfs-" + tag + ".db")));
            toClose.add(c);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout=10000");
                s.execute("PRAGMA synchronous=" + synchronous);
                if (i == 0) s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            }
            cs.add(c);
        }
        return new Variant(name, cs, true);
    }

    /** {@code base} with {@code /tag} appended to its path (before any query). */
    static String withPath(String base, String tag) {
        int q = base.indexOf('?');
        String path = q < 0 ? base : base.substring(0, q);
        String query = q < 0 ? "" : base.substring(q);
        return (path.endsWith("/") ? path : path + "/") + tag + query;
    }

    /** Commits per second of {@code n} autocommit inserts, spread over the variant's connections (one thread each). */
    private static double round(Variant v, int n) throws Exception {
        List<Connection> cs = v.connections();
        if (v.floor() != null) {
            long cpu0 = THREADS.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                v.floor().commit();
            }
            double rate = n / ((System.nanoTime() - t0) / 1e9);
            COMMIT_THREAD_CPU.addAndGet(THREADS.getCurrentThreadCpuTime() - cpu0);
            return rate;
        }
        if (cs.size() == 1) {
            long t0 = System.nanoTime();
            insert(cs.get(0), n, 0);
            return n / ((System.nanoTime() - t0) / 1e9);
        }
        ExecutorService pool = Executors.newFixedThreadPool(cs.size());
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> fs = new ArrayList<>();
            int each = n / cs.size();
            for (int i = 0; i < cs.size(); i++) {
                Connection c = cs.get(i);
                int thread = i;
                fs.add(pool.submit(() -> {
                    start.await();
                    insert(c, each, thread);
                    return null;
                }));
            }
            long t0 = System.nanoTime();
            start.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
            return each * cs.size() / ((System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void insert(Connection c, int n, int thread) throws SQLException {
        long alloc0 = allocatedBytes();
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        try (PreparedStatement p = c.prepareStatement("INSERT INTO t(v) VALUES (?)")) {
            for (int i = 0; i < n; i++) {
                p.setString(1, "row " + i + " of thread " + thread + " of the benchmark");
                p.executeUpdate();
            }
        } finally {
            COMMIT_THREAD_CPU.addAndGet(THREADS.getCurrentThreadCpuTime() - cpu0);
            COMMIT_THREAD_ALLOC.addAndGet(allocatedBytes() - alloc0);
        }
    }

    /** Heap bytes the current thread allocated so far (0 where the JVM does not count them). */
    private static long allocatedBytes() {
        return THREADS instanceof com.sun.management.ThreadMXBean t ? t.getCurrentThreadAllocatedBytes() : 0;
    }

    /** Native counters 8-15: lock grants, grants to the previous holder, ns held, ns free while wanted, busy-handler
     * sleeps, us asked, stale refusals, ns of their crossings (litestreamvfs.c, n_counters). */
    private static final int LOCK_STATS = 8;

    private static long[] lockCounters() {
        long[] l = new long[LOCK_STATS];
        for (int k = 0; k < LOCK_STATS; k++) {
            l[k] = nativeCounter(8 + k);
        }
        return l;
    }

    /**
     * One of the VFS's native counters so far (2: C-to-Java crossings, 3: write-lock hand-over waits; internal
     * counters, read reflectively: the CLI runs on the class path).
     */
    private static long nativeCounter(int which) {
        try {
            Object c = Class.forName("dev.ltx4j.vfs.internal.NativeBridge").getMethod("counters").invoke(null);
            long[] counters = (long[]) c;
            return which < counters.length ? counters[which] : 0;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return 0;
        }
    }

    /** CPU time of the whole process (all threads), or 0 where the JVM does not report it. */
    private static long processCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] xs) {
        return Arrays.stream(xs).min().orElse(Double.NaN);
    }

    private static double max(double[] xs) {
        return Arrays.stream(xs).max().orElse(Double.NaN);
    }
}
