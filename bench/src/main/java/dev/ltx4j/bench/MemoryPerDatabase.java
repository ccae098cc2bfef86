package dev.ltx4j.bench;

import dev.ltx4j.vfs.LitestreamVfs;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Memory per open write-mode database: N databases through one VFS registration (replica_url and buffer_path per
 * database in the JDBC URL, as a fleet does), each with a table, one commit, one sync and one commit pending (what a
 * database holds between syncs; the table's creation is a commit too). The databases and the registration are closed
 * and the temporary directory deleted at the end. Direct: the JVM's "direct" buffer pool; heap: used after repeated full GCs. Both
 * measured against a baseline taken after one warm-up database was opened, used, synced and closed (classes, the
 * process-wide DirectBufferPool's idle buffers).
 * Run in a fresh JVM per count, e.g. (the source form also runs against an older build's cli jar):
 *
 * <pre>
 * java -XX:MaxDirectMemorySize=2g -cp bench/target/benchmarks.jar dev.ltx4j.bench.MemoryPerDatabase 100 /tmp
 * java -XX:MaxDirectMemorySize=2g -cp cli/target/ltx4j-cli.jar bench/src/main/java/dev/ltx4j/bench/MemoryPerDatabase.java 100 /tmp
 * </pre>
 */
public final class MemoryPerDatabase {
    private MemoryPerDatabase() {}

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args.length > 0 ? args[0] : "100");
        Path root = Files.createTempDirectory(Path.of(args.length > 1 ? args[1] : System.getProperty("java.io.tmpdir")),
                "ltx4j-memory");
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).register("ltx4j-memory");
        try (Connection w = open(vfs, root, "warm")) {
            use(w);
        }
        long[] before = measure();
        List<Connection> cs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Connection c = open(vfs, root, "d" + i);
            use(c);
            cs.add(c);
        }
        long[] after = measure();
        System.out.printf("databases %d direct/db %d heap/db %d total/db %d (direct %d -> %d, heap %d -> %d)%n", n,
                (after[0] - before[0]) / n, (after[1] - before[1]) / n,
                (after[0] - before[0] + after[1] - before[1]) / n, before[0], after[0], before[1], after[1]);
        for (Connection c : cs) {
            c.close();
        }
        vfs.unregister();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(f);
            }
        }
    }

    private static Connection open(LitestreamVfs.Registration vfs, Path root, String name) throws Exception {
        return DriverManager.getConnection(vfs.jdbcUrl(root.resolve(name + ".db"), Map.of(
                "replica_url", root.resolve(name + "-replica").toUri().toString(),
                "buffer_path", root.resolve(name + ".buffer").toString())));
    }

    private static void use(Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
            s.execute("INSERT INTO t(v) VALUES ('first')");
            s.execute("SELECT litestream_sync()");
            s.execute("INSERT INTO t(v) VALUES ('pending')");
        }
    }

    private static long[] measure() throws InterruptedException {
        long direct = 0;
        long heap = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(200);
            heap = Math.min(heap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        for (BufferPoolMXBean p : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (p.getName().equals("direct")) {
                direct = p.getMemoryUsed();
            }
        }
        return new long[] {direct, heap};
    }
}
