package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.pagestore.storage.DiskSpace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An exhausted disk quota under the write buffer (EDQUOT) is named as a quota, not as a full disk, with the path and
 * what to do (field probes, round 8). Before, the message said "no space left on the disk of write buffer ...", which
 * sends its reader to free space the file system already has. The errno is real: a FUSE pass-through
 * ({@code zero-statfs-fuse.py} with a byte quota) answers EDQUOT through the kernel once the quota is used, and the
 * JDK reports it as for a real quota ("Disk quota exceeded"); this kernel has no CONFIG_QUOTA, so ext4/XFS/tmpfs
 * quotas cannot be set up here. Skipped only where FUSE cannot be mounted.
 */
class DiskQuotaMessageTest {
    static final int PS = 4096;

    @TempDir
    Path dir;

    @Test
    void theMessageNamesTheQuotaThePathAndWhatToDo() {
        Path file = dir.resolve("app.buffer");
        String quota = DiskSpace.fullMessage(new IOException("Disk quota exceeded"), file, 8192, 4096);
        assertThat(quota).startsWith("disk quota exceeded writing 8192 bytes at offset 4096 of " + file)
                .contains("bytes free", "quota of user", "quota -s", "LITESTREAM_BUFFER_PATH");
        assertThat(DiskSpace.fullMessage(new IOException("No space left on device"), file, 8192, 4096))
                .isEqualTo("no space left for 8192 bytes at offset 4096 of " + file + ": No space left on device");
    }

    @Test
    void aBufferOverItsQuotaSaysSoAndKeepsTheCommitsBefore() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a FUSE file system needs root here");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse");
        assumeTrue(new ProcessBuilder("/usr/bin/python3", "-c", "import fusepy").start().waitFor() == 0,
                "python3-fusepy is not installed");
        Path script = Path.of(DiskQuotaMessageTest.class.getResource("/zero-statfs-fuse.py").toURI());
        Path back = Files.createDirectories(dir.resolve("back"));
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Process fuse = new ProcessBuilder("/usr/bin/python3", script.toString(), back.toString(), mnt.toString(),
                String.valueOf(256 * 1024)).redirectErrorStream(true).redirectOutput(dir.resolve("fuse.log").toFile())
                .start();
        try {
            boolean up = false;
            for (int i = 0; i < 200 && fuse.isAlive() && !up; i++) {
                up = Files.readString(Path.of("/proc/self/mounts")).contains(" " + mnt + " ");
                Thread.sleep(up ? 0 : 50);
            }
            assertThat(up).as("FUSE mount at %s; its log: %s", mnt, up ? "" : Files.readString(dir.resolve("fuse.log")))
                    .isTrue();
            Path buffer = mnt.resolve("app.buffer");
            java.util.Random random = new java.util.Random(7);
            int committed = 0;
            BufferFullException full = null;
            try (WriteBuffer buf = WriteBuffer.open(buffer, TestSupport.options(PS, Durability.LOCAL, 3))) {
                for (int fill = 1; fill <= 200 && full == null; fill++) {
                    try {
                        try (WriteTransaction tx = buf.begin()) { // random pages: constant ones compress to bytes
                            for (long pgno = 1; pgno <= 2; pgno++) {
                                byte[] page = new byte[PS];
                                random.nextBytes(page);
                                tx.writePage(pgno, page);
                            }
                            tx.commit(2);
                        }
                        committed++;
                    } catch (BufferFullException e) {
                        full = e;
                    }
                }
                assertThat(full).as("the quota was reached").isNotNull();
                assertThat(full.getMessage()).startsWith("disk quota exceeded for write buffer " + buffer)
                        .contains("the commits before it are kept", "Disk quota exceeded", "quota of user",
                                "quota -s", "LITESTREAM_BUFFER_PATH")
                        .doesNotContain("no space left on the disk");
                assertThat(buf.transactions()).hasSize(committed);
            }
            try (WriteBuffer buf = WriteBuffer.open(new dev.ltx4j.pagestore.storage.FileLogStorage(back),
                    "app.buffer", TestSupport.options(PS, Durability.LOCAL, 3))) {
                assertThat(buf.transactions()).as("every commit before the quota, read back").hasSize(committed);
            }
        } finally {
            new ProcessBuilder("fusermount", "-u", mnt.toString()).inheritIO().start().waitFor();
            if (!fuse.waitFor(10, TimeUnit.SECONDS)) {
                fuse.destroy();
                fuse.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
