package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The open makes the buffer directory's own entry durable by fsyncing its parent (docs/write-buffer-recovery.md,
 * "Power cuts"); a parent the user may only pass through (mode 0711, as systemd's {@code /var/lib/private} above a
 * {@code DynamicUser=} state directory) cannot be opened for that, and the open must still work, as it did before.
 * Run as user {@code nobody} (runuser) in a child JVM; only as root.
 */
class UnreadableParentTest {
    @Test
    void aBufferUnderAParentTheUserCannotReadOpens() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (runuser)");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runuser")), "no runuser");
        Path base = Files.createTempDirectory(Path.of("/tmp"), "ltx4j-unreadable-parent");
        try {
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path jars = Files.createDirectories(base.resolve("cp"));
            List<String> cp = new ArrayList<>();
            for (String key : List.of("jdk.module.path", "java.class.path")) {
                String v = System.getProperty(key);
                for (String entry : v == null || v.isEmpty() ? new String[0] : v.split(File.pathSeparator)) {
                    Path p = Path.of(entry);
                    if (Files.isRegularFile(p)) { // a jar, maybe under root's 0700 home: a copy nobody can read
                        Path copy = jars.resolve(cp.size() + "-" + p.getFileName());
                        Files.copy(p, copy, StandardCopyOption.REPLACE_EXISTING);
                        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                        cp.add(copy.toString());
                    } else { // target/classes, target/test-classes: nobody must be able to read them where they are
                        Process check = new ProcessBuilder("/usr/sbin/runuser", "-u", "nobody", "--", "test", "-r",
                                entry, "-a", "-x", entry).start();
                        assumeTrue(check.waitFor() == 0, "class directory " + entry + " is not readable by nobody "
                                + "(a 0700 directory above the work tree); this test runs the child as nobody");
                        cp.add(entry);
                    }
                }
            }
            Path priv = Files.createDirectories(base.resolve("private"));
            Path state = Files.createDirectories(priv.resolve("state"));
            Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
            Files.setOwner(state, state.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
            Process p = new ProcessBuilder("/usr/sbin/runuser", "-u", "nobody", "--",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    String.join(File.pathSeparator, cp), Child.class.getName(), state.resolve("db.buffer").toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(out).as(out).contains("opened NEW_FILE, committed 1").doesNotContain("Exception");
        } finally {
            try (Stream<Path> all = Files.walk(base)) {
                all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The child, as nobody: open a new buffer and commit once. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            try (WriteBuffer b = WriteBuffer.open(Path.of(args[0]), TestSupport.options(4096, Durability.LOCAL, 1))) {
                TestSupport.commit(b, 1, new long[] {1}, 1);
                System.out.println("opened " + b.recovery().tail() + ", committed " + b.transactions().size());
            }
        }
    }
}
