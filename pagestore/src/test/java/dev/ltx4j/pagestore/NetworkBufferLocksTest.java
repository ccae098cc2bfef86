package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write buffer on a file system that refuses POSIX record locks (field probes, round 8: an NFSv3 mount with
 * {@code nolock} or without rpc.statd/lockd answers ENOLCK; this kernel has neither NFS nor SMB, so a FUSE pass-through
 * that answers every lock with ENOLCK stands in: the errno is real, through the kernel's fcntl). Before, the open failed
 * with the JDK's bare "No locks available" and no path; now it names the lock file, says why the buffer is not used
 * and what to do. Skipped only where FUSE cannot be mounted.
 */
class NetworkBufferLocksTest {
    @TempDir
    Path dir;

    @Test
    void aFileSystemWithoutLocksIsRefusedNamingTheLockFileAndWhatToDo() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a FUSE file system needs root here");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse");
        assumeTrue(new ProcessBuilder("/usr/bin/python3", "-c", "import fusepy").start().waitFor() == 0,
                "python3-fusepy is not installed");
        Path script = Path.of(NetworkBufferLocksTest.class.getResource("/zero-statfs-fuse.py").toURI());
        Path back = Files.createDirectories(dir.resolve("back"));
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Process fuse = new ProcessBuilder("/usr/bin/python3", script.toString(), back.toString(), mnt.toString(), "-",
                "nolocks").redirectErrorStream(true).redirectOutput(dir.resolve("fuse.log").toFile()).start();
        try {
            boolean up = false;
            for (int i = 0; i < 200 && fuse.isAlive() && !up; i++) {
                up = Files.readString(Path.of("/proc/self/mounts")).contains(" " + mnt + " ");
                Thread.sleep(up ? 0 : 50);
            }
            assertThat(up).as("FUSE mount at %s; its log: %s", mnt, up ? "" : Files.readString(dir.resolve("fuse.log")))
                    .isTrue();
            Path buffer = mnt.resolve("app.buffer");
            assertThatThrownBy(() -> WriteBuffer.open(buffer, TestSupport.options(4096, Durability.LOCAL, 1)))
                    .hasMessageStartingWith(buffer + ".lock: cannot lock it (No locks available): the file system"
                            + " under the write buffer refuses POSIX record locks")
                    .hasMessageContaining("NFS", "LITESTREAM_BUFFER_PATH");
            assertThat(buffer).as("no buffer made where it cannot be locked").doesNotExist();
        } finally {
            new ProcessBuilder("fusermount", "-u", mnt.toString()).inheritIO().start().waitFor();
            if (!fuse.waitFor(10, TimeUnit.SECONDS)) {
                fuse.destroy();
                fuse.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
