package dev.ltx4j.vfs;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Virtual threads (docs/virtual-threads.md), in a child JVM of JDK 21 or newer (this build targets 17): the running
 * JDK if it is new enough, else a Temurin/OpenJDK 21+ under /usr/lib/jvm or /opt (CI has Temurin 25). Skipped, saying
 * so, when there is none.
 */
class VirtualThreadsTest {
    @TempDir
    Path dir;

    /**
     * Two carriers, four virtual writers with {@code durability=remote}, and {@link LitestreamDatabase#syncNow()} /
     * {@link LitestreamDatabase#refresh()} from a virtual thread over a store with a 20 ms round trip. Before, the
     * control call unmounted inside the upload with the engine's sync lock held, the writers' commits waited for
     * that lock pinned in native code on both carriers, and the caller never ran again: no commit for good.
     */
    @Test
    void controlCallsFromVirtualThreadsDoNotStarveCommitsPinnedOnTheCarriers() throws Exception {
        String text = child(2, dir.toString());
        String done = text.lines().filter(l -> l.startsWith("done ")).findFirst().orElseThrow(
                () -> new AssertionError("no result line in:\n" + text));
        String[] f = done.split(" ", 5);
        long acked = Long.parseLong(f[1]);
        long rows = Long.parseLong(f[2]);
        assertThat(rows).as("rows (an interrupted remote commit stands locally)").isGreaterThanOrEqualTo(acked);
        assertThat(Long.parseLong(f[3])).as("pending commits after syncNow").isZero();
        assertThat(f[4]).as("unexpected errors").isEqualTo("{}");
    }

    /**
     * One carrier (a one-CPU container's default): {@code PRAGMA litestream_refresh} on a virtual thread while another
     * virtual thread's write transaction has unmounted. Before, the pragma waited for the writer slot pinned, for good,
     * and the holder never ran again; now it gives up after 10 s naming the transaction, and the holder commits.
     */
    @Test
    void aPragmaRefreshOnAVirtualThreadGivesUpInsteadOfHoldingTheOnlyCarrier() throws Exception {
        String text = child(1, dir.toString(), "pragma");
        assertThat(text).contains("holder committed");
        assertThat(text).contains("refresh failed [SQLITE_BUSY]").contains("on a virtual thread waited 10 s for another connection's"
                + " open write transaction").contains("LitestreamDatabase.refresh()");
        // Before, a set interrupt flag ended the wait for the free slot at once, reported as the 10 s wait above.
        assertThat(text).contains("interrupted refresh done, interrupt flag true");
    }

    /** Runs {@link VirtualThreadsChild} with {@code carriers} carriers; its output, after checking it ended well. */
    private static String child(int carriers, String... args) throws Exception {
        Path java = newerJava();
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                "--enable-native-access=ALL-UNNAMED", "-Djdk.virtualThreadScheduler.parallelism=" + carriers,
                "-Djdk.virtualThreadScheduler.maxPoolSize=" + carriers,
                "-Dltx4j.vfs.library=" + System.getProperty("ltx4j.vfs.library"), "-Xshare:auto",
                VirtualThreadsChild.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Path.of(args[0]).resolve("child-" + args.length + ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LITESTREAM_"));
        Process p = pb.start();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) p.destroyForcibly().waitFor();
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(ended).as("child still running after 120 s:\n%s", text).isTrue();
        assertThat(text).as("child output").doesNotContain("stuck");
        assertThat(p.exitValue()).as("child exit, output:\n%s", text).isZero();
        return text;
    }

    /** A {@code java} of JDK 21 or newer: this one, or the newest found under /usr/lib/jvm or /opt. */
    static Path newerJava() throws IOException {
        return newerJava(21);
    }

    /** A {@code java} of JDK {@code min} or newer: this one, or the newest under /usr/lib/jvm or /opt; else skipped. */
    static Path newerJava(int min) throws IOException {
        Path self = Path.of(System.getProperty("java.home"), "bin", "java");
        if (Runtime.version().feature() >= min) return self;
        List<Path> found = new ArrayList<>();
        for (String root : List.of("/usr/lib/jvm", "/opt")) {
            Path r = Path.of(root);
            if (!Files.isDirectory(r)) continue;
            try (Stream<Path> s = Files.list(r)) {
                s.filter(d -> feature(d) >= min && Files.isExecutable(d.resolve("bin/java"))).forEach(found::add);
            }
        }
        found.sort(Comparator.comparingInt(VirtualThreadsTest::feature).reversed());
        assumeTrue(!found.isEmpty(), "no JDK " + min + "+ for the child: this JVM is " + Runtime.version()
                + " and /usr/lib/jvm, /opt hold no JDK " + min + "+ with a release file and bin/java");
        return found.get(0).resolve("bin" + File.separator + "java");
    }

    /** JAVA_VERSION's feature number from the JDK's {@code release} file, 0 when unknown. */
    private static int feature(Path jdk) {
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
