package dev.ltx4j.vfs.internal;

import dev.ltx4j.vfs.LitestreamVfs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The natives C binds check their arguments: a null message or name used to be dereferenced by JNI
 * (GetArrayLength(NULL)) and crash the whole JVM. Runs in a child JVM, so a crash shows as its exit code.
 */
class NativeNullArgumentsTest {
    @TempDir
    Path dir;

    /** Child JVM: loads the VFS, calls the natives with null, prints {@code survived}. */
    public static void main(String[] args) throws Exception {
        LitestreamVfs.load();
        NativeBridge.nativeLog(1, null);
        int rc = NativeBridge.nativeRegisterVfs(null);
        System.out.println("survived " + rc);
    }

    @Test
    void nullArgumentsAreRefusedNotDereferenced() throws Exception {
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED",
                "-Dltx4j.vfs.library=" + System.getProperty("ltx4j.vfs.library"), "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + dir.resolve("hs_err.log"), NativeNullArgumentsTest.class.getName()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("survived 21"); // SQLITE_MISUSE
        assertThat(p.exitValue()).as(out).isZero();
    }
}
