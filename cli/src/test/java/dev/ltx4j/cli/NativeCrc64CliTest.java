package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.ltx.Crc64;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The CLI loads the VFS library for its native CRC-64 (verify, restore, compaction and the simulator hash every page)
 * once a command runs, never for help or the version (the load cost every start ~50 ms), and
 * {@code -Dltx4j.crc64.native=false} keeps the Java code. Each case runs a fresh JVM: this test JVM may have loaded
 * the library already.
 */
class NativeCrc64CliTest {
    /** Runs the CLI with {@code args}, then prints the CRC-64 implementation in use. */
    public static void main(String[] args) {
        int code = Main.run(args);
        System.out.println("crc64=" + Crc64.implementation() + " exit=" + code);
    }

    /** A command that runs (and fails: the file does not exist), so it loads the library. */
    private static final List<String> RUNS = List.of("ltx", "verify", "/nonexistent/ltx4j-test/no.ltx");

    private static String runFresh(List<String> cliArgs, String... jvmArgs) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), NativeCrc64CliTest.class.getName()));
        cmd.addAll(cliArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return out.lines().filter(l -> l.startsWith("crc64=")).findFirst().orElse(out);
    }

    @Test
    void theCliRunsTheNativeCrcWhereTheCpuHasIt() throws Exception {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "the accelerator is x86-64 only");
        assumeTrue(Files.readString(Path.of("/proc/cpuinfo")).contains(" pclmulqdq"), "no PCLMULQDQ here");
        assertThat(runFresh(RUNS)).isEqualTo("crc64=native-pclmul exit=1");
        assertThat(runFresh(RUNS, "-Dltx4j.crc64.native=false")).isEqualTo("crc64=java exit=1");
    }

    @Test
    void helpAndVersionDoNotLoadTheLibrary() throws Exception {
        assertThat(runFresh(List.of("--version"))).isEqualTo("crc64=java exit=0");
        assertThat(runFresh(List.of("--help"))).isEqualTo("crc64=java exit=0");
        assertThat(runFresh(List.of("ltx", "verify", "--help"))).isEqualTo("crc64=java exit=0");
        assertThat(runFresh(List.of("help", "restore"))).isEqualTo("crc64=java exit=0");
    }
}
