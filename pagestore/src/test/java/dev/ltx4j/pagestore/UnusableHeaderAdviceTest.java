package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.storage.FileLogStorage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A buffer whose header cannot be used is refused with the file untouched, and the refusal says what to do (field
 * probe, probe2): the engine meets it through {@link BufferProbe} first, whose message gave no advice at all, and the
 * advice "move it aside" must not be given for a file that is no write buffer (the application's database named as
 * the buffer path), nor leave an empty file made by {@code mktemp} unexplained.
 */
class UnusableHeaderAdviceTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] content) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    private static void refusedBoth(Path p, String... expected) throws Exception {
        byte[] before = Files.readAllBytes(p);
        FileLogStorage storage = new FileLogStorage(p.getParent());
        String name = p.getFileName().toString();
        assertThatThrownBy(() -> BufferProbe.pageSize(storage, name)).isInstanceOf(BufferCorruptException.class)
                .hasMessageContaining(p.toString()).hasMessageContainingAll(expected);
        assertThatThrownBy(() -> WriteBuffer.open(p, options(4096, Durability.LOCAL, 1)))
                .isInstanceOf(BufferCorruptException.class).hasMessageContainingAll(expected);
        assertThat(Files.readAllBytes(p)).isEqualTo(before);
    }

    @Test
    void aDamagedHeaderSaysToMoveTheBufferAside() throws Exception {
        Path p = dir.resolve("app.buffer");
        try (WriteBuffer b = WriteBuffer.open(p, options(4096, Durability.LOCAL, 1))) {
            assertThat(b.location()).contains("app.buffer");
        }
        byte[] bytes = Files.readAllBytes(p);
        bytes[20] ^= 0x5a;
        Files.write(p, bytes);
        refusedBoth(p, "header checksum mismatch", "move it aside to start a new buffer");
    }

    /**
     * Field probe round 7: a buffer of a future format version (a newer ltx4j ran, then this one) is intact and may
     * hold unsynced transactions. Before, the advice was to move it aside "(its unsynced writes cannot be trusted)".
     */
    @Test
    void aBufferOfAFutureFormatVersionIsNotToBeMovedAside() throws Exception {
        Path p = bufferOfVersion(3);
        refusedBoth(p, "unsupported format version 3", "written by a newer ltx4j", "open the database with that version");
        assertThatThrownBy(() -> BufferProbe.pageSize(new FileLogStorage(dir), "app.buffer"))
                .message().doesNotContain("move it aside to start");
    }

    /** A version of 0 or below no ltx4j wrote: damage, not a newer build (before, the newer-ltx4j advice). */
    @Test
    void aVersionOfZeroOrBelowIsNoNewerLtx4j() throws Exception {
        for (int version : new int[] {0, -1, Integer.MIN_VALUE}) {
            Path p = bufferOfVersion(version);
            refusedBoth(p, "unsupported format version " + version, "move it aside to start a new buffer");
            assertThatThrownBy(() -> BufferProbe.pageSize(new FileLogStorage(dir), "app.buffer"))
                    .message().doesNotContain("newer ltx4j");
            Files.delete(p);
        }
    }

    /** A new buffer whose header says format {@code version} (checksum valid). */
    private Path bufferOfVersion(int version) throws Exception {
        Path p = dir.resolve("app.buffer");
        try (WriteBuffer b = WriteBuffer.open(p, options(4096, Durability.LOCAL, 1))) {
            assertThat(b.location()).contains("app.buffer");
        }
        byte[] bytes = Files.readAllBytes(p);
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(bytes);
        h.putInt(8, version);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, 92);
        h.putInt(92, (int) crc.getValue()); // a valid header of that version
        Files.write(p, bytes);
        return p;
    }

    @Test
    void aFileThatIsNoBufferIsNotToBeMovedAside() throws Exception {
        byte[] sqlite = new byte[4096];
        byte[] magic = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(magic, 0, sqlite, 0, magic.length);
        Path p = file("app.db", sqlite);
        refusedBoth(p, "not an ltx4j write buffer", "check the buffer path", "it must name a file of its own");
        assertThatThrownBy(() -> BufferProbe.pageSize(new FileLogStorage(dir), "app.db"))
                .message().doesNotContain("move it aside");
    }

    @Test
    void anEmptyFileExplainsMktempAndTouch() throws Exception {
        Path p = file("tmp.XXXX", new byte[0]);
        refusedBoth(p, "file is 0 bytes", "mktemp", "delete it or name a path that does not exist yet");
    }
}
