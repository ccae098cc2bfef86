package dev.ltx4j.pagestore.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preallocation of {@link FileLogStorage} files: zeros ahead of the end that callers never see. */
class FileLogStorageTest {
    private static final int CHUNK = 64 * 1024;

    @TempDir
    Path dir;

    private static ByteBuffer bytes(int n, int seed) {
        ByteBuffer b = ByteBuffer.allocate(n);
        for (int i = 0; i < n; i++) {
            b.put(i, (byte) (seed + i * 31 + 1));
        }
        return b;
    }

    @Test
    void writesExtendThePhysicalFileByChunksButSizeAndReadsStopAtTheLogicalEnd() throws Exception {
        FileLogStorage storage = new FileLogStorage(dir, CHUNK);
        Path path = dir.resolve("log");
        try (LogFile f = storage.create("log")) {
            f.write(0, bytes(1000, 1));
            f.force();
            assertThat(f.size()).isEqualTo(1000);
            assertThat(Files.size(path)).isEqualTo(CHUNK);
            ByteBuffer dst = ByteBuffer.allocate(3000);
            assertThat(f.read(500, dst)).isEqualTo(500);
            assertThat(dst.position()).isEqualTo(500);
            assertThat(dst.limit()).isEqualTo(3000);
            assertThat(f.read(1000, ByteBuffer.allocate(10))).isZero();

            f.write(1000, bytes(CHUNK, 2)); // crosses the chunk boundary: one more chunk ahead
            assertThat(f.size()).isEqualTo(1000 + CHUNK);
            assertThat(Files.size(path)).isEqualTo(2L * CHUNK);

            f.truncate(700);
            assertThat(f.size()).isEqualTo(700);
            assertThat(Files.size(path)).isEqualTo(700);
            assertThat(f.read(0, ByteBuffer.allocate(1000))).isEqualTo(700);
            f.write(700, bytes(10, 3));
            assertThat(f.size()).isEqualTo(710);
            assertThat(Files.size(path)).isEqualTo(CHUNK);
        }
        assertThat(Files.size(path)).as("a clean close cuts the zeros off").isEqualTo(710);
        byte[] expected = new byte[710];
        bytes(1000, 1).get(0, expected, 0, 700);
        bytes(10, 3).get(0, expected, 700, 10);
        assertThat(Files.readAllBytes(path)).isEqualTo(expected);
    }

    @Test
    void aCrashLeavesTheDataFollowedByZerosOnly() throws Exception {
        FileLogStorage storage = new FileLogStorage(dir, CHUNK);
        try (LogFile f = storage.create("log")) {
            f.write(0, bytes(5000, 4));
            f.force();
            byte[] image = Files.readAllBytes(dir.resolve("log")); // what a kill -9 now would leave
            assertThat(image).hasSize(CHUNK);
            byte[] data = new byte[5000];
            bytes(5000, 4).get(0, data);
            assertThat(java.util.Arrays.copyOf(image, 5000)).isEqualTo(data);
            for (int i = 5000; i < image.length; i++) {
                assertThat(image[i]).as("byte %d", i).isZero();
            }
        }
    }

    @Test
    void aReopenedFileReportsItsPhysicalSizeUntilWrittenAndAReaderNeverCutsIt() throws Exception {
        FileLogStorage storage = new FileLogStorage(dir, CHUNK);
        try (LogFile writer = storage.create("log")) {
            writer.write(0, bytes(100, 5));
            try (LogFile reader = storage.open("log")) {
                assertThat(reader.size()).isEqualTo(CHUNK); // zeros included: the scanner sorts them out
                writer.write(100, bytes(CHUNK, 6));
                assertThat(reader.read(100, ByteBuffer.allocate(CHUNK))).as("sees later writes").isEqualTo(CHUNK);
            }
            assertThat(Files.size(dir.resolve("log"))).as("closing a reader cuts nothing").isEqualTo(2L * CHUNK);
            assertThat(writer.size()).isEqualTo(100 + CHUNK);
        }
        assertThat(Files.size(dir.resolve("log"))).isEqualTo(100 + CHUNK);
    }

