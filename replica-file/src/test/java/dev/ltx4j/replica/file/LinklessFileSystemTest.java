package dev.ltx4j.replica.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file backend's error decisions do not depend on the language of the C library's error texts: a replica on a
 * real FAT file system (no hard links; mounted with fusefat, since this kernel may lack vfat) and on a read-only
 * file system behave the same in a JVM under {@code LC_ALL=de_DE.UTF-8} as under the C locale. Needs root, FUSE,
 * {@code mkfs.vfat} (dosfstools), {@code fusefat} and a generated de_DE.UTF-8 locale ({@code localedef -i de_DE -f
 * UTF-8 de_DE.UTF-8}); skipped where any is missing.
 */
class LinklessFileSystemTest {
    private static final long TS = 1_700_000_000_456L;

    @TempDir
    Path dir;

    @Test
    void aFatReplicaPublishesByTheLockedMoveInAnyLanguage() throws Exception {
        Path mount = mountFat();
        try {
            String c = child("C", mount.resolve("c"), "create");
            assertThat(c).contains("created L0/1", "second create: already exists", "listed 1");
            String german = child("de_DE.UTF-8", mount.resolve("de"), "create");
            // The JDK's reason really is translated here, and the replica works all the same.
            assertThat(german).contains("link reason: Die Operation ist nicht erlaubt");
            assertThat(german).contains("created L0/1", "second create: already exists", "listed 1");
        } finally {
            run("fusermount", "-u", mount.toString());
        }
    }

    @Test
    void aReadOnlyFileSystemIsAPermanentErrorInAnyLanguage() throws Exception {
        assumeTrue(isRoot(), "mounting needs root");
        Path ro = Files.createDirectories(dir.resolve("ro"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", ro.toString()) == 0, "no tmpfs mount");
        try {
            assertThat(child("C", ro.resolve("db"), "create")).contains("create failed: permanent");
            String german = child("de_DE.UTF-8", ro.resolve("db"), "create");
            assertThat(german).contains("create failed: permanent", "read-only file system");
        } finally {
            run("umount", ro.toString());
        }
    }

    /** Runs {@link Child} in a JVM with the given C library locale; its output. */
    private String child(String locale, Path replica, String what) throws Exception {
        assumeTrue(!locale.startsWith("de") || germanLocale(), "no de_DE.UTF-8 locale (localedef)");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath(), Child.class.getName(), replica.toString(), what));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LC_ALL", locale);
        pb.environment().put("LANG", locale);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    /** The test's class path and module path (surefire puts the modules on the latter) as one class path. */
    private static String classPath() {
        List<String> parts = new ArrayList<>();
        for (String key : List.of("jdk.module.path", "java.class.path")) {
            String v = System.getProperty(key);
            if (v != null && !v.isEmpty()) {
                parts.add(v);
            }
        }
        return String.join(File.pathSeparator, parts);
    }

    private Path mountFat() throws Exception {
        assumeTrue(isRoot(), "mounting needs root");
        assumeTrue(new File("/dev/fuse").exists(), "no /dev/fuse");
        Path image = dir.resolve("fat.img");
        Files.write(image, new byte[16 << 20]);
        assumeTrue(run("mkfs.vfat", image.toString()) == 0, "no mkfs.vfat (apt install dosfstools)");
        Path mount = Files.createDirectories(dir.resolve("fat"));
        assumeTrue(run("fusefat", "-o", "rw+", image.toString(), mount.toString()) == 0,
                "no fusefat (apt install fusefat)");
        return mount;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static boolean germanLocale() throws Exception {
        Process p = new ProcessBuilder("locale", "-a").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().anyMatch(l -> l.equalsIgnoreCase("de_DE.utf8") || l.equalsIgnoreCase("de_DE.UTF-8"));
    }

    private static int run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** The child JVM: creates replica files at the path given and prints what happened. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path root = Path.of(args[0]);
            if (Files.isDirectory(root.getParent()) && Files.isWritable(root.getParent())) {
                Path a = Files.createDirectories(root).resolve("probe-a");
                Files.write(a, new byte[1]);
                try {
                    Files.createLink(root.resolve("probe-b"), a);
                    System.out.println("link works");
                } catch (FileSystemException e) {
                    System.out.println("link reason: " + e.getReason());
                }
                Files.deleteIfExists(root.resolve("probe-b"));
                Files.delete(a);
            }
            FileReplicaClient client = new FileReplicaClient(root);
            LtxBody body = LtxBody.of(LtxTestFiles.body(1, 1, TS, 300, 7));
            try {
                client.createFile(0, 1, 1, body);
                System.out.println("created L0/1");
            } catch (ReplicaPermanentException e) {
                System.out.println("create failed: permanent: " + e.getMessage());
                return;
            } catch (ReplicaException e) {
                System.out.println("create failed: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                System.exit(3);
            }
            try {
                client.createFile(0, 1, 1, body);
                System.out.println("second create: succeeded?!");
            } catch (ReplicaAlreadyExistsException e) {
                System.out.println("second create: already exists");
            }
            System.out.println("listed " + client.listFiles(0, 0, false).size());
        }
    }
}
