package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native CRC-64 is installed in the JVM the extension boots inside sqlite3 and python3 (the C side binds it
 * wherever the library meets a JVM), and {@code -Dltx4j.crc64.native=false} in LITESTREAM_JVM_OPTS keeps the Java
 * code; the debug log line says which one runs.
 */
class NativeCrc64HostsTest {
    private static final String NATIVE = "DEBUG dev.ltx4j.vfs.internal.NativeCrc64 CRC-64: native-pclmul";
    private static final String JAVA_BY_PROPERTY = "DEBUG dev.ltx4j.vfs.internal.NativeCrc64 CRC-64: java "
            + "(ltx4j.crc64.native=false)";

    @TempDir
    static Path root;
    static HostFixture dist;

    @BeforeAll
    static void layout() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "the accelerator is x86-64 only");
        assumeTrue(Files.readString(Path.of("/proc/cpuinfo")).contains(" pclmulqdq"), "no PCLMULQDQ here");
        dist = HostFixture.create(root, true);
    }

    private static Map<String, String> env() throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        env.put("LITESTREAM_LOG_LEVEL", "debug");
        return env;
    }

    private static String sqlite3Script() {
        return ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\nselect 41 + 1;\n";
    }

    @Test
    void sqlite3HostRunsTheNativeCrc() throws Exception {
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env(), sqlite3Script(), root);
        assertThat(r.out().strip()).isEqualTo("42");
        assertThat(r.err()).contains(NATIVE);
    }

    @Test
    void sqlite3HostWithThePropertyOffRunsJava() throws Exception {
        Map<String, String> env = env();
        env.put("LITESTREAM_JVM_OPTS", "-Dltx4j.crc64.native=false");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, sqlite3Script(), root);
        assertThat(r.out().strip()).isEqualTo("42");
        assertThat(r.err()).contains(JAVA_BY_PROPERTY).doesNotContain(NATIVE);
    }

    @Test
    void pythonHostRunsTheNativeCrc() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        HostFixture.Result r = run(cmd(PYTHON3, "-c", "import sqlite3, sys\n"
                + "c = sqlite3.connect(':memory:')\n"
                + "c.enable_load_extension(True)\n"
                + "c.load_extension(sys.argv[1])\n"
                + "print(c.execute('select 41 + 1').fetchone()[0])\n", dist.so), env(), "", root);
        assertThat(r.out().strip()).isEqualTo("42");
        assertThat(r.err()).contains(NATIVE);
    }

    /**
     * A malformed width (environment or system property) is read while the library loads, before logging: it was
     * ignored without a word ({@code 256x} was even taken as 256 by the C side). Now ignored and reported at warn,
     * naming the value and the accepted ones; the load goes on.
     */
    @Test
    void aMalformedWidthIsReportedAndTheLoadGoesOn() throws Exception {
        Map<String, String> env = env();
        env.put("LTX4J_CRC64_WIDTH", "256x");
        env.put("LITESTREAM_JVM_OPTS", "-Dltx4j.crc64.width=wide");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, sqlite3Script(), root);
        assertThat(r.out().strip()).isEqualTo("42");
        assertThat(r.err()).contains("WARN dev.ltx4j.vfs.internal.NativeCrc64 CRC-64: ignoring -Dltx4j.crc64.width="
                + "\"wide\"; ignoring LTX4J_CRC64_WIDTH=\"256x\": the accepted values are 128, 256 and 512")
                .contains(NATIVE);
        if (Files.readString(Path.of("/proc/cpuinfo")).contains(" vpclmulqdq")) {
            assertThat(r.err()).as("256x is not a width: the CPU's widest stays").contains("up to ")
                    .doesNotContain("up to 256-bit");
        }
    }

    @Test
    void aGoodWidthIsNotReported() throws Exception {
        Map<String, String> env = env();
        env.put("LTX4J_CRC64_WIDTH", " 128 ");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, sqlite3Script(), root);
        assertThat(r.out().strip()).isEqualTo("42");
        assertThat(r.err()).contains(NATIVE).doesNotContain("WARN").doesNotContain("up to ");
    }
}
