package dev.ltx4j.bench;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * The file replica's durable create of a sync's upload ({@link SyncBenchmark}'s {@value SyncBenchmark#PAGES} pages,
 * about 7 MB of LTX) from the spool's two chunk layouts: {@code heapChunks}, 256 KiB heap arrays replayed as a
 * stream (the file replica copies them into the channel, and the JDK copies each into a temporary direct buffer),
 * and {@code directChunks}, 256 KiB direct buffers handed to the channel by {@link LtxBody#writeTo} in one gathering
 * write (the spool since session 10; docs/sync-cost.md). Both include the create's fsync, link, unlink and directory
 * fsync. CPU per page: {@code cpuMicros / pages} ({@link SyncBenchmark.CallCpu}).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar UploadWriteBenchmark -f 1 -wi 2 -i 4 -r 2s -w 2s}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
public class UploadWriteBenchmark {
    private static final int CHUNK = 256 * 1024;

    @State(Scope.Benchmark)
    public static class Upload {
        Path dir;
        FileReplicaClient replica;
        LtxBody heap;
        LtxBody direct;
        long txid;

        @Setup(Level.Trial)
        public void open() throws IOException {
            byte[][] pages = SyncBenchmark.pages(42);
            ByteArrayOutputStream ltx = new ByteArrayOutputStream();
            LtxEncoder enc = new LtxEncoder(ltx, LtxHeader.of(0, SyncBenchmark.PAGE_SIZE, SyncBenchmark.PAGES, 2, 2,
                    1_700_000_000_000L, Ltx.CHECKSUM_FLAG | 1).withNodeId(1));
            for (int i = 0; i < SyncBenchmark.PAGES; i++) {
                enc.writePage(i + 1, pages[i], 0);
            }
            enc.finish(Ltx.CHECKSUM_FLAG | 2);
            byte[] data = ltx.toByteArray();
            List<byte[]> arrays = new ArrayList<>();
            List<ByteBuffer> buffers = new ArrayList<>();
            for (int at = 0; at < data.length; at += CHUNK) {
                int n = Math.min(CHUNK, data.length - at);
                arrays.add(Arrays.copyOfRange(data, at, at + n));
                buffers.add(ByteBuffer.allocateDirect(n).put(data, at, n).flip());
            }
            heap = new LtxBody() {
                @Override
                public long length() {
                    return data.length;
                }

                @Override
                public InputStream open() {
                    return new SequenceInputStream(Collections.enumeration(
                            arrays.stream().map(a -> (InputStream) new ByteArrayInputStream(a)).toList())) {
                        @Override
                        public long transferTo(OutputStream out) throws IOException {
                            for (byte[] a : arrays) {
                                out.write(a); // whole chunks, as the spool's stream did
                            }
                            return data.length;
                        }
                    };
                }
            };
            direct = new LtxBody() {
                @Override
                public long length() {
                    return data.length;
                }

                @Override
                public InputStream open() {
                    return new ByteArrayInputStream(data);
                }

                @Override
                public long writeTo(WritableByteChannel out) throws IOException {
                    ByteBuffer[] views = buffers.stream().map(ByteBuffer::duplicate).toArray(ByteBuffer[]::new);
                    long done = 0;
                    while (done < data.length) {
                        done += ((GatheringByteChannel) out).write(views);
                    }
                    return done;
                }
            };
            dir = ScratchDirs.create("ltx4j-upload-bench");
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

    private static LtxFileInfo create(Upload u, LtxBody body, SyncBenchmark.CallCpu cpu) throws IOException {
        cpu.begin();
        long txid = ++u.txid;
        LtxFileInfo info = u.replica.createFile(0, txid, txid, body);
        cpu.end();
        return info;
    }

    @Benchmark
    @OperationsPerInvocation(SyncBenchmark.PAGES)
    public LtxFileInfo heapChunks(Upload u, SyncBenchmark.CallCpu cpu) throws IOException {
        return create(u, u.heap, cpu);
    }

    @Benchmark
    @OperationsPerInvocation(SyncBenchmark.PAGES)
    public LtxFileInfo directChunks(Upload u, SyncBenchmark.CallCpu cpu) throws IOException {
        return create(u, u.direct, cpu);
    }
}
