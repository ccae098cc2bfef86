package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    /** What runs while the buffer's file cannot be opened for writing (immutable on a tmpfs). */
    private interface WhileUnwritable {
        void run(Path buffer) throws Exception;
    }

    /** A buffer holding one transaction, made immutable for {@code check}; a copy of it afterwards, or null. */
    private Path unwritableBuffer(WhileUnwritable check) throws Exception {
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
                check.run(path);
            } finally {
                run("chattr", "-i", path.toString());
            }
            return Files.copy(path, dir.resolve("copy.buffer"));
        } finally {
            run("umount", disk.toString());
        }
    }

    @Test
    void anExistingBufferThatCannotBeOpenedForWritingSaysItsTransactionsAreKeptAndHowToUploadThem() throws Exception {
        Path copy = unwritableBuffer(path -> assertThatThrownBy(
                () -> WriteBuffer.open(path, options(512, Durability.LOCAL, 5)).close())
                .isInstanceOf(BufferPathException.class)
                .satisfies(e -> System.out.println("open: " + e.getMessage()))
                .hasMessageContaining("write buffer " + path + " exists but cannot be opened for writing")
                .hasMessageContaining("unsynced transactions, if any, are still in it")
                .hasMessageContaining("copy " + path + " to a writable disk")
                .hasMessageContaining("buffer_path"));
        // What the advice says works: a copy opens with its transaction.
        try (WriteBuffer b = WriteBuffer.open(copy, options(512, Durability.LOCAL, 5))) {
            assertThat(b.transactions()).hasSize(1);
        }
    }

    /**
     * Under a German C library locale the JDK's reason is translated; the advice does not depend on it. Its own test,
     * so a machine without the locale skips only this (.ci/run makes sure CI has it).
     */
    @Test
    void theAdviceHoldsUnderAGermanLocale() throws Exception {
        Process l = new ProcessBuilder("locale", "-a").redirectErrorStream(true).start();
        String locales = new String(l.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        l.waitFor();
        assumeTrue(locales.lines().anyMatch(x -> x.equalsIgnoreCase("de_DE.utf8")), "no de_DE.UTF-8 locale");
        unwritableBuffer(path -> assertThat(child("de_DE.UTF-8", path))
                .contains("Die Operation ist nicht erlaubt") // the translated EPERM
                .contains("write buffer " + path + " exists but cannot be opened for writing")
                .contains("unsynced transactions, if any, are still in it"));
    }

    /** Opens {@code buffer} in a JVM under the given C library locale; what it printed. */
    private static String child(String locale, Path buffer) throws Exception {
        List<String> cp = new ArrayList<>();
        for (String key : List.of("jdk.module.path", "java.class.path")) {
            String v = System.getProperty(key);
            if (v != null && !v.isEmpty()) {
                cp.add(v);
            }
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", String.join(File.pathSeparator, cp), Child.class.getName(), buffer.toString())
                .redirectErrorStream(true);
        pb.environment().put("LC_ALL", locale);
        pb.environment().put("LANG", locale);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        System.out.println(locale + ": " + out);
        return out;
    }

    /** The child JVM: opens the buffer given and prints the failure's class and message. */
    public static final class Child {
        public static void main(String[] args) {
            try (WriteBuffer b = WriteBuffer.open(Path.of(args[0]), options(512, Durability.LOCAL, 5))) {
                System.out.println("opened?!");
            } catch (Exception e) {
                System.out.println(e.getClass().getName() + ": " + e.getMessage());
            }
        }
    }
}
