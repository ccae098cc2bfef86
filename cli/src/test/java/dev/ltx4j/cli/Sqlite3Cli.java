package dev.ltx4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the system {@code sqlite3} CLI with a script on stdin and the given environment. */
final class Sqlite3Cli {
    record Result(int exitCode, String stdout, String stderr) {
        Result requireSuccess() {
            if (exitCode != 0 || stderr.contains("Error")) {
                throw new AssertionError("sqlite3 failed (exit " + exitCode + ")\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
            }
            return this;
        }
    }

    private Sqlite3Cli() {}

    static Result run(Path workDir, Map<String, String> env, String script) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(List.of("sqlite3", "-batch", "-bail")).directory(workDir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("LITESTREAM_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> slurp(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> slurp(p.getErrorStream()));
        try (var stdin = p.getOutputStream()) {
            stdin.write(script.getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException("sqlite3 did not finish within 2 minutes; script:\n" + script);
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    private static String slurp(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
