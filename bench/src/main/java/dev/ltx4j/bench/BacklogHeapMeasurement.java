package dev.ltx4j.bench;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.file.FileReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.SyncFailedException;
import dev.ltx4j.syncer.WriteSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Heap held by a write-mode database as its unsynced backlog grows: commits {@code <megabytes>} of 4 KiB pages
 * (transactions of 256 distinct pages, no sync), then reports used heap after full GCs with the database still
 * open. Run once per size in a fresh JVM and compare, e.g.:
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.ltx4j.bench.BacklogHeapMeasurement 2
 * java -cp bench/target/benchmarks.jar dev.ltx4j.bench.BacklogHeapMeasurement 200
 * </pre>
 */
public final class BacklogHeapMeasurement {
    private BacklogHeapMeasurement() {}

    public static void main(String[] args) throws Exception {
        int megabytes = Integer.parseInt(args.length > 0 ? args[0] : "200");
        int pageSize = 4096;
        long pages = (long) megabytes * (1 << 20) / pageSize;
        Path dir = Files.createTempDirectory("ltx4j-heap");
        long baseline = usedAfterGc();
        try (FileReplicaClient replica = new FileReplicaClient(dir.resolve("replica"));
                Database db = Database.open(replica, "heap.db", EngineOptions.builder()
                        .writeEnabled(true)
                        .durability(Durability.NONE)
                        .bufferPath(dir.resolve("heap.buffer"))
                        .conflictDirectory(dir.resolve("conflicts"))
                        .syncInterval(Duration.ofDays(1))
                        .closeTimeout(Duration.ofMillis(1))
                        .seed(1)
                        .build())) {
            SplittableRandom random = new SplittableRandom(5);
            byte[] page = new byte[pageSize];
            long written = 0;
            while (written < pages) {
                try (WriteSession s = db.beginWrite()) {
                    for (int i = 0; i < 256 && written < pages; i++, written++) {
                        random.nextBytes(page);
                        if (written == 0) {
                            System.arraycopy("SQLite format 3\0".getBytes(StandardCharsets.US_ASCII),
                                    0, page, 0, 16);
                            page[16] = 0x10;
                            page[17] = 0;
                        }
                        s.write(written * pageSize, page, 0, pageSize);
                    }
                    s.commit();
                }
            }
            long used = usedAfterGc();
            System.out.printf("backlog %d MiB (%d pages, %d unsynced commits): used heap after GC %.2f MiB"
                    + " (%.2f MiB above the empty-JVM baseline, %.1f bytes per page)%n", megabytes, pages,
                    db.status().pendingCommits(), used / 1048576.0, (used - baseline) / 1048576.0,
                    (double) (used - baseline) / pages);
            db.current(); // keep the database reachable until here
        } catch (SyncFailedException expected) {
            // close gives up on the huge unsynced backlog within its 1 ms timeout; it stays in the buffer
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static long usedAfterGc() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
