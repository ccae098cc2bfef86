package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static dev.ltx4j.pagestore.TestSupport.page;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The buffer on a real file system through FileChannel. */
class FileWriteBufferTest {
    private static final boolean POSIX =
            FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    @TempDir
    Path dir;

    @Test
    void realDiskRoundTripWithMarkSyncedAndReopen() throws Exception {
        Path path = dir.resolve("buffer.db");
        Workload w = Workload.random(61, 4096, 40, 5, 30);
        try (WriteBuffer buffer = WriteBuffer.open(path, options(4096, Durability.LOCAL, 61))) {
            w.apply(buffer, 0, 30);
            SyncSnapshot snap = buffer.snapshot();
            buffer.markSynced(snap.upToSeq() - 10, 100, 0);
            w.apply(buffer, 30, 40);
            w.assertHolds(buffer, 20, 40, 21);
        }
        try (WriteBuffer reopened = WriteBuffer.open(path, options(4096, Durability.LOCAL, 62))) {
            assertThat(reopened.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.CLEAN_END);
            assertThat(reopened.base().txid()).isEqualTo(100);
            w.assertHolds(reopened, 20, 40, 21);
        }
        assertThat(Files.exists(dir.resolve("buffer.db.next"))).isFalse();
    }

    @Test
    void aRewriteLeavesRoomForTheNextIntervalSoCommitsDoNotExtendTheNewFile() throws Exception {
        Path path = dir.resolve("buffer.db");
        Workload w = Workload.random(63, 4096, 200, 5, 200);
        try (WriteBuffer buffer = WriteBuffer.open(path, options(4096, Durability.LOCAL, 63))) {
            w.apply(buffer, 0, 100);
            long grown = buffer.logSize();
            SyncSnapshot snap = buffer.snapshot();
            buffer.markSynced(snap.upToSeq(), 100, 0);
            long room = Files.size(path);
            // The syncing thread zero-filled (and forced) room for as much as the last interval appended, a quarter
            // more: the commits of the next interval land inside it, and their fdatasyncs flush their own bytes.
            assertThat(room).isGreaterThanOrEqualTo(grown + grown / 4);
            w.apply(buffer, 100, 200);
            assertThat(buffer.logSize()).isLessThan(room);
            assertThat(Files.size(path)).as("no commit extended the file").isEqualTo(room);
            w.assertHolds(buffer, 100, 200, 101);
            // What a kill -9 now leaves (the page cache survives it): records, then the rest of the room as zeros.
            Files.copy(path, dir.resolve("crashed.db"));
        }
        try (WriteBuffer crashed = WriteBuffer.open(dir.resolve("crashed.db"), options(4096, Durability.LOCAL, 65))) {
            assertThat(crashed.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.TORN_TAIL);
            assertThat(crashed.recovery().corruptionDetected()).isFalse();
            w.assertHolds(crashed, 100, 200, 101);
        }
        try (WriteBuffer reopened = WriteBuffer.open(path, options(4096, Durability.LOCAL, 64))) {
            assertThat(reopened.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.CLEAN_END);
            w.assertHolds(reopened, 100, 200, 101);
        }
    }

