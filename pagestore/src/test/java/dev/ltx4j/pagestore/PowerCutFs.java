package dev.ltx4j.pagestore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * A mounted power-cut FUSE file system ({@code power-cut-fuse.py}, test resources): it keeps what was not fsynced
 * (file bytes, directory entries) in a volatile layer that {@link #cut} drops, as a power loss does. Needs root,
 * /dev/fuse and Debian's python3-fusepy ({@link #available()}).
 */
final class PowerCutFs implements AutoCloseable {
    final Path mount;
    private final Process fuse;
    private final Writer commands;
    private final BufferedReader answers;

    /** Whether a FUSE file system can be mounted here (root, /dev/fuse, /usr/bin/python3 with fusepy). */
    static boolean available() throws Exception {
        return "root".equals(System.getProperty("user.name")) && Files.exists(Path.of("/dev/fuse"))
                && new ProcessBuilder("/usr/bin/python3", "-c", "import fusepy").start().waitFor() == 0;
    }

    /** The script, also for other modules' tests (they reach it by this module's path in the source tree). */
    static Path script() throws Exception {
        return Path.of(PowerCutFs.class.getResource("/power-cut-fuse.py").toURI());
    }

    PowerCutFs(Path scratch) throws Exception {
        mount = Files.createDirectories(scratch.resolve("mnt"));
        Path log = scratch.resolve("fuse.log");
        fuse = new ProcessBuilder("/usr/bin/python3", script().toString(), mount.toString())
                .redirectError(log.toFile()).start();
        commands = new OutputStreamWriter(fuse.getOutputStream(), StandardCharsets.UTF_8);
        answers = new BufferedReader(new InputStreamReader(fuse.getInputStream(), StandardCharsets.UTF_8));
        for (int i = 0; i < 200 && fuse.isAlive(); i++) {
            if (Files.readString(Path.of("/proc/self/mounts")).contains(" " + mount + " ")) {
                return;
            }
            Thread.sleep(50);
        }
        close();
        throw new IllegalStateException("the power-cut FUSE file system did not mount at " + mount + "; its log:\n"
                + Files.readString(log));
    }

    /** Sends one command (see the script) and returns its answer; an "error" answer throws. */
    String command(String line) throws IOException {
        commands.write(line + "\n");
        commands.flush();
        String answer = answers.readLine();
        if (answer == null || !answer.startsWith("ok")) {
            throw new IllegalStateException("power-cut FUSE command \"" + line + "\" answered " + answer);
        }
        return answer;
    }

    /** Power cut now: the unsynced state goes (torn when {@code seed} >= 0), the machine is dead until revive. */
    void cut(long seed) throws IOException {
        command(seed >= 0 ? "cut torn " + seed : "cut");
    }

    void revive() throws IOException {
        command("revive");
    }

    /** Mutating calls so far. */
    long operations() throws IOException {
        return Long.parseLong(command("status").split(" ")[2]);
    }

    boolean dead() throws IOException {
        return command("status").split(" ")[1].equals("dead");
    }

    /** Creates {@code dir} and makes it durable (fsyncs its parent), as a test's fixed ground. */
    static Path durableDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (FileChannel parent = FileChannel.open(dir.getParent(), StandardOpenOption.READ)) {
            parent.force(true);
        }
        return dir;
    }

    @Override
    public void close() throws Exception {
        new ProcessBuilder("fusermount", "-u", "-z", mount.toString()).inheritIO().start().waitFor();
        if (!fuse.waitFor(10, TimeUnit.SECONDS)) {
            fuse.destroy();
            fuse.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
