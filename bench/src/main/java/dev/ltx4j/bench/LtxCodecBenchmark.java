package dev.ltx4j.bench;

import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxFrame;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.PageIndex;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * LTX encode and decode throughput against raw LZ4 on the same pages in the same run.
 *
 * <p>One operation processes the whole corpus: the first {@code corpusMiB} MiB of a real SQLite database with
 * page size {@code pageSize}. So MiB/s = ops/s x corpusMiB, and every benchmark here touches the same bytes,
 * which makes the ratios (encode / lz4Compress, decode / lz4Decompress) direct.
 *
 * <ul>
 *   <li>{@code encode}: an incremental file (MinTXID &gt; 1) of all pages into a reused in-memory sink;</li>
 *   <li>{@code encodeSnapshot}: a snapshot with tracked checksums, which also maintains the database checksum;</li>
 *   <li>{@code decodeStream} / {@code decodeStreamSnapshot}: {@link LtxDecoder} over those files, verifying
 *       everything; {@code decodeArray}: the same over the file in memory, read in place;</li>
 *   <li>{@code decodeFrames}: {@link LtxFrame#decode} of every frame by its page-index entry (random access);</li>
 *   <li>{@code lz4Compress} / {@code lz4Decompress}: the bare lz4-java calls on the same pages and blocks,
 *       with the same factory and compressor/decompressor kinds the codec uses.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class LtxCodecBenchmark {
    @Param({"4096", "65536"})
    public int pageSize;

    /** Corpus size; lower it (e.g. {@code -p corpusMiB=1}) for a smoke run. */
    @Param("16")
    public int corpusMiB;

    private static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();
    private final LZ4Compressor compressor = FACTORY.fastCompressor();
    private final LZ4SafeDecompressor decompressor = FACTORY.safeDecompressor();

    private byte[] corpus;
    private int pages;
    private LtxHeader deltaHeader;
    private LtxHeader snapshotHeader;
    private long snapshotChecksum;
    private ByteSink sink;
    private byte[] delta;
    private PageIndex deltaIndex;
    private byte[] snapshot;
    private byte[] page;
    private byte[] compressBuf;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        NativeCrc.use(); // the native CRC-64 where the library loads (-Dltx4j.crc64.native=false: Java)
        corpus = SqliteCorpus.pages(pageSize, (long) corpusMiB << 20);
        pages = corpus.length / pageSize;
        page = new byte[pageSize];
        compressBuf = new byte[compressor.maxCompressedLength(pageSize)];
        DatabaseChecksum sum = new DatabaseChecksum(pageSize);
        for (int i = 0; i < pages; i++) {
            sum.toggle(i + 1, corpus, i * pageSize);
        }
        snapshotChecksum = sum.value();
        deltaHeader = LtxHeader.of(0, pageSize, pages, 2, 2, 1_700_000_000_000L, snapshotChecksum);
        snapshotHeader = LtxHeader.of(0, pageSize, pages, 1, 1, 1_700_000_000_000L, 0);
        sink = new ByteSink(corpus.length + (1 << 20));
        LtxEncodeResult r = encodeInto(deltaHeader, snapshotChecksum);
        delta = sink.toByteArray();
        deltaIndex = r.pageIndex();
        encodeInto(snapshotHeader, snapshotChecksum);
        snapshot = sink.toByteArray();
        System.out.printf("%n[corpus] %s, %d pages of %d bytes, LTX %d bytes (%.1f%%)%n", FACTORY, pages,
                pageSize, delta.length, 100.0 * delta.length / corpus.length);
    }

    private LtxEncodeResult encodeInto(LtxHeader header, long post) throws IOException {
        sink.reset();
        LtxEncoder e = new LtxEncoder(sink, header);
        for (int i = 0; i < pages; i++) {
            e.writePage(i + 1, corpus, i * pageSize);
        }
        return e.finish(post);
    }

    @Benchmark
    public long encode() throws IOException {
        return encodeInto(deltaHeader, snapshotChecksum).fileChecksum();
    }

    @Benchmark
    public long encodeSnapshot() throws IOException {
        return encodeInto(snapshotHeader, snapshotChecksum).fileChecksum();
    }

    @Benchmark
    public int lz4Compress() {
        int total = 0;
        for (int i = 0; i < pages; i++) {
            total += compressor.compress(corpus, i * pageSize, pageSize, compressBuf, 0, compressBuf.length);
        }
        return total;
    }

    private long decodeAll(byte[] file) throws IOException {
        LtxDecoder d = new LtxDecoder(new ByteArrayInputStream(file), "bench.ltx");
        long last = 0;
        long pgno;
        while ((pgno = d.readPage(page, 0)) != 0) {
            last = pgno;
        }
        return last + d.summary().fileChecksum();
    }

    @Benchmark
    public long decodeStream() throws IOException {
        return decodeAll(delta);
    }

    @Benchmark
    public long decodeStreamSnapshot() throws IOException {
        return decodeAll(snapshot);
    }

    /** The same verified decode of a file held in memory, read in place (no read-ahead copy). */
    @Benchmark
    public long decodeArray() throws IOException {
        LtxDecoder d = new LtxDecoder(delta, 0, delta.length, "bench.ltx");
        long last = 0;
        long pgno;
        while ((pgno = d.readPage(page, 0)) != 0) {
            last = pgno;
        }
        return last + d.summary().fileChecksum();
    }

    @Benchmark
    public void decodeFrames(Blackhole bh) throws IOException {
        for (int i = 0; i < pages; i++) {
            LtxFrame.decode(delta, (int) deltaIndex.offset(i), deltaIndex.frameSize(i), deltaIndex.pgno(i), pageSize,
                    page, 0, "bench.ltx");
            bh.consume(page[pageSize - 1]);
        }
    }

    /** The same LZ4 blocks {@code decodeFrames} reads: each frame minus its 10-byte header and size. */
    @Benchmark
    public int lz4Decompress() {
        int total = 0;
        int skip = Ltx.PAGE_HEADER_SIZE + 4;
        for (int i = 0; i < pages; i++) {
            total += decompressor.decompress(delta, (int) deltaIndex.offset(i) + skip, deltaIndex.frameSize(i) - skip,
                    page, 0, pageSize);
        }
        return total;
    }
}
