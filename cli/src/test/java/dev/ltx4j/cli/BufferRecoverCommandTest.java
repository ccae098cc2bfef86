package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.BufferDamagedException;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.WriteTransaction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BufferRecoverCommandTest {
    @TempDir
    Path tmp;

    @Test
    void recoverKeepsACopyAndTheCommittedPrefix() throws Exception {
        Path path = tmp.resolve("app.buffer");
        WriteBufferOptions o = WriteBufferOptions.builder().pageSize(1024).build();
        try (WriteBuffer b = WriteBuffer.open(path, o)) {
            for (int i = 1; i <= 20; i++) {
                try (WriteTransaction tx = b.begin()) {
                    byte[] page = new byte[1024];
                    java.util.Arrays.fill(page, (byte) i);
                    tx.writePage(i, page);
                    tx.commit(i);
                }
            }
        }
        byte[] bytes = Files.readAllBytes(path);
        bytes[bytes.length / 2] ^= 1;
        Files.write(path, bytes);
        try {
            WriteBuffer.open(path, o).close();
            throw new AssertionError("a damaged buffer opened");
        } catch (BufferDamagedException expected) {
            assertThat(expected.getMessage()).contains("ltx4j buffer recover " + path);
        }

        CliRun run = CliRun.of("buffer", "recover", path.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("was damaged at offset").contains(path + ".damaged-")
                .contains("committed transactions held");
        try (Stream<Path> files = Files.list(tmp)) {
            Path copy = files.filter(p -> p.getFileName().toString().startsWith("app.buffer.damaged-")).findFirst()
                    .orElseThrow();
            assertThat(Files.readAllBytes(copy)).isEqualTo(bytes);
        }
        try (WriteBuffer b = WriteBuffer.open(path, o)) {
            assertThat(b.recovery().transactions()).isBetween(5, 19);
        }

        CliRun missing = CliRun.of("buffer", "recover", tmp.resolve("nope").toString());
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains(tmp.resolve("nope").toString());
    }
}
