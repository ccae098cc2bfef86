package dev.ltx4j.bench;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.syncer.SyncOutcome;
import dev.ltx4j.syncer.WriteSession;
import dev.ltx4j.replica.file.FileReplicaClient;
import dev.ltx4j.vfs.LitestreamVfs;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reads of pages that are committed but still only in the write buffer (compressed 'Z' records since session 10:
 * each read decompresses the record and checks its page CRC-64), against the same reads after a sync put the pages
 * into the engine's page cache, and against plain SQLite (docs/local-reads.md).
 *
 * <ul>
 *   <li>{@code enginePages}: the engine's page read API directly: one read transaction reads the {@value #HOT} hot
 *       pages (40% random bytes, as in {@link SyncBenchmark}) in a shuffled order. {@code state=unsynced}: committed,
 *       sync interval of an hour; {@code synced}: the same pages after a sync (served by the page cache).
 *   <li>{@code enginePagesAfterSync}: the same read transaction right after a commit of one page and a sync (not
 *       counted): the first reads after a sync, which a sync interval of a second makes common.
 *   <li>{@code jdbcReadModifyWrite}: what a user of sqlite-jdbc meets: two connections of one write-mode database
 *       (sync interval one hour, durability local) take turns running {@code BEGIN IMMEDIATE}, then {@value
 *       #RMW_ROWS} times {@code SELECT v FROM kv WHERE k = ?; UPDATE kv SET v = ? WHERE k = ?} on a random row among
 *       the 5,000 last inserted, then {@code COMMIT}. Each transaction follows the other connection's commit, so
 *       SQLite drops its page cache and reads page 1 and the B-tree paths again; the native page view serves them
 *       (SQLite writes its dirty pages only at COMMIT), without it they reach the engine. The read counters cover the
 *       transaction up to (not including) its {@code COMMIT}. {@code state=synced} syncs after each commit
 *       ({@code litestream_sync()}, not counted); {@code plain} is a plain SQLite file (rollback journal).
 * </ul>
 *
 * The counters {@code readCpuNanos}/{@code reads} are the calling thread's CPU of the reading part alone (for JDBC:
 * {@code BEGIN IMMEDIATE} and the {@code SELECT}); {@code javaReads} the page reads that crossed into Java.
 * Run: {@code java -jar bench/target/benchmarks.jar LocalReadBenchmark -f 1 -wi 2 -i 3 -r 2s -w 2s}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class LocalReadBenchmark {
    static final int PAGE_SIZE = 4096;
    static final int HOT = 256;
    static final int ROWS = 20_000;
    static final int RECENT = 5_000;
    static final int POINTS = 8;
    static final int RMW_ROWS = 4;

    static Path newDir(String prefix) throws IOException {
        return ScratchDirs.create(prefix);
    }

    static void delete(Path dir) throws IOException {
        ScratchDirs.delete(dir);
    }

    /** CPU of the reading part alone, summed per iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class ReadCpu {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        public long readCpuNanos;
        public long reads;
        public long javaReads;
        private long start;
        private long startJava;

        @Setup(Level.Iteration)
        public void clear() {
            readCpuNanos = 0;
            reads = 0;
            javaReads = 0;
        }

        void begin() {
            startJava = LitestreamVfs.nativeCounters()[0];
            start = THREADS.getCurrentThreadCpuTime();
        }

        void end(int n) {
            readCpuNanos += THREADS.getCurrentThreadCpuTime() - start;
            javaReads += LitestreamVfs.nativeCounters()[0] - startJava;
            reads += n;
        }
    }

    /** A write-mode engine over a file replica holding {@value #HOT} committed pages. */
    @State(Scope.Benchmark)
    public static class Engine {
        @Param({"unsynced", "synced"})
        public String state;
        Path dir;
        FileReplicaClient replica;
        Database db;
        long[] order;
        long round;

        @Setup(Level.Trial)
        public void open() throws IOException {
            NativeCrc.use();
            dir = newDir("ltx4j-local-read");
            replica = new FileReplicaClient(dir.resolve("replica"));
            db = Database.open(replica, "bench.db", EngineOptions.builder().writeEnabled(true)
                    .durability(Durability.LOCAL).bufferPath(dir.resolve("bench.buffer"))
                    .conflictDirectory(dir.resolve("conflicts")).seed(1).build());
            byte[][] pages = SyncBenchmark.pages(7);
            try (WriteSession s = db.beginWrite()) {
                for (int i = 0; i < HOT; i++) {
                    s.write((long) i * PAGE_SIZE, pages[i], 0, PAGE_SIZE);
                }
                s.commit();
            }
            if (state.equals("synced")) {
                SyncOutcome o = db.syncOnce(Instant.now());
                if (o.status() != SyncOutcome.Status.SYNCED) {
                    throw new IllegalStateException("sync did not complete: " + o, o.error());
                }
            }
            SplittableRandom r = new SplittableRandom(3);
            order = new long[HOT];
            for (int i = 0; i < HOT; i++) {
                order[i] = i;
            }
            for (int i = HOT - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                long t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            db.close();
            replica.close();
            delete(dir);
        }
    }

    @Benchmark
    @OperationsPerInvocation(HOT)
    public long enginePages(Engine e, ReadCpu cpu) throws IOException {
        byte[] page = new byte[PAGE_SIZE];
        long sum = 0;
        cpu.begin();
        try (ReadTransaction t = e.db.beginRead()) {
            for (long p : e.order) {
                t.read(p * PAGE_SIZE, page, 0, PAGE_SIZE);
                sum += page[100];
            }
        }
        cpu.end(HOT);
        return sum;
    }

    /**
     * The reads right after a sync: one page of the hot set is committed again and synced (not counted), then the
     * {@value #HOT} pages are read as in {@link #enginePages} (use with {@code state=synced}).
     */
    @Benchmark
    @OperationsPerInvocation(HOT)
    public long enginePagesAfterSync(Engine e, ReadCpu cpu) throws IOException {
        byte[] page = new byte[PAGE_SIZE];
        try (WriteSession s = e.db.beginWrite()) {
            page[0] = (byte) e.round++;
            s.write(0, page, 0, PAGE_SIZE);
            s.commit();
        }
        SyncOutcome o = e.db.syncOnce(Instant.now());
        if (o.status() != SyncOutcome.Status.SYNCED) {
            throw new IllegalStateException("sync did not complete: " + o, o.error());
        }
        long sum = 0;
        cpu.begin();
        try (ReadTransaction t = e.db.beginRead()) {
            for (long p : e.order) {
                t.read(p * PAGE_SIZE, page, 0, PAGE_SIZE);
                sum += page[100];
            }
        }
        cpu.end(HOT);
        return sum;
    }

    /** Two connections of one database taking turns; {@code plain}: a plain SQLite file. */
    @State(Scope.Benchmark)
    public static class Jdbc {
        @Param({"unsynced", "synced", "plain"})
        public String state;
        Path dir;
        String vfs;
        Connection[] connections = new Connection[2];
        PreparedStatement[] selects = new PreparedStatement[2];
        PreparedStatement[] updates = new PreparedStatement[2];
        Statement[] statements = new Statement[2];
        SplittableRandom random = new SplittableRandom(11);
        long turn;

        @Setup(Level.Trial)
        public void open() throws Exception {
            NativeCrc.use();
            dir = newDir("ltx4j-local-read-jdbc");
            String url;
            if (state.equals("plain")) {
                url = "jdbc:sqlite:" + dir.resolve("plain.db");
            } else {
                vfs = "bench-local-read-" + System.nanoTime();
                url = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString()).writeEnabled(true)
                        .durability(Durability.LOCAL).syncInterval(Duration.ofHours(1))
                        .bufferPath(dir.resolve("buffer")).register(vfs).jdbcUrl(dir.resolve("bench.db"));
            }
            for (int i = 0; i < 2; i++) {
                connections[i] = DriverManager.getConnection(url);
                statements[i] = connections[i].createStatement();
                statements[i].execute("PRAGMA busy_timeout=10000");
            }
            statements[0].execute("CREATE TABLE kv(k INTEGER PRIMARY KEY, v TEXT)");
            statements[0].execute("INSERT INTO kv(k, v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
                    + " FROM n WHERE i < " + ROWS + ") SELECT i, printf('%0100d', i) FROM n");
            for (int i = 0; i < 2; i++) {
                selects[i] = connections[i].prepareStatement("SELECT v FROM kv WHERE k = ?");
                updates[i] = connections[i].prepareStatement("UPDATE kv SET v = ? WHERE k = ?");
            }
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            for (int i = 0; i < 2; i++) {
                connections[i].close();
            }
            if (vfs != null) {
                LitestreamVfs.unregister(vfs);
            }
            delete(dir);
        }
    }

    @Benchmark
    public String jdbcReadModifyWrite(Jdbc j, ReadCpu cpu) throws SQLException {
        int c = (int) (j.turn++ & 1);
        String v = null;
        cpu.begin();
        j.statements[c].execute("BEGIN IMMEDIATE");
        for (int i = 0; i < RMW_ROWS; i++) {
            long k = ROWS - j.random.nextInt(RECENT);
            j.selects[c].setLong(1, k);
            try (ResultSet r = j.selects[c].executeQuery()) {
                if (!r.next()) {
                    throw new SQLException("row " + k + " missing");
                }
                v = r.getString(1);
            }
            j.updates[c].setString(1, v.substring(1) + (char) ('a' + (j.turn % 26)));
            j.updates[c].setLong(2, k);
            j.updates[c].executeUpdate();
        }
        cpu.end(1);
        j.statements[c].execute("COMMIT");
        if (j.state.equals("synced")) {
            try (ResultSet r = j.statements[c].executeQuery("SELECT litestream_sync()")) {
                r.next();
            }
        }
        return v;
    }

    /**
     * A reader beside a writer: connection 0 commits one UPDATE of a recent row (not in the read counters), then
     * connection 1 runs {@value #POINTS} autocommit point SELECTs of recent rows (each its own read transaction).
     */
    @Benchmark
    public long jdbcReadsAfterCommit(Jdbc j, ReadCpu cpu) throws SQLException {
        long k = ROWS - j.random.nextInt(RECENT);
        j.updates[0].setString(1, String.format("%0100d", j.turn++));
        j.updates[0].setLong(2, k);
        j.updates[0].executeUpdate();
        if (j.state.equals("synced")) {
            try (ResultSet r = j.statements[0].executeQuery("SELECT litestream_sync()")) {
                r.next();
            }
        }
        long sum = 0;
        cpu.begin();
        for (int i = 0; i < POINTS; i++) {
            j.selects[1].setLong(1, i == 0 ? k : ROWS - j.random.nextInt(RECENT));
            try (ResultSet r = j.selects[1].executeQuery()) {
                if (!r.next()) {
                    throw new SQLException("row missing");
                }
                sum += r.getString(1).length();
            }
        }
        cpu.end(POINTS);
        return sum;
    }
}
