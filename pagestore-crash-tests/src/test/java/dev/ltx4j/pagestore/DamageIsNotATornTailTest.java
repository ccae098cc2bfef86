package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.NAME;
import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reported case in its simplest form (runs on the code before the fix too, where it fails). */
class DamageIsNotATornTailTest {
    @TempDir
    Path dir;

    @Test
    void memoryFlipInTheMiddleIsRefusedUnchanged() throws Exception {
        Workload w = Workload.random(3, 512, 30, 4, 20);
        MemoryLogStorage original = new MemoryLogStorage();
        try (WriteBuffer buffer = WriteBuffer.open(original, NAME, options(512, Durability.LOCAL, 5))) {
            w.apply(buffer, 0, 30);
        }
        byte[] log = original.contents(NAME);
        byte[] damaged = log.clone();
        damaged[log.length / 2] ^= 4;
        MemoryLogStorage storage = new MemoryLogStorage();
        storage.putDurable(NAME, damaged);
        assertThatThrownBy(() -> WriteBuffer.open(storage, NAME, options(512, Durability.LOCAL, 6)).close())
                .hasMessageContaining("offset");
        assertThat(storage.contents(NAME)).isEqualTo(damaged);
    }

    @Test
    void realFileFlipAt2MbIsRefusedUnchanged() throws Exception {
        Path path = dir.resolve("app.buffer");
        Workload w = Workload.random(14, 4096, 200, 6, 40);
        try (WriteBuffer buffer = WriteBuffer.open(path, options(4096, Durability.LOCAL, 14))) {
            w.apply(buffer, 0, 200);
        }
        byte[] bytes = Files.readAllBytes(path);
        bytes[2 << 20] ^= 0x10;
        Files.write(path, bytes);
        assertThatThrownBy(() -> WriteBuffer.open(path, options(4096, Durability.LOCAL, 15)).close())
                .hasMessageContaining(path.toString());
        assertThat(Files.readAllBytes(path)).isEqualTo(bytes);
    }
}
