package dev.ltx4j.replica.azure;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension: Azurite (pinned by the committed {@code src/test/azurite/package-lock.json}) installed with the
 * system npm into {@code <repo root>/.cache/azurite-<lock hash>} (git-ignored, survives {@code mvn clean}), started
 * once per test JVM as {@code node azurite-blob} on 127.0.0.1 with a free port and in-memory storage, and stopped when
 * the root context closes. Missing node or npm is a test failure with instructions, not a skip.
 */
public final class AzuriteServer implements ParameterResolver {
    public static final String ACCOUNT = "devstoreaccount1";
    public static final String KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static final Pattern LISTENING = Pattern.compile("listens on (https?://127\\.0\\.0\\.1:\\d+)");

    /** A running Azurite: the blob endpoint including the account, e.g. {@code http://127.0.0.1:4711/devstoreaccount1}. */
    public record Endpoint(String blobEndpoint) {
        public String connectionString() {
            return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + KEY + ";BlobEndpoint="
                    + blobEndpoint + ";";
        }
    }

    /** A started Azurite; closing stops it. */
    public record Running(Process process, Endpoint endpoint) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Endpoint.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.create(AzuriteServer.class))
                .getOrComputeIfAbsent("azurite", k -> start(), Running.class).endpoint();
    }

    private static Running start() {
        return start(List.of());
    }

    /**
     * Starts a separate Azurite with extra options (e.g. {@code --oauth basic --cert ... --key ...}: https and bearer
     * tokens); the caller closes it.
     */
    public static Running start(List<String> extraOptions) {
        try {
            Path installed = install();
            Path main = installed.resolve("node_modules/azurite/dist/src/blob/main.js");
            List<String> command = new ArrayList<>(List.of(tool("node"), main.toString(), "--blobHost", "127.0.0.1",
                    "--blobPort", "0", "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--loose"));
            command.addAll(extraOptions);
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            CompletableFuture<String> url = new CompletableFuture<>();
            List<String> output = new ArrayList<>();
            Thread drain = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        synchronized (output) {
                            output.add(line);
                        }
                        Matcher m = LISTENING.matcher(line);
                        if (m.find()) {
                            url.complete(m.group(1));
                        }
                    }
                } catch (IOException e) {
                    url.completeExceptionally(e);
                }
                url.completeExceptionally(new IllegalStateException("Azurite exited: " + output));
            }, "azurite-output");
            drain.setDaemon(true);
            drain.start();
            String base = url.get(60, TimeUnit.SECONDS);
            return new Running(process, new Endpoint(base + "/" + ACCOUNT));
        } catch (Exception e) {
            throw new IllegalStateException("cannot start Azurite: " + e.getMessage(), e);
        }
    }

    /** Runs {@code npm ci} once per lock file content; a stamp file records a completed install. */
    private static Path install() throws Exception {
        Path sources = azuriteSources();
        byte[] lock = Files.readAllBytes(sources.resolve("package-lock.json"));
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lock)).substring(0, 12);
        Path dir = Paths.get(System.getProperty("azurite.dir", repoRoot().resolve(".cache").resolve("azurite-" + hash)
                .toString()));
        Path stamp = dir.resolve(".installed");
        if (Files.exists(stamp)) {
            return dir;
        }
        Files.createDirectories(dir);
        try (FileChannel lockFile = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
            if (Files.exists(stamp)) {
                return dir; // another JVM installed it while we waited
            }
            Files.copy(sources.resolve("package.json"), dir.resolve("package.json"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(sources.resolve("package-lock.json"), dir.resolve("package-lock.json"),
                    StandardCopyOption.REPLACE_EXISTING);
            Process npm = new ProcessBuilder(tool("npm"), "ci", "--no-audit", "--no-fund", "--loglevel=error")
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
            String log;
            try (InputStream in = npm.getInputStream()) {
                log = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!npm.waitFor(600, TimeUnit.SECONDS) || npm.exitValue() != 0) {
                throw new IllegalStateException("npm ci for Azurite failed in " + dir + ":\n" + log);
            }
            Files.writeString(stamp, hash);
        }
        return dir;
    }

    /** The committed npm manifest: this module's, also when the extension runs from another module's tests. */
    private static Path azuriteSources() {
        Path here = Paths.get("src/test/azurite").toAbsolutePath();
        return Files.exists(here.resolve("package-lock.json")) ? here
                : repoRoot().resolve("replica-azure").resolve("src/test/azurite");
    }

    private static Path repoRoot() {
        Path dir = Paths.get("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("mvnw")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        return dir;
    }

    private static String tool(String name) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Paths.get(entry, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException("Azurite tests need Node.js (node) and npm on PATH, but '" + name
                + "' was not found. Install Node.js >= 20 with npm (e.g. apt-get install nodejs npm).");
    }
}
