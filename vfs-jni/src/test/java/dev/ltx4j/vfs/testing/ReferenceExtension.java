package dev.ltx4j.vfs.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference Litestream VFS extension (npm {@code litestream-vfs-linux-amd64@0.5.17}), installed with the system npm
 * into the git-ignored {@code .cache/reference-vfs} folder at the repository root on first use.
 */
public final class ReferenceExtension {
    static final String PACKAGE = "litestream-vfs-linux-amd64";
    static final String VERSION = "0.5.17";

    private ReferenceExtension() {}

    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve(".mvn"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root (a folder with .mvn) above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    /** Path of {@code litestream-vfs.so}, installing the package when it is not there yet. */
    public static synchronized Path install() throws IOException, InterruptedException {
        Path prefix = repositoryRoot().resolve(".cache/reference-vfs-" + VERSION);
        Path so = prefix.resolve("node_modules").resolve(PACKAGE).resolve("litestream-vfs.so");
        if (Files.isRegularFile(so)) {
            return so;
        }
        Files.createDirectories(prefix);
        Path log = prefix.resolve("npm-install.log");
        Process p = new ProcessBuilder(List.of("npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix",
                prefix.toString(), PACKAGE + "@" + VERSION))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("npm install of " + PACKAGE + "@" + VERSION + " timed out; see " + log);
        }
        if (p.exitValue() != 0 || !Files.isRegularFile(so)) {
            throw new IOException("npm install of " + PACKAGE + "@" + VERSION + " failed (exit " + p.exitValue()
                    + "); the interop tests need Node.js/npm and the npm registry. Output:\n" + Files.readString(log));
        }
        return so;
    }
}
