package dev.ltx4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where lz4-java cannot use its native library, its own fallback is the {@code sun.misc.Unsafe} implementation,
 * which JDK 24+ reports on stderr: an application server's or fat jar's class loader (lz4-java then never tries
 * native, as here), or a {@code java.io.tmpdir} it cannot extract to (a noexec /tmp: probed by hand, it needs a
 * mount). lz4-java 1.10's Unsafe user is its XXHash32 ({@code XXHash32JavaUnsafe}; its LZ4 "unsafe" instance is the
 * safe one), an older lz4-java's is its LZ4 too. On JDK 24+ ltx4j picks the safe Java implementations there
 * (docs/jdk-versions.md), and keeps the native ones where lz4-java loads them. Runs a child JVM of JDK 24+: this one,
 * or one under /usr/lib/jvm or /opt (CI has one when a JDK 24+ such as Temurin 25 is there; without one these tests
 * skip, saying so, and {@code .ci/run} prints a notice).
 */
class Lz4UnsafeWarningTest {
    @TempDir
    Path tmp;

    @Test
    void anApplicationClassLoaderGetsNoUnsafeWarningOnJdk24Plus() throws Exception {
        String out = runChild(List.of("-cp", codeSource(Lz4UnsafeChild.class).toString(),
                Lz4UnsafeChild.class.getName(), "loader", codeSource(Lz4.class).toUri().toString(),
                codeSource(LZ4Factory.class).toUri().toString()));
        // lz4-java 1.10's LZ4 "unsafe" instance is its safe one already; the Unsafe user left is XXHash32JavaUnsafe.
        assertThat(out).contains("round trip true").contains("LZ4JavaSafeCompressor").contains("XXHash32JavaSafe");
    }

    /** On the class path lz4-java loads its native library: JDK 24+ must keep it (not fall back to Java). */
    @Test
    void theClassPathStillGetsLz4sNativeLibraryOnJdk24Plus() throws Exception {
        String cp = codeSource(Lz4UnsafeChild.class) + File.pathSeparator + codeSource(Lz4.class)
                + File.pathSeparator + codeSource(LZ4Factory.class);
        String out = runChild(List.of("-Djava.io.tmpdir=" + tmp, "-cp", cp, Lz4UnsafeChild.class.getName()));
        assertThat(out).contains("round trip true").contains("LZ4JNICompressor").contains("XXHash32JNI");
    }

    /** Runs the child on JDK 24+ with native access enabled (that warning is not this test's); no WARNING line. */
    private String runChild(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(jdk24Plus().toString(), "--enable-native-access=ALL-UNNAMED",
                "-Xshare:auto", "-XX:TieredStopAtLevel=1"));
        cmd.addAll(args);
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child timed out: " + cmd);
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("child exit; stdout:\n%s\nstderr:\n%s", stdout, stderr).isZero();
        assertThat(stderr.lines()).as("the child's stderr (%s)", cmd).noneMatch(l -> l.startsWith("WARNING:"));
        return stdout;
    }

    private static Path codeSource(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** A {@code java} of JDK 24 or newer: this one, or the newest under /usr/lib/jvm or /opt. */
    static Path jdk24Plus() throws IOException {
        if (Runtime.version().feature() >= 24) return Path.of(System.getProperty("java.home"), "bin", "java");
        List<Path> found = new ArrayList<>();
        for (String root : List.of("/usr/lib/jvm", "/opt")) {
            Path r = Path.of(root);
            if (!Files.isDirectory(r)) continue;
            try (Stream<Path> s = Files.list(r)) {
                s.filter(d -> feature(d) >= 24 && Files.isExecutable(d.resolve("bin/java"))).forEach(found::add);
            }
        }
        found.sort(Comparator.comparingInt(Lz4UnsafeWarningTest::feature).reversed());
        assumeTrue(!found.isEmpty(), "no JDK 24+ (where sun.misc.Unsafe warns) for the child: this JVM is "
                + Runtime.version() + " and /usr/lib/jvm, /opt hold no JDK 24+ with a release file and bin/java");
        return found.get(0).resolve("bin").resolve("java");
    }

    /** JAVA_VERSION's feature number from the JDK's {@code release} file, 0 when unknown. */
    static int feature(Path jdk) {
        Path release = jdk.resolve("release");
        if (!Files.isRegularFile(release)) return 0;
        try {
            for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
