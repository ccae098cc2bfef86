package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.pagestore.storage.DiskSpace;
import dev.ltx4j.pagestore.storage.FileLogStorage;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file system that reports no size (statvfs: 0 blocks, 0 available; several FUSE and network file systems do) read
 * as a full disk to the rewrite reserve: every commit after one with none held before it was refused with
 * {@code SQLITE_FULL} until a sync trimmed the buffer (session 11's note). Total 0 now means "unknown": the reserve
 * refuses nothing, a write that really finds no space still fails as a full disk (docs/write-buffer-full-disk.md).
 */
class ZeroSizeFileSystemTest {
    static final int PS = 4096;

    @TempDir
    Path dir;

    /**
     * A real FUSE mount (python3-fusepy pass-through, statfs answering zeros): commits go on. Skipped only where FUSE
     * cannot be (no root, no /dev/fuse, no fusepy); there a mount that fails is a failure, with the FUSE log.
     */
    @Test
    void aFuseFileSystemThatReportsNoSizeRefusesNoCommit() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a FUSE file system needs root here");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse");
        assumeTrue(new ProcessBuilder("/usr/bin/python3", "-c", "import fusepy").start().waitFor() == 0,
                "python3-fusepy is not installed");
        Path script = Path.of(ZeroSizeFileSystemTest.class.getResource("/zero-statfs-fuse.py").toURI());
        Path back = Files.createDirectories(dir.resolve("back"));
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Process fuse = new ProcessBuilder("/usr/bin/python3", script.toString(), back.toString(), mnt.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("fuse.log").toFile()).start();
        try {
            boolean up = mounted(mnt, fuse);
            assertThat(up).as("FUSE mount at %s (root, /dev/fuse and fusepy are present); its log:%n%s", mnt,
                    up ? "" : log(dir)).isTrue();
            FileStore store = Files.getFileStore(mnt);
            assertThat(store.getTotalSpace()).as("the mount reports no size").isZero();
            assertThat(store.getUsableSpace()).isZero();
            // A failed write there is a full disk only by its text: "0 usable" made every error one (EIO retried).
            assertThat(DiskSpace.isOutOfSpace(new IOException("Input/output error"), mnt, PS)).isFalse();
            assertThat(DiskSpace.isOutOfSpace(new IOException("No space left on device"), mnt, PS)).isTrue();
            List<Integer> acknowledged = new ArrayList<>();
            try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(mnt), TestSupport.NAME,
                    TestSupport.options(PS, Durability.LOCAL, 3))) {
                for (int fill = 1; fill <= 5; fill++) {
                    // Before: the first was exempt (none held before it), every later one refused as "0 bytes usable".
                    TestSupport.commit(buf, 5, new long[] {fill}, fill);
                    acknowledged.add(fill);
                }
                assertThat(buf.transactions()).hasSize(5);
            }
            try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(mnt), TestSupport.NAME,
                    TestSupport.options(PS, Durability.LOCAL, 3))) {
                assertThat(buf.failureMessage()).isNull();
                assertThat(buf.transactions()).as("every commit, after a reopen").hasSize(acknowledged.size());
            }
            List<String> names;
            try (Stream<Path> listed = Files.list(back)) {
                names = listed.map(p -> p.getFileName().toString()).toList();
            }
            assertThat(names).as("written through the mount").anyMatch(n -> n.startsWith(TestSupport.NAME));
        } finally {
            new ProcessBuilder("fusermount", "-u", mnt.toString()).inheritIO().start().waitFor();
            if (!fuse.waitFor(10, TimeUnit.SECONDS)) {
                fuse.destroy();
                fuse.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Unit level: a file store reporting total 0 reads as unknown; one with a size and 0 available is full. */
    @Test
    void aStoreReportingNoSizeIsUnknownAndOneWithASizeIsFull() throws Exception {
        assertThat(FileLogStorage.usableSpace(new Store(0, 0))).as("no size: unknown").isEqualTo(Long.MAX_VALUE);
        assertThat(FileLogStorage.usableSpace(new Store(1L << 30, 0))).as("a full disk").isZero();
        assertThat(FileLogStorage.usableSpace(new Store(1L << 30, 4096))).isEqualTo(4096);
        List<Integer> acknowledged = new ArrayList<>();
        try (WriteBuffer buf = WriteBuffer.open(new Reporting(new FileLogStorage(dir), new Store(0, 0)),
                TestSupport.NAME, TestSupport.options(PS, Durability.LOCAL, 3))) {
            for (int fill = 1; fill <= 4; fill++) {
                TestSupport.commit(buf, 4, new long[] {fill}, fill);
                acknowledged.add(fill);
            }
        }
        assertThat(acknowledged).containsExactly(1, 2, 3, 4);
        LogStorage full = new Reporting(new FileLogStorage(Files.createDirectories(dir.resolve("full"))),
                new Store(1L << 30, 0));
        try (WriteBuffer buf = WriteBuffer.open(full, TestSupport.NAME, TestSupport.options(PS, Durability.LOCAL, 3))) {
            TestSupport.commit(buf, 4, new long[] {1}, 1); // none held before it: exempt
            assertThatThrownBy(() -> TestSupport.commit(buf, 4, new long[] {2}, 2))
                    .as("a disk with a size and nothing available still refuses")
                    .isInstanceOf(BufferFullException.class);
        }
    }

    private static String log(Path dir) {
        try {
            return Files.readString(dir.resolve("fuse.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static boolean mounted(Path mnt, Process fuse) throws Exception {
        for (int i = 0; i < 200 && fuse.isAlive(); i++) {
            if (Files.readString(Path.of("/proc/self/mounts")).contains(" " + mnt + " ")) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** A file store with the given total and usable bytes (statvfs's answer). */
    private static final class Store extends FileStore {
        final long total;
        final long usable;

        Store(long total, long usable) {
            this.total = total;
            this.usable = usable;
        }

        @Override public String name() { return "test"; }
        @Override public String type() { return "fuse"; }
        @Override public boolean isReadOnly() { return false; }
        @Override public long getTotalSpace() { return total; }
        @Override public long getUsableSpace() { return usable; }
        @Override public long getUnallocatedSpace() { return usable; }
        @Override public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) { return false; }
        @Override public boolean supportsFileAttributeView(String name) { return false; }
        @Override public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) { return null; }
        @Override public Object getAttribute(String attribute) { return null; }
    }

    /** A file storage whose usable space is read from {@code store} as {@link FileLogStorage} reads a real one. */
    private static final class Reporting implements LogStorage {
        final LogStorage d;
        final FileStore store;

        Reporting(LogStorage d, FileStore store) {
            this.d = d;
            this.store = store;
        }

        @Override
        public long usableSpace() throws IOException {
            return FileLogStorage.usableSpace(store);
        }

        @Override
        public LogFile open(String name) throws IOException {
            return d.open(name);
        }

        @Override
        public LogFile create(String name) throws IOException {
            return d.create(name);
        }

        @Override
        public boolean exists(String name) throws IOException {
            return d.exists(name);
        }

        @Override
        public void deleteIfExists(String name) throws IOException {
            d.deleteIfExists(name);
        }

        @Override
        public void replace(String from, String to) throws IOException {
            d.replace(from, to);
        }

        @Override
        public boolean keepAs(String name, String spare) throws IOException {
            return d.keepAs(name, spare);
        }

        @Override
        public LogFile reuse(String spare, String name, long keepAtMost) throws IOException {
            return d.reuse(spare, name, keepAtMost);
        }

        @Override
        public void syncDirectory() throws IOException {
            d.syncDirectory();
        }

        @Override
        public StorageLock lock(String name) throws IOException {
            return d.lock(name);
        }

        @Override
        public String describe(String name) {
            return d.describe(name);
        }
    }
}
