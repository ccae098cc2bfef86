package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Mounts for the tests that need a real small or failing disk. They skip only where this process cannot mount at
 * all: not uid 0, or uid 0 without {@code CAP_SYS_ADMIN} in its effective set (an unprivileged container: mount(2)
 * answers EPERM). Where it can, a mount that fails is a failure showing mount's own output, never a silent skip
 * (docs/field-probes.md, round 7: the older root tests skipped on any failed mount, and checked {@code user.name},
 * which is "?" for a uid 0 without a passwd entry).
 */
final class RootMounts {
    /** Bit of CAP_SYS_ADMIN in /proc/self/status's CapEff mask (linux/capability.h). */
    private static final int CAP_SYS_ADMIN = 21;

    private RootMounts() {}

    /** Skips the test, naming the precise reason, unless this process may mount file systems. */
    static void assumeCanMount(String what) {
        String status = status();
        assumeTrue(status != null, "no /proc/self/status here: cannot tell whether " + what + " may be mounted");
        assumeTrue(uidZero(),
                what + " needs root (effective uid 0) to be mounted");
        long caps = Long.parseUnsignedLong(field(status, "CapEff:"), 16);
        assumeTrue((caps & (1L << CAP_SYS_ADMIN)) != 0, "uid 0 without CAP_SYS_ADMIN (CapEff " + Long.toHexString(caps)
                + ", an unprivileged container): mount(2) refuses " + what);
    }

    /** Whether the effective uid is 0 (not {@code user.name}, which is "?" without a passwd entry). */
    static boolean uidZero() {
        String status = status();
        return status != null && field(status, "Uid:").split("\\s+")[1].equals("0");
    }

    /** Mounts a tmpfs with {@code options} (for example {@code size=1m}) at {@code at}, a fresh directory. */
    static void tmpfs(Path at, String options) throws IOException, InterruptedException {
        mount(at, List.of("mount", "-t", "tmpfs", "-o", options, "tmpfs", at.toString()), "a tmpfs");
    }

    /** Runs {@code command} (a mount at {@code at}); skips as {@link #assumeCanMount}, otherwise must succeed. */
    static void mount(Path at, List<String> command, String what) throws IOException, InterruptedException {
        assumeCanMount(what);
        Files.createDirectories(at);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s (as uid 0 with CAP_SYS_ADMIN) failed: %s", String.join(" ", command), out)
                .isZero();
    }

    /** Unmounts {@code at}, lazily when it is busy. */
    static void umount(Path at) throws IOException, InterruptedException {
        if (new ProcessBuilder("umount", at.toString()).inheritIO().start().waitFor() != 0) {
            new ProcessBuilder("umount", "-l", at.toString()).inheritIO().start().waitFor();
        }
    }

    private static String status() {
        try {
            return Files.readString(Path.of("/proc/self/status"));
        } catch (IOException e) {
            return null;
        }
    }

    private static String field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name)) {
                return line.substring(name.length()).strip();
            }
        }
        throw new AssertionError("no " + name + " line in /proc/self/status");
    }
}
