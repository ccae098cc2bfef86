package dev.ltx4j.vfs;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Another user of the host against the default buffer directory ({@code /tmp/ltx4j-<user>}): pre-created by someone
 * else, group-writable, a planted symbolic link, a planted or loosened buffer file; a clean one is created owner-only
 * (field probe, issue 14 round: all held). Runs {@code probes/other-users.sh}, which creates an OS user and runs a JVM
 * as it with {@code runuser}: only as root, and only when {@code LTX4J_PROBE_USERS=1} (it adds a user to the machine).
 */
class OtherUsersProbeTest {
    @Test
    void anotherUsersOrLoosenedBufferDirectoriesAndFilesAreRefused() throws Exception {
        Assumptions.assumeTrue("1".equals(System.getenv("LTX4J_PROBE_USERS")),
                "set LTX4J_PROBE_USERS=1 to run (creates an OS user; needs root)");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (useradd, runuser)");
        Path script = Path.of("src/test/resources/probes/other-users.sh").toAbsolutePath();
        Path out = Files.createTempFile("other-users", ".out");
        Process p = new ProcessBuilder("bash", script.toString(), System.getProperty("java.class.path"))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
        String report = read(out);
        assertThat(report).doesNotContain("DEFECT").contains("held: clean default buffer dir");
        assertThat(p.exitValue()).as(report).isZero();
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
