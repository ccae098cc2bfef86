package dev.ltx4j.vfs;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A dist layout like the build's {@code dist/} (litestream-vfs.so plus lib/*.jar) made from this build's
 * outputs, and a runner for non-JVM host processes (sqlite3 CLI, Debian python3) that load it.
 */
final class HostFixture {
    static final Path SQLITE3 = Path.of("/usr/bin/sqlite3");
    static final Path PYTHON3 = Path.of("/usr/bin/python3");

    final Path dist;
    final Path so;

    private HostFixture(Path dist) {
        this.dist = dist;
        this.so = dist.resolve("litestream-vfs.so");
    }

    /** Builds the layout under {@code root}; {@code withJars=false} leaves lib/ out. */
    static HostFixture create(Path root, boolean withJars) throws IOException {
        Path dist = Files.createDirectories(root.resolve(withJars ? "dist" : "dist-nojars"));
        Files.copy(Path.of(System.getProperty("ltx4j.vfs.library")), dist.resolve("litestream-vfs.so"));
        if (withJars) jar(Path.of(System.getProperty("ltx4j.vfs.classes")),
                Files.createDirectories(dist.resolve("lib")).resolve("vfs-jni.jar"));
        return new HostFixture(dist);
    }

    private static void jar(Path classes, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    /** The environment of a host that finds this JVM and uses the local test backend. */
    static Map<String, String> testEnvironment() {
        Map<String, String> env = baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_VFS_TEST_BACKEND", "local");
        return env;
    }

    /** The inherited environment without any litestream or JVM settings. */
    static Map<String, String> baseEnvironment() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.keySet().removeIf(k -> k.startsWith("LITESTREAM_") || k.equals("JAVA_HOME") || k.equals("LD_PRELOAD"));
        return env;
    }

    record Result(int exit, String out, String err, long millis) {
    }

    static Result run(List<String> command, Map<String, String> env, String stdin, Path cwd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Path out = Files.createTempFile(cwd, "out", ".txt");
        Path err = Files.createTempFile(cwd, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        long t0 = System.nanoTime();
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err), millis);
    }

    static List<String> cmd(Object... parts) {
        List<String> l = new ArrayList<>();
        for (Object o : parts) l.add(o.toString());
        return l;
    }
}
