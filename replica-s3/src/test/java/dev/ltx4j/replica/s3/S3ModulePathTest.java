package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.s3.S3ProxyServer.Endpoint;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A modular application ({@code module-info.java} with {@code requires dev.ltx4j.replica}, started with
 * {@code java -p ... -m}) that opens an {@code s3://} URL: the backend is found by {@code ServiceLoader} on the module
 * path and makes real requests to S3Proxy. Run in a child JVM with exactly the module's runtime dependencies
 * ({@code target/runtime-classpath.txt}, written by the build) on the module path, because a launch with {@code -m}
 * resolves only what the modules require: on the class path every JDK module is there, so that is not the same test.
 */
@ExtendWith(S3ProxyServer.class)
class S3ModulePathTest {
    @TempDir
    Path dir;

    @Test
    void aModularApplicationFindsTheS3BackendAndUsesIt(Endpoint server) throws Exception {
        String modulePath = Files.readString(Path.of("target/runtime-classpath.txt")).strip() + File.pathSeparator
                + Path.of("target/classes").toAbsolutePath();
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("probe"));
        Files.writeString(src.resolve("module-info.java"), "module probe { requires dev.ltx4j.replica; }\n");
        Files.writeString(src.resolve("probe/Main.java"), """
                package probe;

                import dev.ltx4j.replica.ReplicaClient;
                import dev.ltx4j.replica.ReplicaClients;
                import dev.ltx4j.replica.ReplicaEnvironment;

                public class Main {
                    public static void main(String[] args) throws Exception {
                        try (ReplicaClient c = ReplicaClients.open(args[0], ReplicaEnvironment.system())) {
                            System.out.println("module " + c.getClass().getModule().getName() + " listed "
                                    + c.listFiles(0, 0, false).size());
                        }
                    }
                }
                """);
        Path out = dir.resolve("out");
        run(List.of(tool("javac"), "-d", out.toString(), "-p", modulePath,
                src.resolve("module-info.java").toString(), src.resolve("probe/Main.java").toString()), null);
        String url = "s3://" + S3ProxyServer.BUCKET + "/modular?endpoint=" + server.uri();
        String output = run(List.of(tool("java"), "-p", modulePath + File.pathSeparator + out, "-m", "probe/probe.Main",
                url), server);
        assertThat(output).contains("module dev.ltx4j.replica.s3 listed 0");
    }

    private static String tool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    private String run(List<String> command, Endpoint server) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("LITESTREAM_"));
        pb.environment().put("AWS_EC2_METADATA_DISABLED", "true");
        if (server != null) {
            pb.environment().put("AWS_ACCESS_KEY_ID", server.accessKey());
            pb.environment().put("AWS_SECRET_ACCESS_KEY", server.secretKey());
        }
        Process p = pb.start();
        byte[] bytes = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(bytes, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("%s exited with %s:%n%s", command.get(0), p.exitValue(), output).isZero();
        return output;
    }
}
