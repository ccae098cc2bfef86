package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.LtxBody;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool replays exactly what was written, however it is read: whole chunks, arrays, single bytes, or written to
 * a channel ({@link LtxBody#writeTo}, the file replica's path).
 */
class SpoolReplayTest {
    @TempDir
    Path dir;

    @Test
    void replaysAcrossChunkBoundariesByEveryReadPath() throws Exception {
        Random rnd = new Random(3);
        byte[] data = new byte[700_001]; // two full 256 KiB chunks and a partial one
        rnd.nextBytes(data);
        try (Spool spool = new Spool(dir, 16 << 20)) {
            for (int at = 0; at < data.length; ) {
                int n = Math.min(data.length - at, 1 + rnd.nextInt(9000));
                spool.write(data, at, n);
                at += n;
            }
            assertThat(spool.spilled()).isFalse();
            LtxBody body = spool.body();
            assertThat(body.length()).isEqualTo(data.length);

            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            try (InputStream in = body.open()) {
                assertThat(in.transferTo(sink)).isEqualTo(data.length);
                assertThat(in.read()).isEqualTo(-1);
            }
            assertThat(sink.toByteArray()).isEqualTo(data);

            try (InputStream in = body.open()) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }

            try (InputStream in = body.open()) {
                byte[] head = new byte[300_000];
                for (int i = 0; i < 100; i++) {
                    head[i] = (byte) in.read(); // single bytes, then arrays straddling the first boundary
                }
                int got = 100;
                while (got < head.length) {
                    int n = in.read(head, got, Math.min(head.length - got, 70_000));
                    assertThat(n).isPositive();
                    got += n;
                }
                assertThat(head).isEqualTo(Arrays.copyOf(data, head.length));
                assertThat(in.available()).isPositive();
                assertThat(in.read(new byte[0], 0, 0)).isZero();
            }
        }
    }

    /** What {@code body.writeTo} writes to a file channel (the file replica's path), and the bytes it reports. */
    private static byte[] writtenThroughChannel(LtxBody body, Path file) throws Exception {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            assertThat(body.writeTo(out)).isEqualTo(body.length());
        }
        return Files.readAllBytes(file);
    }

    @Test
    void writesItsChunksToAChannelAsTheyAreAndAgainOnRetry() throws Exception {
        byte[] data = new byte[700_001];
        new Random(4).nextBytes(data);
        try (Spool spool = new Spool(dir, 16 << 20)) {
            spool.write(data, 0, 1);
            spool.write(data, 1, data.length - 1);
            LtxBody body = spool.body();
            assertThat(writtenThroughChannel(body, dir.resolve("a"))).isEqualTo(data);
            assertThat(writtenThroughChannel(body, dir.resolve("b"))).isEqualTo(data); // a retry replays it all
            try (InputStream in = body.open()) { // and the stream still agrees after the channel writes
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
        }
    }

    @Test
    void aSpilledSpoolWritesItsFileToAChannel() throws Exception {
        byte[] data = new byte[500_000];
        new Random(5).nextBytes(data);
        try (Spool spool = new Spool(dir.resolve("spill"), 300_000)) {
            spool.write(data, 0, 200_000);
            spool.write(data, 200_000, 300_000); // crosses the bound: the chunks so far go to the file first
            assertThat(spool.spilled()).isTrue();
            assertThat(writtenThroughChannel(spool.body(), dir.resolve("c"))).isEqualTo(data);
        }
    }

    @Test
    void aBodyWrittenAfterItsSpoolClosedFails() throws Exception {
        LtxBody stale;
        try (Spool spool = new Spool(dir, 16 << 20)) {
            spool.write(new byte[1000], 0, 1000);
            stale = spool.body();
        }
        try (FileChannel out = FileChannel.open(dir.resolve("d"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            assertThatThrownBy(() -> stale.writeTo(out)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("after its spool closed");
            assertThat(out.size()).isZero();
        }
    }
}
