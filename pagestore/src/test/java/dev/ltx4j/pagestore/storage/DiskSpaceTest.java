package dev.ltx4j.pagestore.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Full-disk detection decides by the file system's free space, not by the (translatable) error text. */
class DiskSpaceTest {
    /** ENOSPC's strerror text under LANG=de_DE, as the JDK would pass it on. */
    private static final IOException GERMAN_ENOSPC =
            new IOException("Auf dem Gerät ist kein Speicherplatz mehr verfügbar");

    @Test
    void aTranslatedErrorOnAFullFileSystemIsAFullDisk() {
        assertThat(DiskSpace.isOutOfSpace(GERMAN_ENOSPC, 8192, () -> 4096)).isTrue();
        assertThat(DiskSpace.isOutOfSpace(GERMAN_ENOSPC, 8192, () -> 0)).isTrue();
    }

    @Test
    void anOtherErrorWithRoomLeftIsNotAFullDisk() {
        assertThat(DiskSpace.isOutOfSpace(new IOException("Eingabe-/Ausgabefehler"), 8192, () -> 10L << 30))
                .isFalse();
        assertThat(DiskSpace.isOutOfSpace(new ClosedChannelException(), 8192, () -> 0)).isFalse();
    }

    /** EIO under LANG=de_DE. */
    private static final IOException GERMAN_EIO = new IOException("Eingabe-/Ausgabefehler");

    @Test
    void anErrorOnANearlyFullDiskWithRoomForTheWriteIsNotAFullDisk() {
        // 512 KiB left, the write needed 8 KiB: the file system would not refuse it for space, so the I/O error is
        // reported as one (session 8's rule took anything under the write + 1 MiB for a full disk).
        assertThat(DiskSpace.isOutOfSpace(GERMAN_EIO, 8192, () -> 512 * 1024)).isFalse();
        // exactly what the write may need: 2 data blocks, 1 for an unaligned start, 16 of metadata
        assertThat(DiskSpace.isOutOfSpace(GERMAN_EIO, 8192, () -> 19 * 4096)).isFalse();
    }

    @Test
    void lessUsableSpaceThanTheWriteNeededIsAFullDiskWhateverTheText() {
        long needed = DiskSpace.needed(8192, 4096);
        // the data blocks, one for an unaligned start and the metadata margin
        assertThat(needed).isEqualTo((2 + 1 + DiskSpace.METADATA_BLOCKS) * 4096L);
        assertThat(DiskSpace.isOutOfSpace(GERMAN_ENOSPC, 8192, () -> needed - 1)).isTrue();
        assertThat(DiskSpace.isOutOfSpace(GERMAN_EIO, 8192, () -> needed - 1)).isTrue();
        // a larger block size needs more room: 64 KiB blocks
        assertThat(DiskSpace.isOutOfSpace(GERMAN_ENOSPC, 8192, 65536, () -> 512 * 1024)).isTrue();
        assertThat(DiskSpace.isOutOfSpace(GERMAN_ENOSPC, 8192, 65536, () -> 2L << 20)).isFalse();
    }

    @Test
    void theEnglishTextStillCountsWhereFreeSpaceCannotTell() {
        // A quota is invisible to the file system's free space: the C-locale text is the fallback.
        assertThat(DiskSpace.isOutOfSpace(new IOException("Disk quota exceeded"), 8192, () -> 10L << 30)).isTrue();
        assertThat(DiskSpace.isOutOfSpace(new IOException("No space left on device"), 1, () -> {
            throw new IOException("statfs failed");
        })).isTrue();
        assertThat(DiskSpace.isOutOfSpace(GERMAN_ENOSPC, 1, () -> {
            throw new IOException("statfs failed");
        })).isFalse();
    }

    @Test
    void aRealFullFileSystemGivesATypedError(@TempDir Path dir) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Path small = Files.createDirectories(dir.resolve("small"));
        assumeTrue(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small.toString())
                .inheritIO().start().waitFor() == 0, "cannot mount a tmpfs here");
        try {
            FileLogStorage storage = new FileLogStorage(small, 0);
            try (LogFile f = storage.create("log")) {
                ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
                assertThatThrownBy(() -> {
                    for (long at = 0; at < (1 << 20); at += chunk.capacity()) {
                        f.write(at, chunk.clear());
                    }
                }).isInstanceOfSatisfying(StorageFullException.class,
                        e -> assertThat(e.location()).isEqualTo(small.resolve("log").toString()));
            }
        } finally {
            new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
        }
    }
}