    @Test
    void aFileClosedAsReplacedKeepsItsZerosForItsLastHandle() throws Exception {
        FileLogStorage storage = new FileLogStorage(dir, CHUNK);
        LogFile old = storage.create("log");
        old.write(0, bytes(100, 8));
        try (LogFile reader = storage.open("log"); LogFile fresh = storage.create("log.next")) {
            fresh.write(0, bytes(10, 9));
            storage.replace("log.next", "log"); // what a buffer rewrite does before it closes the old writer
            old.closeReplaced();
            assertThat(reader.size()).as("no truncate of an unlinked file").isEqualTo(CHUNK);
            assertThat(reader.read(0, ByteBuffer.allocate(100))).isEqualTo(100);
        }
    }

    @Test
    void reservedRoomIsZerosCallersNeverSeeAndWritesInsideItDoNotGrowTheFile() throws Exception {
        FileLogStorage storage = new FileLogStorage(dir, 2 * 1024 * 1024);
        Path path = dir.resolve("log");
        try (LogFile f = storage.create("log")) {
            assertThat(f.reserve(10 * CHUNK)).as("nothing written yet: no logical end to reserve after").isFalse();
            f.write(0, bytes(1000, 1));
            assertThat(Files.size(path)).isEqualTo(CHUNK);
            assertThat(f.reserve(5 * CHUNK + 1)).isTrue();
            assertThat(Files.size(path)).as("rounded up to the 64 KiB step").isEqualTo(6L * CHUNK);
            assertThat(f.size()).isEqualTo(1000);
            assertThat(f.read(1000, ByteBuffer.allocate(10))).isZero();
            assertThat(f.reserve(3 * CHUNK)).as("already there").isFalse();
            f.write(1000, bytes(4 * CHUNK, 2));
            assertThat(Files.size(path)).as("a write inside the room extends nothing").isEqualTo(6L * CHUNK);
            assertThat(f.size()).isEqualTo(1000 + 4L * CHUNK);
            byte[] image = Files.readAllBytes(path); // what a kill -9 now would leave: data, then zeros only
            for (int i = 1000 + 4 * CHUNK; i < image.length; i++) {
                assertThat(image[i]).as("byte %d", i).isZero();
            }
        }
        assertThat(Files.size(path)).as("a clean close cuts the room off").isEqualTo(1000 + 4L * CHUNK);
        try (LogFile f = new FileLogStorage(dir, 0).create("plain")) {
            f.write(0, bytes(10, 3));
            assertThat(f.reserve(CHUNK)).as("preallocation off: no room either").isFalse();
            assertThat(Files.size(dir.resolve("plain"))).isEqualTo(10);
        }
    }

    @Test
    void withoutPreallocationTheFileIsExactlyWhatWasWritten() throws Exception {
        FileLogStorage storage = new FileLogStorage(dir, 0);
        try (LogFile f = storage.create("log")) {
            f.write(0, bytes(1234, 7));
            assertThat(Files.size(dir.resolve("log"))).isEqualTo(1234);
        }
        assertThatThrownBy(() -> new FileLogStorage(dir, -1)).hasMessageContaining("preallocation");
    }

    @Test
    void onlyAMountWithoutLocksGetsTheNetworkFileSystemAdvice() {
        Path lock = Path.of("/buffers/app.buffer.lock");
        // The JDK passes the C library's text only: ENOLCK here, then an I/O error of the lock call itself.
        assertThat(FileLogStorage.locksRefused(lock, new java.io.IOException("No locks available")).getMessage())
                .startsWith(lock + ": cannot lock it (No locks available): the file system under the write buffer"
                        + " refuses POSIX record locks");
        assertThat(FileLogStorage.locksRefused(lock, new java.io.IOException("Input/output error")).getMessage())
                .as("another failure keeps its reason, names the lock file and sends nobody to NFS mount options")
                .isEqualTo(lock + ": cannot lock it (Input/output error)");
    }

    /**
     * A buffer directory under a parent that has no directory fsync (EINVAL, as squashfs, erofs, iso9660 roots above
     * a mounted buffer directory; /proc here, where every directory answers EINVAL): the entry sync skips it with a
     * debug line. Before the fix the open was refused ("Invalid argument").
     */
    @Test
    void aParentWithoutDirectoryFsyncDoesNotRefuseTheEntrySync() throws Exception {
        Path proc = Path.of("/proc/self").toRealPath();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(proc), "no /proc");
        new FileLogStorage(proc).syncDirectoryEntry(); // does not throw
        new FileLogStorage(Path.of("/proc/self")).syncDirectoryEntry(); // through the link
    }
}
