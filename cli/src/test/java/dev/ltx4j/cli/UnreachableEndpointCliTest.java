package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.SilentServer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 item 6: {@code ltx ls} and a VFS open against an unreachable endpoint used to block for minutes with
 * nothing said (about 150-180 s). They run here as a user runs them (child JVMs, credentials in the environment)
 * against a refused port and a silent server, for s3 and abs; they must fail and name the endpoint. Elapsed times
 * are printed, not asserted; the 120 s wait per child is only a hang guard (the configured timeouts add up to a few
 * seconds).
 */
class UnreachableEndpointCliTest {
    private static final String AZURITE_KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    @TempDir
    Path tmp;

    record Result(int exit, String out, String err, long millis) {}

    private Result child(Map<String, String> extraEnv, String mainClass, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("AZURE_") || k.startsWith("LITESTREAM_"));
        env.putAll(extraEnv);
        File out = tmp.resolve("out-" + System.nanoTime()).toFile();
        File err = tmp.resolve("err-" + System.nanoTime()).toFile();
        pb.redirectOutput(out).redirectError(err);
        long start = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("hang: " + cmd + " still running after 120 s");
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
                Files.readString(err.toPath(), StandardCharsets.UTF_8), millis);
    }

    private static Map<String, String> credentials(String scheme) {
        return scheme.equals("s3") ? Map.of("AWS_ACCESS_KEY_ID", "probe", "AWS_SECRET_ACCESS_KEY", "probe-secret")
                : Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AZURITE_KEY);
    }

    private static String url(String scheme, int port) {
        return scheme.equals("s3") ? "s3://bkt/db?endpoint=http://127.0.0.1:" + port
                : "abs://devstoreaccount1@bkt/db?endpoint=http://127.0.0.1:" + port + "/devstoreaccount1";
    }

    @Test
    void refusedPortFailsLsAndOpenNamingTheEndpoint() throws Exception {
        int port = SilentServer.closedPort();
        for (String scheme : List.of("s3", "abs")) {
            Result ls = child(credentials(scheme), "dev.ltx4j.cli.Main", "ltx", "ls", url(scheme, port));
            System.out.printf("%s ltx ls, refused port: exit %d after %d ms: %s", scheme, ls.exit(), ls.millis(), ls.err());
            assertThat(ls.exit()).isEqualTo(1);
            assertThat(ls.err()).contains("cannot connect to endpoint http://127.0.0.1:" + port);

            Result open = child(credentials(scheme), EngineOpenProbe.class.getName(), url(scheme, port));
            System.out.printf("%s VFS open, refused port: %s (child ran %d ms)%n", scheme, open.out().strip(),
                    open.millis());
            assertThat(open.out()).startsWith("failed").contains("127.0.0.1:" + port);
        }
    }

    @Test
    void silentServerFailsWithinTheConfiguredRequestTimeout() throws Exception {
        for (String scheme : List.of("s3", "abs")) {
            try (SilentServer server = new SilentServer()) {
                Result ls = child(credentials(scheme), "dev.ltx4j.cli.Main", "ltx", "ls",
                        url(scheme, server.port()) + "&request-timeout=300ms");
                System.out.printf("%s ltx ls, silent server: exit %d after %d ms, %d attempts: %s", scheme, ls.exit(),
                        ls.millis(), server.accepted(), ls.err());
                assertThat(ls.exit()).isEqualTo(1);
                assertThat(ls.err()).contains("no response from endpoint http://127.0.0.1:" + server.port())
                        .contains("300 ms");
                // One connection per attempt: the retrying client's attempts, none multiplied by SDK retries.
                assertThat(server.accepted()).isBetween(1, dev.ltx4j.replica.RetryPolicy.defaults().maxAttempts());
            }
            try (SilentServer server = new SilentServer()) {
                Map<String, String> env = new HashMap<>(credentials(scheme));
                env.put("LITESTREAM_REQUEST_TIMEOUT", "300ms");
                Result open = child(env, EngineOpenProbe.class.getName(), url(scheme, server.port()));
                System.out.printf("%s VFS open, silent server: %s (child ran %d ms, %d attempts)%n", scheme,
                        open.out().strip(), open.millis(), server.accepted());
                assertThat(open.out()).startsWith("failed").contains("127.0.0.1:" + server.port()).contains("300 ms");
                assertThat(server.accepted()).isBetween(1, dev.ltx4j.replica.RetryPolicy.defaults().maxAttempts());
            }
        }
    }
}
