package dev.ltx4j.vfs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibraryTest {
    @TempDir
    Path tmp;

    @Test
    void selectsTheLibraryByOsAndArchitecture() throws IOException {
        assertThat(NativeLibrary.resource("Linux", "amd64")).isEqualTo("/native/linux-x86_64/liblitestreamvfs.so");
        assertThat(NativeLibrary.resource("Linux", "x86_64")).isEqualTo("/native/linux-x86_64/liblitestreamvfs.so");
        assertThat(NativeLibrary.resource("Linux", "aarch64")).isEqualTo("/native/linux-aarch64/liblitestreamvfs.so");
    }

    @Test
    void anUnsupportedPlatformIsNamedWithTheSupportedList() {
        assertThatThrownBy(() -> NativeLibrary.resource("Mac OS X", "aarch64"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("Mac OS X/aarch64")
                .hasMessageContaining("linux-x86_64, linux-aarch64")
                .hasMessageContaining(NativeLibrary.PATH_PROPERTY);
    }

    @Test
    void everyPlatformTheBuildProducedIsInTheJar() {
        // The host architecture is always built; the other one whenever its cross compiler is installed (CI).
        assertThat(NativeLibrary.class.getResource(hostResource())).isNotNull();
        if (Boolean.getBoolean("ltx4j.native.crossRequired")) {
            for (String platform : NativeLibrary.SUPPORTED) {
                assertThat(NativeLibrary.class.getResource("/native/" + platform + "/liblitestreamvfs.so"))
                        .as(platform).isNotNull();
            }
        }
    }

    @Test
    void extractsIntoAFreshOwnerOnlyDirectoryUnderTheGivenParent() throws IOException {
        Path first = NativeLibrary.extract(hostResource(), tmp);
        Path second = NativeLibrary.extract(hostResource(), tmp);
        assertThat(first.getParent().getParent()).isEqualTo(tmp);
        assertThat(first.getParent()).isNotEqualTo(second.getParent());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.getParent()))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first))).isEqualTo("r-x------");
        assertThat(Files.size(first)).isPositive();
    }

    @Test
    void aMissingExtractionDirectoryIsNamed() {
        Path missing = tmp.resolve("nope");
        assertThatThrownBy(() -> NativeLibrary.extract(hostResource(), missing))
                .hasMessageContaining(missing.toString())
                .hasMessageContaining(NativeLibrary.EXTRACT_DIR_PROPERTY);
    }

    /**
     * W13: the reference never removed its temp dir. The library is extracted into a fresh directory per JVM,
     * and both are gone once that JVM exits.
     */
    @Test
    void W13_theExtractionDirectoryIsRemovedWhenTheJvmExits() throws Exception {
        Path parent = Files.createDirectories(tmp.resolve("extract"));
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED",
                "-D" + NativeLibrary.EXTRACT_DIR_PROPERTY + "=" + parent, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                ExtractAndExit.class.getName(), parent.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove(NativeLibrary.PATH_ENV);
        pb.environment().remove(NativeLibrary.EXTRACT_DIR_ENV);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("extracted 1"); // it did extract, into its own directory
        try (Stream<Path> left = Files.list(parent)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aNoexecExtractionDirectoryIsNamedWithTheSettingToChange(@TempDir Path root) throws Exception {
        // A hardened container mounts /tmp noexec: dlopen then says only "failed to map segment from shared object".
        Path noexec = Files.createDirectories(root.resolve("noexec"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "noexec,size=16m", "tmpfs", noexec.toString())
                .redirectErrorStream(true).start();
        String mounted = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (runsAsRoot()) {
            assertThat(mount.waitFor()).as("mount as root (CI runs as root): " + mounted).isZero();
        } else {
            assumeTrue(mount.waitFor() == 0, "needs root to mount a noexec tmpfs");
        }
        try {
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED",
                    "-D" + NativeLibrary.EXTRACT_DIR_PROPERTY + "=" + noexec, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                    ExtractAndExit.class.getName(), noexec.toString());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().remove(NativeLibrary.PATH_ENV);
            pb.environment().remove(NativeLibrary.EXTRACT_DIR_ENV);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isNotZero();
            assertThat(out).contains("cannot load the litestream VFS library extracted to " + noexec,
                    "mounted noexec", NativeLibrary.EXTRACT_DIR_PROPERTY, NativeLibrary.EXTRACT_DIR_ENV,
                    NativeLibrary.PATH_PROPERTY);
        } finally {
            new ProcessBuilder("umount", noexec.toString()).inheritIO().start().waitFor();
        }
    }

    /** Round 7: java.io.tmpdir on a read-only mount named the directory, not the setting that moves the extraction. */
    @Test
    void aReadOnlyExtractionDirectoryIsNamedWithTheSettingToChange(@TempDir Path root) throws Exception {
        Path ro = Files.createDirectories(root.resolve("ro"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", ro.toString())
                .redirectErrorStream(true).start();
        String mounted = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (runsAsRoot()) {
            assertThat(mount.waitFor()).as("mount as root (CI runs as root): " + mounted).isZero();
        } else {
            assumeTrue(mount.waitFor() == 0, "needs root to mount a read-only tmpfs");
        }
        try {
            assertThatThrownBy(() -> NativeLibrary.extract(NativeLibrary.resource(), ro))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot extract the litestream VFS library into " + ro)
                    .hasMessageContaining("Read-only file system")
                    .hasMessageContaining(NativeLibrary.EXTRACT_DIR_PROPERTY)
                    .hasMessageContaining(NativeLibrary.EXTRACT_DIR_ENV)
                    .hasMessageContaining(NativeLibrary.PATH_PROPERTY);
        } finally {
            new ProcessBuilder("umount", ro.toString()).inheritIO().start().waitFor();
        }
    }

    /** Found in review: every load failure of a library in a directory named ltx4j-vfs-* got the noexec advice. */
    @Test
    void onlyAnExtractedCopyThatCannotBeExecutedGetsTheNoexecAdvice(@TempDir Path root) throws Exception {
        Path dir = Files.createDirectories(root.resolve("ltx4j-vfs-123"));
        Path notElf = Files.writeString(dir.resolve("liblitestreamvfs.so"), "not a shared object");
        Files.setPosixFilePermissions(notElf, PosixFilePermissions.fromString("r-x------"));
        for (boolean extracted : new boolean[] {true, false}) {
            assertThatThrownBy(() -> NativeLibrary.load(new NativeLibrary.Located(notElf, extracted)))
                    .as("extracted " + extracted).isInstanceOf(UnsatisfiedLinkError.class)
                    .hasMessageNotContaining("noexec");
        }
    }

    /** As root (CI) a mount that fails is a broken test environment, not a reason to skip. */
    static boolean runsAsRoot() throws IOException, InterruptedException {
        Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return id.waitFor() == 0 && uid.equals("0");
    }

    private static String hostResource() {
        try {
            return NativeLibrary.resource();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
