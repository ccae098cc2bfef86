package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ltx4j restore} into a file system too small for the database (a real tmpfs of 32 KiB, root): refused when
 * the snapshot's header shows it cannot fit, or stopped at the failing write, saying where and that the output was not
 * changed; nothing left on the small disk either way.
 */
class RestoreFullDiskTest {
    @TempDir
    Path tmp;

    private Path small;
    private String url;

    @BeforeEach
    void mountAndWrite() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting needs root");
        small = Files.createDirectories(tmp.resolve("small"));
        // As root a failed mount fails the test: it must not pass by skipping.
        assertThat(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", small.toString())
                .inheritIO().start().waitFor()).as("mount a 32 KiB tmpfs").isZero();
        url = tmp.resolve("replica").toUri().toString();
        CompactRetainCommandTest.writeWithEngine(url, Files.createDirectories(tmp.resolve("writer")), 40);
        Path full = tmp.resolve("full.db");
        assertThat(CliRun.of("restore", url, "-o", full.toString()).exitCode()).isZero();
        assertThat(Files.size(full)).as("the database outgrows the small disk").isGreaterThan(64 << 10);
    }

    @AfterEach
    void unmount() throws Exception {
        if (small != null) {
            new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
        }
    }

    private long entries() throws Exception {
        try (Stream<Path> s = Files.list(small)) {
            return s.count();
        }
    }

    @Test
    void aChainThatOutgrowsTheDiskFailsAtTheWriteNamingIt() throws Exception {
        Path out = small.resolve("out.db");
        CliRun run = CliRun.of("restore", url, "-o", out.toString()); // the first file is small; later ones grow it
        assertThat(run.exitCode()).isEqualTo(1);
        // Before: "ltx4j: No space left on device", no path, no word about out.db.
        assertThat(run.err()).contains("cannot write the restored database " + small.resolve("out.db."))
                .contains("No space left on device").contains(out + " was not changed");
        assertThat(entries()).as("files left on the small disk").isZero();
    }

    @Test
    void aSnapshotLargerThanTheFreeSpaceIsRefusedBeforeItIsWritten() throws Exception {
        assertThat(CliRun.of("compact", url).exitCode()).isZero(); // a level-9 snapshot of the whole database
        Path out = small.resolve("out.db");
        CliRun run = CliRun.of("restore", url, "-o", out.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("not enough space to restore " + out).contains("bytes free")
                .contains(out + " was not changed");
        assertThat(entries()).isZero();
    }
}
