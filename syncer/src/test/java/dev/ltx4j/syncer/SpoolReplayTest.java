package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.LtxBody;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spool replays exactly what was written, however it is read: whole chunks, arrays, single bytes. */
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
}
