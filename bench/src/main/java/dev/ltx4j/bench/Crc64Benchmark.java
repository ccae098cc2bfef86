package dev.ltx4j.bench;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.accel.Crc64Accelerator;
import dev.ltx4j.ltx.accel.Crc64Acceleration;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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

/**
 * CRC-64 throughput. One operation checksums one buffer of {@code size} bytes, so bytes/s = ops/s x size.
 * {@code pageChecksum} adds the 4-byte page-number prefix the LTX page checksum hashes first; {@code updateDirect}
 * hashes a direct buffer. {@code impl}: {@code native} loads the VFS library and runs its carry-less multiply
 * accelerator (docs/crc64-native.md), {@code java} the pure-Java table code in the same build. For the crossover:
 * {@code -p size=32,64,128,256,512,1024}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class Crc64Benchmark {
    @Param({"4096", "65536"})
    public int size;

    @Param({"native", "java"})
    public String impl;

    private byte[] data;
    private ByteBuffer direct;

    @Setup(Level.Trial)
    public void setup() {
        data = new byte[size];
        new SplittableRandom(42).nextBytes(data);
        direct = ByteBuffer.allocateDirect(size).put(data).clear();
        NativeCrc.use();
        if (impl.equals("java")) {
            Crc64Acceleration.uninstall();
        }
        System.out.println("[crc64] measuring " + Crc64.implementation());
    }

    @Benchmark
    public long update() {
        return Crc64.update(0, data, 0, size);
    }

    /** The installed accelerator called directly, below {@code Crc64}'s length threshold too (the crossover). */
    @Benchmark
    public long accelerator() {
        Crc64Accelerator a = Crc64Acceleration.active();
        return a == null ? Crc64.update(0, data, 0, size) : a.update(0, data, 0, size);
    }

    @Benchmark
    public long updateDirect() {
        return Crc64.update(0, direct, 0, size);
    }

    @Benchmark
    public long pageChecksum() {
        return Crc64.pageChecksum(7, data, 0, size);
    }
}
