package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.pagestore.storage.DiskSpace;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Round 9 (leftovers, docs/field-probes.md): ENOSPC, EDQUOT and ENOLCK were recognised by their English strerror
 * text only, but the JVM sets the C locale from {@code LANG}/{@code LC_ALL} and the JDK passes the translated text on.
 * A child JVM under {@code de_DE.UTF-8} meets the real errnos: ENOSPC from {@code /dev/full}, EDQUOT and ENOLCK from
 * the FUSE pass-through of {@link NetworkBufferLocksTest} (root only). Skipped where the German catalog is missing
 * (the texts are English then, which matched before too).
 */
class GermanLocaleErrnoTest {
    @TempDir
    Path dir;

    @Test
    void errnosAreRecognisedUnderAGermanLocale() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/full")), "no /dev/full");
        Path mnt = null;
        Process fuse = null;
        if ("root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/fuse"))
                && new ProcessBuilder("/usr/bin/python3", "-c", "import fusepy").start().waitFor() == 0) {
            Path script = Path.of(GermanLocaleErrnoTest.class.getResource("/zero-statfs-fuse.py").toURI());
            Path back = Files.createDirectories(dir.resolve("back"));
            mnt = Files.createDirectories(dir.resolve("mnt"));
            fuse = new ProcessBuilder("/usr/bin/python3", script.toString(), back.toString(), mnt.toString(),
                    String.valueOf(64 * 1024), "nolocks").redirectErrorStream(true)
                    .redirectOutput(dir.resolve("fuse.log").toFile()).start();
            boolean up = false;
            for (int i = 0; i < 200 && fuse.isAlive() && !up; i++) {
                up = Files.readString(Path.of("/proc/self/mounts")).contains(" " + mnt + " ");
                Thread.sleep(up ? 0 : 50);
            }
            assertThat(up).as("FUSE mount; log: %s", dir.resolve("fuse.log")).isTrue();
        }
        try {
            String out = child(mnt);
            System.out.println(out);
            assumeTrue(out.contains("translated true"), "no German C library catalog: " + out);
            assertThat(out).as(out).contains("enospc true");
            if (mnt != null) {
                assertThat(out).as(out).contains("edquot true", "disk quota exceeded writing", "Quota");
                assertThat(out).as(out).contains("enolck refused", "Keine Sperren verfügbar",
                        "refuses POSIX record locks");
            }
        } finally {
            if (fuse != null) {
                new ProcessBuilder("fusermount", "-u", mnt.toString()).inheritIO().start().waitFor();
                if (!fuse.waitFor(10, TimeUnit.SECONDS)) {
                    fuse.destroy();
                    fuse.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static String child(Path mnt) throws Exception {
        List<String> cp = new ArrayList<>();
        for (String key : List.of("jdk.module.path", "java.class.path")) {
            String v = System.getProperty(key);
            if (v != null && !v.isEmpty()) {
                cp.add(v);
            }
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", String.join(File.pathSeparator, cp), Child.class.getName(),
                mnt == null ? "-" : mnt.toString()).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANGUAGE"));
        pb.environment().put("LANG", "de_DE.UTF-8");
        pb.environment().put("LC_ALL", "de_DE.UTF-8");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    /** The child, under de_DE.UTF-8: meets each errno for real and prints what ltx4j made of it. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            try (FileChannel full = FileChannel.open(Path.of("/dev/full"), StandardOpenOption.WRITE)) {
                full.write(ByteBuffer.allocate(4096));
                System.out.println("enospc: no failure");
            } catch (IOException e) {
                System.out.println("translated " + !e.getMessage().contains("No space left on device"));
                System.out.println("enospc " + DiskSpace.hasFullDiskText(e) + " (" + e.getMessage() + ")");
            }
            if (args[0].equals("-")) {
                return;
            }
            Path mnt = Path.of(args[0]);
            Path file = mnt.resolve("quota.bin");
            try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                for (int i = 0; i < 64; i++) {
                    c.write(ByteBuffer.allocate(4096));
                }
                c.force(true);
                System.out.println("edquot: no failure");
            } catch (IOException e) {
                System.out.println("edquot " + DiskSpace.hasQuotaText(e) + ": "
                        + DiskSpace.fullMessage(e, file, 4096, 0));
            }
            try {
                WriteBuffer.open(mnt.resolve("app.buffer"), TestSupport.options(4096, Durability.LOCAL, 1)).close();
                System.out.println("enolck: opened");
            } catch (IOException e) {
                System.out.println("enolck " + (e.getMessage().contains("refuses POSIX record locks") ? "refused"
                        : "not recognised") + ": " + e.getMessage());
            }
        }
    }
}
