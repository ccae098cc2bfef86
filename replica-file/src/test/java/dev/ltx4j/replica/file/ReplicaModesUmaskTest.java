package dev.ltx4j.replica.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import java.io.File;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe (docs/field-probes.md, round 5): a writer started under {@code umask 000} (a container entrypoint, a
 * systemd unit with {@code UMask=0000}) created the replica's directories 777 and its LTX files 666, so any local
 * user could plant or replace a file that restores and followers take for data. Now nothing the file replica
 * creates is group- or world-writable; readability still follows the umask.
 */
class ReplicaModesUmaskTest {
    @TempDir
    Path dir;

    /** Creates one LTX file in the replica at {@code args[0]}; run in a child JVM under a chosen umask. */
    public static void main(String[] args) throws Exception {
        new FileReplicaClient(Path.of(args[0])).createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1)));
    }

    private Path writeUnder(String umask) throws Exception {
        Path root = dir.resolve("replica-" + umask);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Surefire runs this module's tests on the module path: the child takes both paths as its class path.
        String cp = System.getProperty("java.class.path") + File.pathSeparator
                + System.getProperty("jdk.module.path", "");
        Process p = new ProcessBuilder("sh", "-c", "umask " + umask + " && exec \"$0\" -cp \"$1\" "
                + ReplicaModesUmaskTest.class.getName() + " \"$2\"", java, cp,
                root.toString()).inheritIO().start();
        assertThat(p.waitFor()).as("child JVM exit").isZero();
        return root;
    }

    private static List<String> modes(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> {
                try {
                    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p)) + " " + root.relativize(p);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).sorted().toList();
        }
    }

    @Test
    void nothingTheReplicaCreatesIsGroupOrWorldWritableUnderUmask000() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "no POSIX modes here");
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs /bin/sh to set the child's umask");
        Path open = writeUnder("000");
        List<String> modes = modes(open);
        System.out.println("umask 000: " + modes);
        assertThat(modes).hasSizeGreaterThanOrEqualTo(4)
                .anySatisfy(m -> assertThat(m).endsWith("0000000000000001-0000000000000001.ltx"))
                .allSatisfy(m -> assertThat(m.substring(0, 9)).as(m).matches("...[r-]-.[r-]-."));
        List<String> owner = modes(writeUnder("077"));
        System.out.println("umask 077: " + owner);
        assertThat(owner).allSatisfy(m -> assertThat(m.substring(3, 9)).as(m).isEqualTo("------"));
    }
}
