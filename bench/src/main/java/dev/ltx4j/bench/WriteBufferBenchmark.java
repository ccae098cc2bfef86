package dev.ltx4j.bench;

import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.WriteTransaction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Commit throughput of the write buffer against a raw {@link FileChannel} append loop writing the same page bytes
 * to the same disk in the same run: the raw loop copies the same page arrays into one direct buffer, writes it
 * with one positional write per transaction and, when durability is LOCAL, forces after each transaction. It
 * has no headers, checksums, index or recovery, so it is the ceiling. Goal: the buffer reaches at least 0.8x of
 * raw for every transaction size and durability.
 *
 * <p>Both logs are emptied between iterations (see {@link #trim()}), so a run writes at most a few GiB. Files go
 * under {@code -Dltx4j.bench.dir} (default: the temp directory).
 *
 * <p>Run: {@code ./mvnw -q -pl bench -am package -DskipTests && java -jar bench/target/benchmarks.jar
 * WriteBufferBenchmark -f 1 -wi 2 -i 3 -r 2s -w 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
public class WriteBufferBenchmark {
    private static final int PAGE_SIZE = 4096;

    @Param({"1", "4", "16"})
    public int pagesPerTxn;

    @Param({"NONE", "LOCAL"})
    public Durability durability;

    private Path dir;
    private WriteBuffer buffer;
    private byte[][] pages;
    private FileChannel raw;
    private ByteBuffer rawBytes;
    private long rawPosition;
    private long txnCounter;
    private long syncedTxid;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path base = Path.of(System.getProperty("ltx4j.bench.dir", System.getProperty("java.io.tmpdir")));
        dir = Files.createTempDirectory(base, "ltx4j-wbbench");
        SplittableRandom random = new SplittableRandom(42);
        pages = new byte[pagesPerTxn][PAGE_SIZE];
        rawBytes = ByteBuffer.allocateDirect(pagesPerTxn * PAGE_SIZE);
        for (byte[] page : pages) {
            for (int i = 0; i < page.length; i++) {
                page[i] = (byte) random.nextInt(256);
            }
        }
        buffer = WriteBuffer.open(dir.resolve("buffer.log"), WriteBufferOptions.builder()
                .pageSize(PAGE_SIZE).durability(durability).build());
        raw = FileChannel.open(dir.resolve("raw.log"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    /**
     * Empties both logs between iterations, outside the measurement: the buffer through markSynced (as the
     * syncer would), raw by truncation. Trimming inside the loop would measure the file system instead: a
     * truncate discards dirty pages for free, while markSynced's fsyncs make ext4 commit its journal.
     */
    @Setup(Level.Iteration)
    public void trim() throws IOException {
        if (!buffer.transactions().isEmpty()) {
            buffer.markSynced(buffer.lastCommittedSeq(), ++syncedTxid, 0);
        }
        raw.truncate(0);
        rawPosition = 0;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        buffer.close();
        raw.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Benchmark
    public long bufferCommit() throws IOException {
        long first = (txnCounter++ * pagesPerTxn) % 100_000 + 1;
        long seq;
        try (WriteTransaction tx = buffer.begin()) {
            for (int i = 0; i < pagesPerTxn; i++) {
                tx.writePage(first + i, pages[i]);
            }
            seq = tx.commit(100_000 + pagesPerTxn);
        }
        return seq;
    }

    @Benchmark
    public long rawAppend() throws IOException {
        rawBytes.clear();
        for (byte[] page : pages) {
            rawBytes.put(page); // the same input the buffer gets: SQLite hands over page arrays
        }
        rawBytes.flip();
        while (rawBytes.hasRemaining()) {
            rawPosition += raw.write(rawBytes, rawPosition);
        }
        if (durability != Durability.NONE) {
            raw.force(false);
        }
        return rawPosition;
    }
}
