package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe (docs/field-probes.md, round 5): an explicit buffer path in a directory every user can write, without
 * the sticky bit (mode 777), was taken: any local user could delete or replace the buffer and its acknowledged,
 * unsynced transactions. Refused now, naming the directory and the fix; a sticky one (1777, as /tmp) is fine.
 */
class WorldWritableBufferDirTest {
    @TempDir
    Path dir;

    @Test
    void aWorldWritableDirectoryWithoutTheStickyBitIsRefusedAndAStickyOneIsFine() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("unix"), "no unix modes here");
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Files.setAttribute(shared, "unix:mode", 0777);
        Path path = shared.resolve("app.buffer");
        assertThatThrownBy(() -> WriteBuffer.open(path, options(512, Durability.LOCAL, 1)).close())
                .isInstanceOf(BufferPathException.class)
                .hasMessageContaining("directory " + shared + " is writable by every user and has no sticky bit")
                .hasMessageContaining("chmod o-w " + shared);
        assertThat(path).doesNotExist();
        Files.setAttribute(shared, "unix:mode", 01777);
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 1))) {
            TestSupport.commit(b, 1, new long[] {1}, 3);
        }
    }
}
