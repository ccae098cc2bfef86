package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.azure.AzuriteServer.Endpoint;
import java.io.File;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probes, round 8 (docs/credentials.md, "Logs"): a Java application with the SLF4J simple backend at TRACE for
 * every logger and the Azure SDK's HTTP log at its most detailed ({@code AZURE_HTTP_LOG_DETAIL_LEVEL=body_and_headers}),
 * writing, listing and reading through ltx4j's Azure client against Azurite with an account key, then a SAS: no line
 * carries the account key, the SAS signature (as sent, URL-encoded, or decoded) or a SharedKey signature. ltx4j sets
 * no HTTP log options of its own, so this holds the SDK's redaction defaults (only {@code Authorization} and the
 * {@code sig} query parameter carry a secret, both redacted) to what the documentation says.
 */
@ExtendWith(AzuriteServer.class)
class AzureSdkDebugSecretsTest {
    private final Endpoint server;

    @TempDir
    Path tmp;

    AzureSdkDebugSecretsTest(Endpoint server) {
        this.server = server;
    }

    @Test
    void atTraceWithBodyAndHeadersNoAzureSecretAppears() throws Exception {
        BlobContainerClient raw = new BlobServiceClientBuilder().connectionString(server.connectionString())
                .buildClient().getBlobContainerClient("debuglogs");
        raw.createIfNotExists();
        String sas = raw.generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1),
                BlobContainerSasPermission.parse("racwdl")));
        String sig = sas.replaceAll(".*sig=([^&]*).*", "$1");
        String url = "abs://" + AzuriteServer.ACCOUNT + "@debuglogs/db?endpoint=" + server.blobEndpoint();
        List<String> lines = child(url, sas);
        assertThat(lines).as("ran at trace with the HTTP log on").anyMatch(l -> l.contains("DEBUG com.azure"))
                .anyMatch(l -> l.contains("\"redactedHeaders\"") || l.contains("REDACTED"));
        String decoded = URLDecoder.decode(sig, StandardCharsets.UTF_8);
        List<String> secrets = List.of(AzuriteServer.KEY, sig, decoded,
                URLEncoder.encode(decoded, StandardCharsets.UTF_8), "SharedKey " + AzuriteServer.ACCOUNT + ":");
        for (String secret : secrets) {
            assertThat(lines).as("a line carrying %s", secret).noneMatch(l -> l.contains(secret));
        }
    }

    private List<String> child(String url, String sas) throws Exception {
        List<String> cp = new ArrayList<>();
        for (String key : List.of("jdk.module.path", "java.class.path")) {
            String v = System.getProperty(key);
            if (v != null && !v.isEmpty()) {
                cp.add(v);
            }
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dslf4j.provider=org.slf4j.simple.SimpleServiceProvider",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=trace", "-Dorg.slf4j.simpleLogger.logFile=System.out",
                "-cp", String.join(File.pathSeparator, cp), Child.class.getName(), url)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile());
        pb.environment().put("AZURE_HTTP_LOG_DETAIL_LEVEL", "body_and_headers");
        pb.environment().put("PROBE_SAS", sas);
        Process p = pb.start();
        // Output goes to a file, so a hung child fails the test here instead of blocking a read forever.
        boolean exited = p.waitFor(120, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String out = Files.readString(tmp.resolve("child.log"), StandardCharsets.UTF_8);
        assertThat(exited).as("the child exited; its output: %s", out).isTrue();
        assertThat(out).as(out).contains("probe done: 2 clients");
        return out.lines().toList();
    }

    /** The child JVM: ltx4j's Azure client with the account key, then with the SAS, writing, listing, reading. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            int n = 0;
            for (ReplicaEnvironment env : List.of(
                    ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AzuriteServer.KEY)),
                    ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_SAS_TOKEN", System.getenv("PROBE_SAS"))))) {
                n++;
                try (ReplicaClient c = ReplicaClients.open(args[0].replace("/db?", "/db" + n + "?"), env)) {
                    c.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 1_700_000_000_000L, 300, 7)));
                    c.listFiles(0, 0, false);
                    c.readRange(0, 1, 1, 0, 0);
                }
            }
            System.out.println("probe done: " + n + " clients");
        }
    }
}
