package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe (docs/field-probes.md, round 5): a buffer whose file cannot be opened for writing although its
 * directory can be written (an ext4 the kernel switched to read-only after an I/O error still says "rw" to
 * access(2); an immutable file) held acknowledged transactions. The open said only
 * "FileSystemException: ...: Read-only file system"; it now says the transactions are still in the file and how to
 * get them uploaded (a copy on a writable disk, named by buffer_path). The immutable flag on a tmpfs stands in for
 * the read-only disk: the same path, a FileSystemException at the buffer's open.
 */
class UnwritableBufferAdviceTest {
    @TempDir
    Path dir;

    private static int run(String... cmd) throws Exception {
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }

    @Test
    void anExistingBufferThatCannotBeOpenedForWritingSaysItsTransactionsAreKeptAndHowToUploadThem() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs and chattr need root");
        Path disk = Files.createDirectories(dir.resolve("disk"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk.toString()) == 0,
                "cannot mount a tmpfs here");
        Path path = disk.resolve("app.buffer");
        try {
            try (WriteBuffer b = WriteBuffer.open(path, options(512, Durability.LOCAL, 5))) {
                TestSupport.commit(b, 1, new long[] {1, 2}, 7);
            }
            assumeTrue(run("chattr", "+i", path.toString()) == 0, "chattr +i does not work on this tmpfs");
            try {
                assertThatThrownBy(() -> WriteBuffer.open(path, options(512, Durability.LOCAL, 5)).close())
                        .isInstanceOf(BufferPathException.class)
                        .satisfies(e -> System.out.println("open: " + e.getMessage()))
                        .hasMessageContaining("write buffer " + path + " exists but cannot be opened for writing")
                        .hasMessageContaining("unsynced transactions, if any, are still in it")
                        .hasMessageContaining("copy " + path + " to a writable disk")
                        .hasMessageContaining("buffer_path");
            } finally {
                run("chattr", "-i", path.toString());
            }
            // What the advice says works: a copy opens with its transaction.
            Path copy = Files.copy(path, dir.resolve("copy.buffer"));
            try (WriteBuffer b = WriteBuffer.open(copy, options(512, Durability.LOCAL, 5))) {
                assertThat(b.transactions()).hasSize(1);
            }
        } finally {
            run("umount", disk.toString());
        }
    }
}
