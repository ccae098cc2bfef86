package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RestoreOutput}'s check as a process with more than one restore meets it (docs/time-travel.md, "Restore to a
 * file"): a second restore in the same process must not open the output's files (closing any descriptor of a file
 * drops every POSIX lock the process holds on it), and an output that is not a regular file is refused at the check.
 */
class RestoreOutputLocksTest {
    @TempDir
    Path tmp;

    /** Whether another process can lock {@code len} bytes of {@code f} at {@code pos} (python3's lockf: fcntl). */
    private static boolean lockableElsewhere(Path f, long pos, long len) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", String.join("\n",
                "import fcntl, os, sys",
                "fd = os.open(sys.argv[1], os.O_RDWR)",
                "try:",
                "    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, int(sys.argv[3]), int(sys.argv[2]))",
                "    print('free')",
                "except OSError:",
                "    print('locked')"), f.toString(), Long.toString(pos), Long.toString(len))
                .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor()).as(said).isZero();
        return said.equals("free");
    }

    @Test
    void aSecondRestoreInTheSameProcessIsRefusedAndTheFirstKeepsItsLocks() throws Exception {
        assumeThat(Path.of("/usr/bin/python3")).exists();
        Path out = tmp.resolve("app.db");
        Files.write(out, new byte[4096]);
        Path shm = tmp.resolve("app.db-shm");
        Files.write(shm, new byte[32768]);
        try (RestoreOutput first = RestoreOutput.check(out, true)) {
            assertThat(lockableElsewhere(out, 0x40000000L, 512)).as("the SQLite lock bytes, held").isFalse();
            assertThatThrownBy(() -> RestoreOutput.check(out, true)).isInstanceOf(IOException.class)
                    .hasMessageContaining("output " + out + " is being written by another ltx4j restore");
            // Before: the second check opened and closed its own descriptors, which dropped the first's locks.
            assertThat(lockableElsewhere(out, 0x40000000L + 1024, 1)).as("the restore byte, still held").isFalse();
            assertThat(lockableElsewhere(out, 0x40000000L, 512)).as("the SQLite lock bytes, still held").isFalse();
            assertThat(lockableElsewhere(shm, 128, 1)).as("the -shm's DMS byte, still held").isFalse();
        }
        assertThat(lockableElsewhere(out, 0x40000000L, 512)).as("released at close").isTrue();
        RestoreOutput.check(out, true).close(); // and a later restore here may take them again
    }

    @Test
    void aFifoAtTheOutputIsRefusedAtTheCheckEvenWithForce() throws Exception {
        Path fifo = tmp.resolve("pipe.db");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assumeThat(mk.waitFor()).isZero();
        assertThatThrownBy(() -> RestoreOutput.check(fifo, true)).isInstanceOf(IOException.class)
                .hasMessageContaining("output " + fifo + " is not a regular file");
        // Before: accepted here, then refused after the whole download as "created by another process".
        CliRun run = CliRun.of("restore", "--force", tmp.resolve("no-replica").toUri().toString(), "-o",
                fifo.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains(fifo + " is not a regular file");
        assertThat(Files.isRegularFile(fifo)).isFalse();
    }
}
