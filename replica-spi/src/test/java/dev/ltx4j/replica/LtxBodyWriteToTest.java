package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LtxBody#writeTo} writes what {@link LtxBody#open()} yields: the default (any body, through its stream), the
 * array body, and the file body (kernel copy into the channel), each again on a second call (a retry).
 */
class LtxBodyWriteToTest {
    @TempDir
    Path dir;

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private byte[] written(LtxBody body, String name) throws Exception {
        Path file = dir.resolve(name);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            assertThat(body.writeTo(out)).isEqualTo(body.length());
        }
        return Files.readAllBytes(file);
    }

    @Test
    void theDefaultWritesTheStreamsBytes() throws Exception {
        byte[] data = bytes(300_001);
        LtxBody streamOnly = new LtxBody() {
            @Override
            public long length() {
                return data.length;
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(data);
            }
        };
        assertThat(written(streamOnly, "a")).isEqualTo(data);
        assertThat(written(streamOnly, "b")).isEqualTo(data);
        assertThat(written(LtxBody.of(data), "c")).isEqualTo(data);
    }

    @Test
    void aFileBodyIsCopiedWhole() throws Exception {
        byte[] data = bytes(3_000_017);
        Path source = Files.write(dir.resolve("source"), data);
        LtxBody body = LtxBody.of(source);
        assertThat(written(body, "d")).isEqualTo(data);
        assertThat(written(body, "e")).isEqualTo(data);
        assertThat(written(LtxBody.of(Files.write(dir.resolve("empty"), new byte[0])), "f")).isEmpty();
    }
}
