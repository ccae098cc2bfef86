package dev.ltx4j.bench;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.PageBlock;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.file.FileReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.SyncOutcome;
import dev.ltx4j.syncer.WriteSession;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sync throughput, in pages per second, of the write-mode engine moving committed pages from its write buffer to a
 * file replica ({@code sync}: snapshot the buffer, read each record from the buffer file and check it against the
 * buffer's CRC-32 chain, copy each record's LZ4 block (made at commit, format version 2) as its frame into a
 * streaming LTX file in the spool (its file checksum from the page CRC-64s computed at commit), upload it with the
 * file replica's create-if-absent and fsync, install it (warming the cache with a quarter of its capacity of the
 * pages, held compressed until read) and trim the buffer), against raw LTX encoding of the same pages from memory into nothing
 * ({@code rawEncode}: {@link LtxEncoder} alone, the ceiling). Goal: {@code sync} at least 0.7x {@code rawEncode}.
 * A third benchmark, {@code rawEncodeAndUpload}, adds to the raw encoding the same file-replica upload the sync
 * performs (create-if-absent with fsync of file and directory), separating the engine's own overhead from the
 * replica's durable write, which no sync can avoid. A fourth, {@code ioFloor}, does only the I/O of a sync with no
 * encoding and no bookkeeping (read the buffer records' bytes, write and fsync the upload's bytes), so
 * {@code rawEncode / (rawEncode + ioFloor)} bounds the ratio any sync can reach (docs/sync-cost.md).
 *
 * <p>Each invocation syncs {@value #PAGES} pages of {@value #PAGE_SIZE} bytes, committed by an untimed setup that
 * rewrites every page (so every sync replaces known pages, as a steady write load does). Pages are 40% random
 * bytes and 60% zeros, roughly a B-tree page. Files go under {@code -Dltx4j.bench.dir} (default: the temp
 * directory); replica files of earlier syncs are deleted by the setup so long runs do not fill the disk.
 *
 * <p>Run: {@code ./mvnw -q -pl bench -am package -DskipTests && java -jar bench/target/benchmarks.jar
 * 'SyncBenchmark.(sync|rawEncode|rawEncodeAndUpload)$' -f 1 -wi 2 -i 4 -r 2s -w 2s}; the ratio is pages per
 * CPU-second ({@code pages / cpuMicros}) of {@code sync} over {@code rawEncode} (bench/README.md). The VFS native
 * library is loaded, so CRC-64 runs natively where the CPU allows, as in every process that loads the library
 * ({@code -jvmArgsAppend -Dltx4j.crc64.native=false}: the pure-Java CRC).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class SyncBenchmark {
    static final int PAGE_SIZE = 4096;
    static final int PAGES = 4096;

    static byte[][] pages(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[][] out = new byte[PAGES][];
        for (int i = 0; i < PAGES; i++) {
            byte[] p = new byte[PAGE_SIZE];
            for (int j = 0; j < PAGE_SIZE * 4 / 10; j++) {
                p[j] = (byte) random.nextInt();
            }
            out[i] = p;
        }
        return out;
    }

    /** A write-mode database over a file replica, with {@value #PAGES} freshly committed pages before each call. */
    @State(Scope.Benchmark)
    public static class Engine {
        Path dir;
        FileReplicaClient replica;
        Database db;
        byte[][] pages;
        long round;

        @Setup(Level.Trial)
        public void open() throws IOException {
            NativeCrc.use();
            dir = ScratchDirs.create("ltx4j-sync-bench");
            replica = new FileReplicaClient(dir.resolve("replica"));
            db = Database.open(replica, "bench.db", EngineOptions.builder()
                    .writeEnabled(true)
                    .durability(Durability.LOCAL)
                    .bufferPath(dir.resolve("bench.buffer"))
                    .conflictDirectory(dir.resolve("conflicts"))
                    .seed(1)
                    .build());
            pages = pages(42);
            commitAll();
            sync(); // TXID 1, the snapshot, is not what a steady load syncs
        }

        @Setup(Level.Invocation)
        public void commitAll() throws IOException {
            round++;
            try (WriteSession s = db.beginWrite()) {
                for (int i = 0; i < PAGES; i++) {
                    byte[] p = pages[i];
                    p[PAGE_SIZE - 1] = (byte) round; // every page really changes
                    s.write((long) i * PAGE_SIZE, p, 0, PAGE_SIZE);
                }
                s.commit();
            }
            List<LtxFileInfo> old = replica.listFiles(0, 0, false);
            if (old.size() > 1) {
                replica.deleteFiles(old.subList(0, old.size() - 1));
            }
        }

        SyncOutcome sync() {
            SyncOutcome o = db.syncOnce(Instant.now());
            if (o.status() != SyncOutcome.Status.SYNCED) {
                throw new IllegalStateException("sync did not complete: " + o, o.error());
            }
            return o;
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            db.close();
            replica.close();
            ScratchDirs.delete(dir);
        }
    }

    /**
     * CPU time of the measured calls alone (JMH's invocation-level setup, here committing the next 4096 pages, runs on
     * the same thread, so {@code CpuTimeProfiler} would charge it to {@code sync}). Both counters are summed per
     * iteration; pages per CPU-second = {@code pages / cpuMicros * 1e6} over the totals.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class CallCpu {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        public long cpuMicros;
        /** The part of {@code cpuMicros} spent in the kernel (system calls: buffer reads, upload writes, fsyncs). */
        public long sysMicros;
        public long pages;
        private long start;
        private long startUser;

        @Setup(Level.Iteration)
        public void clear() {
            cpuMicros = 0;
            sysMicros = 0;
            pages = 0;
        }

        void begin() {
            startUser = THREADS.getCurrentThreadUserTime();
            start = THREADS.getCurrentThreadCpuTime();
        }

        void end() {
            long cpu = THREADS.getCurrentThreadCpuTime() - start;
            cpuMicros += cpu / 1000;
            sysMicros += (cpu - (THREADS.getCurrentThreadUserTime() - startUser)) / 1000;
            pages += PAGES;
        }
    }

    /** The same pages in memory. */
    @State(Scope.Benchmark)
    public static class Raw {
        byte[][] pages;
        LtxHeader header;

        @Setup(Level.Trial)
        public void prepare() {
            NativeCrc.use();
            pages = pages(42);
            header = LtxHeader.of(0, PAGE_SIZE, PAGES, 2, 2, 1_700_000_000_000L, Ltx.CHECKSUM_FLAG | 1).withNodeId(1);
        }
    }

    /** A bare file replica that the raw encoder uploads to. */
    @State(Scope.Benchmark)
    public static class RawReplica {
        Path dir;
        FileReplicaClient replica;
        long txid;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = ScratchDirs.create("ltx4j-raw-bench");
            replica = new FileReplicaClient(dir.resolve("replica"));
        }

        @Setup(Level.Invocation)
        public void trim() throws IOException {
            ScratchDirs.deleteLevelZero(replica);
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            replica.close();
            ScratchDirs.delete(dir);
        }
    }

    /**
     * The I/O no sync of these pages can avoid, with no encoding and no bookkeeping: a file as large as the buffer
     * records of {@value #PAGES} pages, read in 256 KiB windows into a direct buffer (as the sync's cursor reads),
     * and a file as large as their LTX encoding written with one write from a direct buffer and fsynced. The records
     * are the write buffer's format version 2 'Z' records (20-byte header, the page's LZ4 block, 4-byte chained
     * CRC; docs/write-buffer-recovery.md), which is what a sync reads since session 10 (before session 11 this modelled
     * the plain 'P' records, 12-byte header + page, 2.4x the bytes). {@code rawEncode + ioFloor} per page is the
     * least CPU a sync that encoded the pages itself could cost; see docs/sync-cost.md.
     */
    @State(Scope.Benchmark)
    public static class Floor {
        /** A 'Z' record: header, block, chained CRC (pagestore's {@code LogFormat.zRecordSize}). */
        static final int Z_HEADER = 20;
        static final int Z_TRAILER = 4;
        Path dir;
        FileChannel records;
        long recordBytes;
        ByteBuffer window;
        ByteBuffer upload;
        long round;

        @Setup(Level.Trial)
        public void open() throws IOException {
            NativeCrc.use();
            dir = ScratchDirs.create("ltx4j-floor-bench");
            byte[][] pages = pages(42);
            ByteArrayOutputStream ltx = new ByteArrayOutputStream();
            LtxEncoder enc = new LtxEncoder(ltx, LtxHeader.of(0, PAGE_SIZE, PAGES, 2, 2, 1_700_000_000_000L,
                    Ltx.CHECKSUM_FLAG | 1).withNodeId(1));
            for (int i = 0; i < PAGES; i++) {
                enc.writePage(i + 1, pages[i], 0);
            }
            enc.finish(Ltx.CHECKSUM_FLAG | 2);
            byte[] encoded = ltx.toByteArray();
            upload = ByteBuffer.allocateDirect(encoded.length).put(encoded).flip();
            records = FileChannel.open(dir.resolve("records"), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            ByteBuffer rec = ByteBuffer.allocate(Z_HEADER + PageBlock.maxBlockSize(PAGE_SIZE) + Z_TRAILER);
            for (int i = 0; i < PAGES; i++) {
                rec.clear().put((byte) 'Z').put((byte) 0).putShort((short) 0).putInt(i + 1);
                int n = PageBlock.compress(ByteBuffer.wrap(pages[i]), 0, PAGE_SIZE, rec, Z_HEADER);
                rec.putInt(8, n).putLong(12, PageBlock.pageCrc(i + 1, pages[i], 0, PAGE_SIZE));
                rec.position(Z_HEADER + n).putInt(0).flip();
                recordBytes += rec.remaining();
                while (rec.hasRemaining()) {
                    records.write(rec);
                }
            }
            records.force(true);
            window = ByteBuffer.allocateDirect(256 * 1024);
        }

        @Setup(Level.Invocation)
        public void trim() throws IOException {
            Files.deleteIfExists(dir.resolve("upload-" + round));
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            records.close();
            ScratchDirs.delete(dir);
        }
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public long ioFloor(Floor f, CallCpu cpu) throws IOException {
        cpu.begin();
        long size = f.recordBytes;
        long sum = 0;
        int perWindow = f.window.capacity();
        for (long at = 0; at < size; at += perWindow) {
            f.window.clear().limit((int) Math.min(perWindow, size - at));
            while (f.window.hasRemaining()) {
                if (f.records.read(f.window, at + f.window.position()) < 0) {
                    throw new IOException("records file ended at " + at);
                }
            }
            sum += f.window.get(0);
        }
        try (FileChannel out = FileChannel.open(f.dir.resolve("upload-" + ++f.round), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = f.upload.duplicate();
            while (b.hasRemaining()) {
                out.write(b);
            }
            out.force(true);
        }
        cpu.end();
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public LtxFileInfo rawEncodeAndUpload(Raw r, RawReplica replica, CallCpu cpu) throws IOException {
        cpu.begin();
        ByteArrayOutputStream out = new ByteArrayOutputStream(PAGES * PAGE_SIZE / 2);
        long txid = ++replica.txid + 1;
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(0, PAGE_SIZE, PAGES, txid, txid, 1_700_000_000_000L,
                Ltx.CHECKSUM_FLAG | 1).withNodeId(1));
        for (int i = 0; i < PAGES; i++) {
            enc.writePage(i + 1, r.pages[i], 0);
        }
        enc.finish(Ltx.CHECKSUM_FLAG | 2);
        LtxFileInfo info = replica.replica.createFile(0, txid, txid, LtxBody.of(out.toByteArray()));
        cpu.end();
        return info;
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public SyncOutcome sync(Engine e, CallCpu cpu) {
        cpu.begin();
        SyncOutcome o = e.sync();
        cpu.end();
        return o;
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public LtxEncodeResult rawEncode(Raw r, CallCpu cpu) throws IOException {
        cpu.begin();
        LtxEncoder enc = new LtxEncoder(OutputStream.nullOutputStream(), r.header);
        for (int i = 0; i < PAGES; i++) {
            enc.writePage(i + 1, r.pages[i], 0);
        }
        LtxEncodeResult result = enc.finish(Ltx.CHECKSUM_FLAG | 2);
        cpu.end();
        return result;
    }

    /**
     * {@link #rawEncode} plus the LTX page checksum of every page, folded into the post-apply checksum: the least an
     * encoder of an incremental, checksummed file computes when no one hashed the pages before (the old images'
     * checksums being known). Since the committing thread no longer hashes pages (docs/durable-commit-cost.md),
     * {@code sync} pays this too, so this is the like-for-like ceiling; {@link #rawEncode} stays for comparison.
     */
    @Benchmark
    @OperationsPerInvocation(PAGES)
    public LtxEncodeResult rawEncodeWithChecksums(Raw r, CallCpu cpu) throws IOException {
        cpu.begin();
        LtxEncoder enc = new LtxEncoder(OutputStream.nullOutputStream(), r.header);
        long postApply = 0;
        for (int i = 0; i < PAGES; i++) {
            enc.writePage(i + 1, r.pages[i], 0);
            postApply ^= Crc64.pageChecksum(i + 1, r.pages[i], 0, PAGE_SIZE);
        }
        LtxEncodeResult result = enc.finish(Ltx.CHECKSUM_FLAG | postApply);
        cpu.end();
        return result;
    }
}
