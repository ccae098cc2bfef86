package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.Constants;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Field probes, round 6 (docs/credentials.md, "Logs"): what an application's logs show of S3 credentials when it
 * turns logging up. A child JVM (its own SLF4J provider, {@link ProbeLogProvider}) sends requests with a session
 * token to S3Proxy with every logger at TRACE. Exactly the loggers docs/credentials.md names print the token or the
 * request signature, ltx4j warns once that they are on, and with those three at INFO nothing prints a secret at any
 * level of any other logger. (S3Proxy refuses a session token's header with 501, so each run sends one request per
 * call; that is all the loggers need.)
 */
class SdkDebugSecretsTest {
    static final String ID = "AKIDPROBE";
    static final String SECRET = "probe-secret-key-value-0123";
    static final String TOKEN = "probe-session-token-value-4567";
    static final List<String> DOCUMENTED = List.of("software.amazon.awssdk.http.auth",
            "org.apache.hc.client5.http.headers", "org.apache.hc.client5.http.wire");

    private static boolean secret(String line) {
        return line.contains(TOKEN) || line.contains(SECRET) || line.contains("Signature=");
    }

    @Test
    void atTraceOnlyTheDocumentedLoggersPrintSecretsAndLtx4jWarnsThatTheyAreOn() throws Exception {
        List<String> lines = child("", "org.gaul");
        List<String> revealing = lines.stream().filter(SdkDebugSecretsTest::secret).toList();
        assertThat(revealing).as("the probe must see the leak it guards against").isNotEmpty();
        assertThat(revealing).allSatisfy(l -> assertThat(DOCUMENTED).anySatisfy(
                logger -> assertThat(l.split(" ")[1]).startsWith(logger)));
        assertThat(revealing).anySatisfy(l -> assertThat(l).contains(TOKEN)
                .startsWith("DEBUG software.amazon.awssdk.http.auth.aws.internal.signer.DefaultV4RequestSigner"));
        assertThat(lines).filteredOn(l -> l.startsWith("WARN dev.ltx4j.replica.s3.")).singleElement().asString()
                .contains("DEBUG logging is on for", "session token", "org.apache.hc.client5.http.headers")
                .doesNotContain(TOKEN);
    }

    @Test
    void withTheDocumentedLoggersAtInfoNoSecretAppearsAtAnyLevel() throws Exception {
        List<String> lines = child(String.join(",", DOCUMENTED), "org.gaul");
        assertThat(lines).as("ran at trace").anyMatch(l -> l.startsWith("TRACE ") || l.startsWith("DEBUG "));
        assertThat(lines).filteredOn(SdkDebugSecretsTest::secret).isEmpty();
        assertThat(lines).noneMatch(l -> l.contains("DEBUG logging is on for"));
    }

    /** Runs {@link Child} with loggers under {@code info} at INFO and under {@code warn} at WARN; its output lines. */
    private static List<String> child(String info, String warn) throws Exception {
        List<String> cp = new ArrayList<>();
        for (String key : List.of("jdk.module.path", "java.class.path")) {
            String v = System.getProperty(key);
            if (v != null && !v.isEmpty()) {
                cp.add(v);
            }
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dslf4j.provider=" + ProbeLogProvider.class.getName(), "-Dprobe.info=" + info, "-Dprobe.warn=" + warn,
                "-cp", String.join(File.pathSeparator, cp), Child.class.getName()).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as(out).contains("probe done");
        return out.lines().toList();
    }

    /** The child JVM: an S3Proxy, and ltx4j's S3 client with session credentials writing, listing and reading. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Properties properties = new Properties();
            properties.setProperty(Constants.PROPERTY_IDENTITY, "");
            properties.setProperty(Constants.PROPERTY_CREDENTIAL, "");
            S3Proxy proxy = S3Proxy.builder().blobStore(BlobStores.create("transient", properties))
                    .endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ID, SECRET).build();
            proxy.start();
            while (!proxy.getState().equals("STARTED")) {
                Thread.onSpinWait();
            }
            URI endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
            try (S3Client raw = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                    .forcePathStyle(true)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ID, SECRET)))
                    .httpClient(software.amazon.awssdk.http.apache5.Apache5HttpClient.create()).build()) {
                raw.createBucket(b -> b.bucket("bkt"));
            }
            ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", ID,
                    "AWS_SECRET_ACCESS_KEY", SECRET, "AWS_SESSION_TOKEN", TOKEN));
            try (ReplicaClient c = ReplicaClients.open("s3://bkt/db?endpoint=" + endpoint, env)) {
                attempt(() -> c.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 1_700_000_000_000L, 300, 7))));
                attempt(() -> c.listFiles(0, 0, false));
                attempt(() -> {
                    c.openFile(0, 1, 1, 0, -1).close();
                    return null;
                });
            }
            proxy.stop();
            System.out.println("probe done");
        }

        interface Call {
            Object run() throws Exception;
        }

        private static void attempt(Call call) {
            try {
                call.run();
            } catch (Exception e) {
                System.out.println("call failed: " + e);
            }
        }
    }
}
