package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.vfs.internal.ExtractAndExit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JDK 24+ JVM that denies native access (--illegal-native-access=deny, a later JDK's default) refuses our
 * System.load; the error names the flag to add, not only the module the JVM's text names (docs/jdk-versions.md).
 * Skipped, saying so, without a JDK 24+ under /usr/lib/jvm or /opt.
 */
class NativeAccessDeniedTest {
    @TempDir
    Path root;

    @Test
    void aJvmDenyingNativeAccessGetsAnErrorNamingTheFlag() throws Exception {
        Path java = VirtualThreadsTest.newerJava(24);
        List<String> cmd = List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                "--illegal-native-access=deny", "-Dltx4j.vfs.library=" + System.getProperty("ltx4j.vfs.library"),
                "-Xshare:auto", "-XX:TieredStopAtLevel=1", ExtractAndExit.class.getName(), root.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isNotZero();
        assertThat(out).contains("the litestream VFS cannot load its native library",
                "this JVM denies native access", "start it with --enable-native-access=ALL-UNNAMED");
    }
}
