package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe (docs/field-probes.md, round 5): an explicit buffer path in a directory every user can write, without
 * the sticky bit (mode 777): any local user could delete or rename the buffer. Warned about, not refused: the root of a
 * Kubernetes emptyDir, CIFS and vfat mounts with dir_mode=0777 are 777, and a refusal stranded a buffer's unsynced
 * transactions there. A sticky one (1777, as /tmp) gets no warning.
 */
class WorldWritableBufferDirTest {
    @TempDir
    Path dir;

    @Test
    void aWorldWritableDirectoryWithoutTheStickyBitIsWarnedAboutAndStillOpens() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("unix"), "no unix modes here");
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Files.setAttribute(shared, "unix:mode", 0777);
        Path path = shared.resolve("app.buffer");
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 1))) {
            TestSupport.commit(b, 1, new long[] {1}, 3);
        }
        // An existing buffer (with its transactions) in such a directory opens again too.
        try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 1))) {
            assertThat(b.transactions()).hasSize(1);
        }
        assertThat(BufferPathException.sharedDirectoryWarning(path))
                .contains("directory " + shared + " is writable by every user and has no sticky bit")
                .contains("delete or rename the buffer").contains("chmod o-w " + shared);
        Files.setAttribute(shared, "unix:mode", 01777);
        assertThat(BufferPathException.sharedDirectoryWarning(path)).isNull();
    }
}