    @Test
    void snapshotCursorReadsWhatReadPageReadsAcrossScatteredAndRunsOfRecords() throws Exception {
        Path path = dir.resolve("buffer.db");
        // Pages rewritten by later transactions leave their latest images scattered (offsets not ascending with
        // page numbers), big transactions leave runs of neighbours, which the cursor reads in one go (over 256
        // KiB: several windows).
        Workload w = Workload.random(71, 1024, 400, 12, 120);
        try (WriteBuffer buffer = WriteBuffer.open(path, options(1024, Durability.LOCAL, 71))) {
            w.apply(buffer, 0, 120);
            try (WriteTransaction tx = buffer.begin()) {
                for (long p = 1; p <= 400; p++) {
                    tx.writePage(p, page(1024, (int) p * 3));
                }
                for (long p = 5; p <= 400; p += 37) {
                    tx.writePage(p, page(1024, (int) p * 5)); // a later image of the same page in one transaction
                }
                tx.commit(400);
            }
            SyncSnapshot snap = buffer.snapshot();
            assertThat(snap.pageCount()).isEqualTo(400);
            SyncSnapshot.Cursor cursor = snap.cursor();
            byte[] expected = new byte[1024];
            byte[] actual = new byte[1024];
            for (int i = 0; i < snap.pageCount(); i++) {
                snap.readPage(i, expected);
                cursor.read(i, actual);
                assertThat(actual).as("page %d", snap.pgno(i)).isEqualTo(expected);
            }
            for (int i = snap.pageCount() - 1; i >= 0; i -= 7) { // backwards and skipping: refills, same bytes
                snap.readPage(i, expected);
                cursor.read(i, actual);
                assertThat(actual).as("page %d again", snap.pgno(i)).isEqualTo(expected);
            }
            buffer.markSynced(snap.upToSeq(), 100, 0);
            assertThatThrownBy(() -> snap.cursor().read(0, actual)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no longer valid");
        }
    }

    @Test
    void tornTailOnDiskIsTruncatedAway() throws Exception {
        Path path = dir.resolve("buffer.db");
        Workload w = Workload.random(63, 1024, 5, 3, 10);
        try (WriteBuffer buffer = WriteBuffer.open(path, options(1024, Durability.NONE, 63))) {
            w.apply(buffer, 0, 5);
        }
        long size = Files.size(path);
        try (var ch = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(size - 7);
        }
        try (WriteBuffer reopened = WriteBuffer.open(path, options(1024, Durability.NONE, 64))) {
            assertThat(reopened.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.TORN_TAIL);
            w.assertHolds(reopened, 0, 4, 1);
            assertThat(Files.size(path)).isEqualTo(reopened.recovery().validLength());
        }
    }

    @Test
    void createdFilesAndDirectoriesAreOwnerOnly() throws Exception {
        assumeTrue(POSIX, "POSIX permissions");
        Path path = dir.resolve("buffer.db");
        try (WriteBuffer buffer = WriteBuffer.open(path, options(512, Durability.LOCAL, 65))) {
            TestSupport.commit(buffer, 1, new long[] {1}, 1);
            buffer.markSynced(1, 1, 0); // the rewritten generation is created owner-only too
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("buffer.db.lock"))))
                    .isEqualTo("rw-------");
        }
        Path created = dir.resolve("a").resolve("b");
        BufferPaths.createPrivateDirectory(created);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created))).isEqualTo("rwx------");
    }

    @Test
    void defaultPathIsPrivatePerDatabaseAndStable() {
        Path tmp = Path.of("/tmp");
        Path a = BufferPaths.defaultPath(tmp, "alice", "s3://bucket/db", "app.db");
        assertThat(a).isEqualTo(BufferPaths.defaultPath(tmp, "alice", "s3://bucket/db", "app.db"));
        assertThat(a).isNotEqualTo(BufferPaths.defaultPath(tmp, "alice", "s3://bucket/db", "other.db"));
        assertThat(a).isNotEqualTo(BufferPaths.defaultPath(tmp, "alice", "s3://bucket/db2", "app.db"));
        assertThat(a.getParent()).isEqualTo(tmp.resolve("ltx4j-alice"));
        assertThat(a.getFileName().toString()).matches("[0-9a-f]{32}\\.ltx4j-buffer");
        assertThat(BufferPaths.defaultPath(tmp, "../evil", "u", "d").getParent().getFileName().toString())
                .isEqualTo("ltx4j-.._evil");
        assertThat(BufferPaths.resolve("/data/buffer.db", "u", "d")).isEqualTo(Path.of("/data/buffer.db"));
    }

    @Test
    void openDefaultCreatesThePrivateDirectory() throws Exception {
        String previous = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", dir.toString());
        try (WriteBuffer buffer = WriteBuffer.openDefault("file:///replica", "db", options(512, Durability.NONE, 66))) {
            assertThat(Path.of(buffer.location()).getParent().getParent()).isEqualTo(dir.toAbsolutePath());
        } finally {
            System.setProperty("java.io.tmpdir", previous);
        }
    }

    @Test
    void missingOrNonDirectoryParentFailsWithTheSeedWording() throws Exception {
        Path missing = dir.resolve("nope").resolve("buffer.db");
        assertThatThrownBy(() -> WriteBuffer.open(missing, options(512, Durability.NONE, 1)))
                .isInstanceOf(BufferPathException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("does not exist")
                .hasMessageContaining("ensure the buffer directory exists and is writable");
        Path file = Files.writeString(dir.resolve("plain"), "x");
        Path under = file.resolve("buffer.db");
        assertThatThrownBy(() -> WriteBuffer.open(under, options(512, Durability.NONE, 1)))
                .isInstanceOf(BufferPathException.class)
                .hasMessageContaining("is not a directory")
                .hasMessageContaining("Permission errors on buffer path");
    }

    @Test
    void unwritableDirectoryFailsWithTheSeedWording() throws Exception {
        assumeTrue(POSIX, "POSIX permissions");
        Path locked = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-x------"));
        try {
            assumeTrue(!Files.isWritable(locked), "running as a user that ignores permissions (root)");
            assertThatThrownBy(() -> WriteBuffer.open(locked.resolve("buffer.db"), options(512, Durability.NONE, 1)))
                    .isInstanceOf(BufferPathException.class)
                    .hasMessageContaining("not writable")
                    .hasMessageContaining("ensure the buffer directory exists and is writable");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void secondOwnerInThisProcessIsRefused() throws Exception {
        Path path = dir.resolve("buffer.db");
        try (WriteBuffer buffer = WriteBuffer.open(path, options(512, Durability.NONE, 67))) {
            assertThatThrownBy(() -> WriteBuffer.open(path, options(512, Durability.NONE, 67)))
                    .isInstanceOf(BufferLockedException.class)
                    .hasMessageContaining(path.toString());
            assertThat(buffer.location()).isEqualTo(path.toAbsolutePath().toString());
        }
        WriteBuffer.open(path, options(512, Durability.NONE, 67)).close(); // released on close
    }

    /** A child JVM holds the lock file: this process must be refused, and vice versa. */
    @Test
    void anotherProcessHoldingTheBufferIsRefused() throws Exception {
        Path path = dir.resolve("buffer.db");
        Path lockFile = dir.resolve("buffer.db.lock");
        Path source = dir.resolve("HoldLock.java");
        Files.writeString(source, String.join("\n",
                "import java.nio.channels.FileChannel;",
                "import java.nio.file.*;",
                "public class HoldLock {",
                "  public static void main(String[] a) throws Exception {",
                "    try (FileChannel ch = FileChannel.open(Path.of(a[0]), StandardOpenOption.CREATE,",
                "        StandardOpenOption.READ, StandardOpenOption.WRITE)) {",
                "      var lock = ch.tryLock();",
                "      System.out.println(lock == null ? \"BUSY\" : \"LOCKED\");",
                "      System.out.flush();",
                "      if (lock != null) System.in.read();",
                "    }",
                "  }",
                "}"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

        Process child = new ProcessBuilder(java, source.toString(), lockFile.toString()).start();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("LOCKED");
            assertThatThrownBy(() -> WriteBuffer.open(path, options(512, Durability.NONE, 68)))
                    .isInstanceOf(BufferLockedException.class)
                    .hasMessageContaining("another process");
            child.getOutputStream().close(); // let the child exit and release
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }

        try (WriteBuffer buffer = WriteBuffer.open(path, options(512, Durability.NONE, 69))) {
            Process probe = new ProcessBuilder(java, source.toString(), lockFile.toString()).start();
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(probe.getInputStream(), StandardCharsets.UTF_8))) {
                assertThat(out.readLine()).isEqualTo("BUSY");
                assertThat(probe.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                probe.destroyForcibly();
            }
            assertThat(buffer.transactions()).isEmpty();
        }
    }

    @Test
    void pageSizesAtBothEndsWorkOnDisk() throws Exception {
        for (int pageSize : new int[] {512, 65536}) {
            Path path = dir.resolve("ps" + pageSize);
            try (WriteBuffer buffer = WriteBuffer.open(path, options(pageSize, Durability.LOCAL, pageSize))) {
                try (WriteTransaction tx = buffer.begin()) {
                    tx.writePage(1, page(pageSize, 1));
                    tx.writePage(3, page(pageSize, 3));
                    tx.commit(3);
                }
            }
            try (WriteBuffer reopened = WriteBuffer.open(path, options(pageSize, Durability.LOCAL, 1))) {
                byte[] dst = new byte[pageSize];
                assertThat(reopened.readPage(3, dst)).isTrue();
                assertThat(dst).isEqualTo(page(pageSize, 3));
                // Format version 2: each page record is 24 bytes plus the page's LZ4 block, here smaller than a page.
                assertThat(Files.size(path)).isBetween(96 + 2L * 25 + 40, 96 + 2L * (12 + pageSize) + 40);
            }
        }
    }
}
