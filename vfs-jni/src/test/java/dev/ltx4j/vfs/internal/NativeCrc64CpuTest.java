package dev.ltx4j.vfs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * crc64clmul.c on CPUs this machine is not: compiled into a small probe ({@code src/test/c/crc64-cpu-probe.c}) and
 * run under qemu as an x86-64 CPU without PCLMULQDQ (the table path, never SIGILL), as one with it, as ones with AVX2 but
 * without VPCLMULQDQ (the 128-bit folding, never the ymm/zmm code), natively at every width, and as aarch64 with
 * PMULL ({@code crc64pmull.c}) and without, each checked against the bit-at-a-time definition.
 */
class NativeCrc64CpuTest {
    private static final Path PROBE = Path.of("src/test/c/crc64-cpu-probe.c").toAbsolutePath();
    private static final Path QEMU_X86 = Path.of("/usr/bin/qemu-x86_64-static");
    private static final Path QEMU_ARM = Path.of("/usr/bin/qemu-aarch64-static");

    @TempDir
    Path dir;

    private static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
        return out;
    }

    /** The probe's result line (qemu prints warnings about CPU features its TCG lacks before it). */
    private static String lastLine(String out) {
        return out.substring(out.lastIndexOf('\n') + 1);
    }

    private Path compile(String cc, String name, String... extra) throws Exception {
        Path jdk = Path.of(System.getProperty("java.home"));
        assumeTrue(Files.isRegularFile(jdk.resolve("include/jni.h")), "no jni.h in " + jdk);
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of(cc, "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror",
                "-Wno-unused-parameter", "-I" + jdk.resolve("include"), "-I" + jdk.resolve("include/linux"), "-o",
                out.toString(), PROBE.toString()));
        cmd.addAll(List.of(extra));
        run(cmd);
        return out;
    }

    private static boolean onPath(String tool) throws IOException {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void x86WithoutPclmulUsesTheTableAndWithItTheFolding() throws Exception {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "an x86-64 build host");
        Path probe = compile("gcc", "probe-x86");
        assertThat(run(List.of(probe.toString()))).endsWith("mismatches=0"); // every width this CPU runs
        assumeTrue(Files.isExecutable(QEMU_X86), "no qemu-x86_64-static");
        assertThat(run(List.of(QEMU_X86.toString(), "-cpu", "qemu64", probe.toString())))
                .isEqualTo("clmul=0 widths=- mismatches=0");
        assertThat(run(List.of(QEMU_X86.toString(), "-cpu", "Westmere", probe.toString())))
                .isEqualTo("clmul=1 widths=128 mismatches=0");
        // AVX2 without VPCLMULQDQ (qemu 7.2's TCG has neither VPCLMULQDQ nor AVX-512, also not on its Icelake or
        // "max" models): the 128-bit folding, never the ymm/zmm code.
        for (String cpu : List.of("Haswell", "Icelake-Server", "max")) {
            assertThat(lastLine(run(List.of(QEMU_X86.toString(), "-cpu", cpu, probe.toString()))))
                    .as(cpu).isEqualTo("clmul=1 widths=128 mismatches=0");
        }
    }

    /**
     * aarch64: the PMULL folding where the CPU has it (qemu's default model and a Cortex-A53), and the table code
     * where AT_HWCAP lacks PMULL (no qemu 7.2 model lacks it, so the probe is built with the bit masked, as on a
     * Raspberry Pi 4). No SIGILL there because PMULL instructions exist only in the folding function, which the
     * fallback never calls: checked on the probe and on the shipped library.
     */
    @Test
    void aarch64UsesPmullOnlyWhereTheCpuHasIt() throws Exception {
        assumeTrue(onPath("aarch64-linux-gnu-gcc") && Files.isExecutable(QEMU_ARM), "no aarch64 cross tools");
        Path probe = compile("aarch64-linux-gnu-gcc", "probe-aarch64", "-static");
        assertThat(run(List.of(QEMU_ARM.toString(), probe.toString()))).isEqualTo("clmul=1 widths=- mismatches=0");
        assertThat(run(List.of(QEMU_ARM.toString(), "-cpu", "cortex-a53", probe.toString())))
                .isEqualTo("clmul=1 widths=- mismatches=0");
        Path without = compile("aarch64-linux-gnu-gcc", "probe-aarch64-nopmull", "-static", "-DLTX4J_CRC64_HWCAP=0");
        assertThat(run(List.of(QEMU_ARM.toString(), without.toString()))).isEqualTo("clmul=0 widths=- mismatches=0");
        assumeTrue(onPath("aarch64-linux-gnu-objdump"), "no aarch64 objdump");
        Path object = compile("aarch64-linux-gnu-gcc", "probe-aarch64.o", "-c");
        assertThat(functionsWithPmull(object)).containsExactly("ltx4j_crc64_pmull");
        Path shipped = Path.of("target/classes/native/linux-aarch64/liblitestreamvfs.so");
        if (Files.isRegularFile(shipped)) {
            assertThat(functionsWithPmull(shipped)).containsExactly("ltx4j_crc64_pmull");
        }
    }

    /**
     * The shipped x86-64 library: VEX/EVEX instructions (AVX, AVX2, AVX-512, VPCLMULQDQ; mnemonics starting with "v")
     * occur only in the two wide folding functions, which run only where CPUID and XCR0 allow them; the rest of the
     * library stays baseline x86-64 (the 128-bit folding uses legacy-encoded SSE4.1/PCLMULQDQ).
     */
    @Test
    void x86WideInstructionsOnlyInTheWideFoldingFunctions() throws Exception {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "an x86-64 build host");
        assumeTrue(onPath("objdump"), "no objdump");
        Path shipped = Path.of("target/classes/native/linux-x86_64/liblitestreamvfs.so");
        assumeTrue(Files.isRegularFile(shipped), "native library not built");
        assertThat(functionsWith("objdump", shipped, ".*\\tv[a-z0-9]+\\s.*"))
                .containsExactly("crc64_ymm", "crc64_zmm");
    }

    /** The functions of an aarch64 binary that contain a PMULL/PMULL2 instruction. */
    private java.util.Set<String> functionsWithPmull(Path binary) throws Exception {
        return functionsWith("aarch64-linux-gnu-objdump", binary, ".*\\tpmull2?\\s.*");
    }

    /** The functions of a binary with an instruction line matching the pattern, per the given objdump. */
    private java.util.Set<String> functionsWith(String objdump, Path binary, String instruction) throws Exception {
        Path listing = dir.resolve(binary.getFileName() + ".s");
        Process p = new ProcessBuilder(objdump, "-d", "--no-show-raw-insn", binary.toString())
                .redirectOutput(listing.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0).as("objdump %s", binary).isTrue();
        java.util.Set<String> found = new java.util.TreeSet<>();
        String function = "?";
        for (String line : Files.readAllLines(listing)) {
            var header = java.util.regex.Pattern.compile("^[0-9a-f]+ <([^>]+)>:$").matcher(line);
            if (header.matches()) {
                function = header.group(1);
            } else if (line.matches(instruction)) {
                found.add(function);
            }
        }
        return found;
    }
}
