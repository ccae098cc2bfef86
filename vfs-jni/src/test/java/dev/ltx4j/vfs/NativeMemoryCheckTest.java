package dev.ltx4j.vfs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The C shim under AddressSanitizer (gcc's libasan; the check runs without it when gcc lacks it): the small host
 * {@code src/test/c/vfshost.c} loads the shim, boots a JVM, and drives opens, writes, reads larger than the
 * scratch buffer (which SQLite never does, so only this host makes the buffer grow), pragmas, functions, refused
 * opens and closes. With {@code LITESTREAM_VFS_TEST_FAULTS=set-buffer} Java refuses every larger buffer: the old
 * shim then freed the buffer Java kept using and served stale bytes.
 */
class NativeMemoryCheckTest {
    private static final Path MODULE = Path.of("").toAbsolutePath(); // surefire runs in the module directory

    @TempDir
    static Path root;
    static Path host;
    static Path shim;
    static boolean sanitized;

    @BeforeAll
    static void build() throws Exception {
        assumeTrue(Files.exists(Path.of("/usr/include/sqlite3.h")), "no SQLite headers");
        Path jdk = Path.of(System.getProperty("java.home"));
        assumeTrue(Files.exists(jdk.resolve("include/jni.h")), "no JDK headers");
        sanitized = compile(true);
        if (!sanitized) assumeTrue(compile(false), "cannot compile the native check");
    }

    private static boolean compile(boolean asan) throws Exception {
        Path jdk = Path.of(System.getProperty("java.home"));
        List<String> flags = new ArrayList<>(List.of("gcc", "-std=gnu11", "-g", "-O1", "-Wall"));
        if (asan) flags.addAll(List.of("-fsanitize=address", "-fno-omit-frame-pointer"));
        host = root.resolve("vfshost");
        shim = root.resolve("litestream-vfs.so");
        List<String> so = new ArrayList<>(flags);
        so.addAll(List.of("-fPIC", "-shared", "-fvisibility=hidden", "-I/usr/include", "-I" + jdk.resolve("include"),
                "-I" + jdk.resolve("include/linux"), "-o", shim.toString(), MODULE.resolve("src/main/c/litestreamvfs.c").toString(),
                MODULE.resolve("src/main/c/crc64clmul.c").toString(), "-ldl", "-lpthread"));
        List<String> exe = new ArrayList<>(flags);
        exe.addAll(List.of("-o", host.toString(), MODULE.resolve("src/test/c/vfshost.c").toString(), "-lsqlite3"));
        HostFixture.Result a = run(so, HostFixture.baseEnvironment(), "", root);
        HostFixture.Result b = a.exit() == 0 ? run(exe, HostFixture.baseEnvironment(), "", root) : a;
        if (b.exit() != 0) System.out.println("native check: compile " + (asan ? "with ASan " : "") + "failed: " + b.err());
        return b.exit() == 0;
    }

    private HostFixture.Result drive(String faults, Path dir) throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("ASAN_OPTIONS", "handle_segv=0:allow_user_segv_handler=1:detect_leaks=0:abort_on_error=0");
        if (faults != null) env.put("LITESTREAM_VFS_TEST_FAULTS", faults);
        Files.createDirectories(dir);
        HostFixture.Result r = run(cmd(host, shim, dir, dir.resolve("replica").toUri()), env, "", dir);
        System.out.printf("MEASURE native check%s (%s): %d ms%n", faults == null ? "" : " with " + faults,
                sanitized ? "AddressSanitizer" : "no sanitizer", r.millis());
        return r;
    }

    @Test
    void openWriteReadGrowAndCloseAreCleanUnderTheSanitizer() throws Exception {
        HostFixture.Result r = drive(null, root.resolve("plain"));
        assertThat(r.err()).doesNotContain("AddressSanitizer").doesNotContain("FAIL");
        assertThat(r.out().strip()).as(r.err()).isEqualTo("ok");
        assertThat(r.exit()).isZero();
        // Each refused open printed its reason once.
        assertThat(r.err().lines().filter(l -> l.startsWith("litestream: cannot open \"")).count()).isEqualTo(4);
    }

    @Test
    void aBufferJavaRefusesNeverLeavesJavaOnFreedMemory() throws Exception {
        HostFixture.Result r = drive("set-buffer", root.resolve("faults"));
        assertThat(r.err()).doesNotContain("AddressSanitizer").doesNotContain("FAIL");
        assertThat(r.out().strip()).as(r.err()).isEqualTo("ok");
        assertThat(r.exit()).isZero();
    }
}
