package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.ReplicaUrl;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.Constants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Every credential source an S3 replica can use, against an S3Proxy of its own (restartable with another identity,
 * for rotation). The AWS SDK's default chain is steered with system properties only (the process environment cannot
 * be changed from Java): {@code aws.accessKeyId}, {@code aws.sharedCredentialsFile}, the container credentials URI
 * and the web identity settings, the last two served by a stub HTTP endpoint on 127.0.0.1.
 */
class S3CredentialSourcesTest {
    private static final String BUCKET = "creds";
    private static final String ID_A = "rotating-id-a";
    private static final String SECRET_A = "rotating-secret-a-s3cr3t";
    private static final String ID_B = "rotating-id-b";
    private static final String SECRET_B = "rotating-secret-b-s3cr3t";
    private static final List<String> PROPERTIES = List.of("aws.accessKeyId", "aws.secretAccessKey",
            "aws.sessionToken", "aws.sharedCredentialsFile", "aws.configFile", "aws.profile",
            "aws.containerCredentialsFullUri", "aws.containerCredentialsPath", "aws.webIdentityTokenFile",
            "aws.roleArn", "aws.roleSessionName", "aws.endpointUrlSts", "aws.region", "aws.disableEc2Metadata",
            "aws.ec2MetadataServiceEndpoint");

    @TempDir
    Path dir;
    private final BlobStore store = newStore();
    private S3Proxy proxy;
    private int port;
    private StubHttpServer stub;
    private final Properties saved = new Properties();
    private final AtomicInteger txid = new AtomicInteger();

    @BeforeEach
    void isolateTheDefaultChain() throws Exception {
        for (String p : PROPERTIES) {
            if (System.getProperty(p) != null) saved.setProperty(p, System.getProperty(p));
            System.clearProperty(p);
        }
        // Keep the chain away from the developer's own ~/.aws files and from a real instance metadata service.
        System.setProperty("aws.sharedCredentialsFile", dir.resolve("no-credentials").toString());
        System.setProperty("aws.configFile", dir.resolve("no-config").toString());
        System.setProperty("aws.disableEc2Metadata", "true");
        startProxy(0, ID_A, SECRET_A);
        try (S3Client raw = rawClient(ID_A, SECRET_A)) {
            raw.createBucket(b -> b.bucket(BUCKET));
        }
    }

    @AfterEach
    void restore() throws Exception {
        for (String p : PROPERTIES) System.clearProperty(p);
        saved.forEach((k, v) -> System.setProperty((String) k, (String) v));
        if (stub != null) stub.close();
        proxy.stop();
    }

    private static boolean processHasAwsKeys() {
        return System.getenv("AWS_ACCESS_KEY_ID") != null || System.getenv("AWS_SECRET_ACCESS_KEY") != null
                || System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != null
                || System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != null
                || System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != null;
    }

    @Test
    void staticKeysFromTheEnvironmentWinOverTheHookAndTheChain() throws Exception {
        System.setProperty("aws.accessKeyId", "wrong-id");
        System.setProperty("aws.secretAccessKey", "wrong-secret");
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", ID_A, "AWS_SECRET_ACCESS_KEY", SECRET_A))
                .with(AwsCredentialsProvider.class, StaticCredentialsProvider.create(
                        AwsBasicCredentials.create("hook-id", "hook-secret")));
        try (S3ReplicaClient client = open(env)) {
            writeAndList(client);
        }
    }

    @Test
    void theBuilderHookProviderIsUsedWhenNoKeysAreSet() throws Exception {
        System.setProperty("aws.accessKeyId", "wrong-id");
        System.setProperty("aws.secretAccessKey", "wrong-secret");
        AtomicInteger calls = new AtomicInteger();
        AwsCredentialsProvider hook = () -> {
            calls.incrementAndGet();
            return AwsBasicCredentials.create(ID_A, SECRET_A);
        };
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()).with(AwsCredentialsProvider.class, hook))) {
            writeAndList(client);
        }
        assertThat(calls).hasPositiveValue();
    }

    @Test
    void systemPropertiesThroughTheDefaultChain() throws Exception {
        assumeTrue(!processHasAwsKeys());
        System.setProperty("aws.accessKeyId", ID_A);
        System.setProperty("aws.secretAccessKey", SECRET_A);
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()))) {
            writeAndList(client);
        }
    }

    @Test
    void profileFileThroughTheDefaultChain() throws Exception {
        assumeTrue(!processHasAwsKeys());
        Path credentials = dir.resolve("credentials");
        writeProfile(credentials, "ltx4j", ID_A, SECRET_A);
        System.setProperty("aws.sharedCredentialsFile", credentials.toString());
        System.setProperty("aws.profile", "ltx4j");
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()))) {
            writeAndList(client);
        }
    }

    @Test
    void rotatedProfileCredentialsKeepSyncsGoingAndStaleOnesAreAClearError() throws Exception {
        assumeTrue(!processHasAwsKeys());
        Path credentials = dir.resolve("credentials");
        writeProfile(credentials, "default", ID_A, SECRET_A);
        System.setProperty("aws.sharedCredentialsFile", credentials.toString());
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()))) {
            writeAndList(client);

            // The server now accepts only B; the client still holds A: a clear, secret-free error.
            restartProxy(ID_B, SECRET_B);
            assertThat(failureAfterRestart(client))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("access denied to bucket '" + BUCKET + "'")
                    .hasMessageContaining("check the credentials")
                    .satisfies(e -> assertThat(e.toString()).doesNotContain(SECRET_A).doesNotContain(SECRET_B));

            // The profile file is rotated to B: the same client picks it up and writes again.
            writeProfile(credentials, "default", ID_B, SECRET_B);
            writeEventually(client);
            writeAndList(client);
        }
    }

    @Test
    void rotatingHookProviderKeepsTheSameClientWorking() throws Exception {
        AtomicReference<AwsBasicCredentials> current = new AtomicReference<>(AwsBasicCredentials.create(ID_A, SECRET_A));
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of())
                .with(AwsCredentialsProvider.class, current::get))) {
            writeAndList(client);
            restartProxy(ID_B, SECRET_B);
            assertThat(failureAfterRestart(client)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("access denied");
            current.set(AwsBasicCredentials.create(ID_B, SECRET_B));
            writeAndList(client);
        }
    }

    @Test
    void containerCredentialsFromALocalEndpoint() throws Exception {
        assumeTrue(!processHasAwsKeys());
        AtomicInteger served = new AtomicInteger();
        String json = "{\"AccessKeyId\":\"" + ID_A + "\",\"SecretAccessKey\":\"" + SECRET_A
                + "\",\"Expiration\":\"" + Instant.now().plus(1, ChronoUnit.HOURS)
                .truncatedTo(ChronoUnit.SECONDS) + "\"}";
        URI uri = serve("/creds", "application/json", json, served);
        System.setProperty("aws.containerCredentialsFullUri", uri.toString());
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()))) {
            writeAndList(client);
        }
        assertThat(served).hasPositiveValue();
    }

    @Test
    void webIdentityThroughStsAtALocalEndpoint() throws Exception {
        assumeTrue(!processHasAwsKeys());
        AtomicInteger served = new AtomicInteger();
        String xml = "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                + "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>" + ID_A + "</AccessKeyId>"
                + "<SecretAccessKey>" + SECRET_A + "</SecretAccessKey><SessionToken>web-token</SessionToken>"
                + "<Expiration>" + Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS)
                + "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
                + "<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>";
        URI uri = serve("/", "text/xml", xml, served);
        AtomicReference<String> request = stub.lastRequest();
        Path token = dir.resolve("token");
        Files.writeString(token, "a-web-identity-token");
        System.setProperty("aws.webIdentityTokenFile", token.toString());
        System.setProperty("aws.roleArn", "arn:aws:iam::123456789012:role/ltx4j");
        System.setProperty("aws.roleSessionName", "ltx4j-test");
        System.setProperty("aws.endpointUrlSts", uri.toString());
        System.setProperty("aws.region", "us-east-1");
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()))) {
            // S3Proxy answers any request carrying a session token with 501 NotImplemented: reaching it at all
            // means the token exchange worked and the request was signed with the role's credentials.
            assertThatThrownBy(() -> client.listFiles(0, 0, false))
                    .hasMessageContaining("NotImplemented").message().doesNotContain("no credentials");
        }
        assertThat(served).hasPositiveValue();
        assertThat(request.get()).contains("Action=AssumeRoleWithWebIdentity")
                .contains("WebIdentityToken=a-web-identity-token").contains("RoleArn=arn");
    }

    @Test
    void noCredentialsAnywhereIsAClearErrorAtTheFirstRequest() throws Exception {
        assumeTrue(!processHasAwsKeys());
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()))) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageStartingWith("s3: no credentials for s3://" + BUCKET)
                    .hasMessageContaining("the AWS SDK default chain")
                    .hasMessageContaining("AWS_ACCESS_KEY_ID")
                    .satisfies(e -> assertThat(((ReplicaPermanentException) e).credentialsMayRenew()).isTrue());
        }
    }

    /**
     * A profile whose credential_process fails, in a config file with several profiles: the chain's message began with
     * a dump of every profile and gave the failing one no reason, so the error was cut off before anything useful.
     */
    @Test
    void aFailingCredentialProcessIsNamedAndTheProfileFileIsNotDumped() throws Exception {
        assumeTrue(!processHasAwsKeys());
        Path script = dir.resolve("vault-creds.sh");
        Files.writeString(script, "#!/bin/sh\necho 'vault said: token " + SECRET_B + " denied' >&2\n"
                + "echo '{\"Version\":1,\"AccessKeyId\":\"" + ID_A + "\",\"SecretAccessKey\":\"" + SECRET_A + "\"}'\nexit 3\n");
        assertThat(script.toFile().setExecutable(true)).isTrue();
        Path config = dir.resolve("config");
        StringBuilder profiles = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            profiles.append("[profile team-").append(i).append("-with-a-long-name]\nregion = eu-west-1\n");
        }
        profiles.append("[profile app]\ncredential_process = ").append(script).append('\n');
        Files.writeString(config, profiles.toString());
        System.setProperty("aws.configFile", config.toString());
        System.setProperty("aws.profile", "app");
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()))) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageStartingWith("s3: no credentials for s3://" + BUCKET)
                    .hasMessageContaining("the AWS SDK default chain: profile 'app': ")
                    .hasMessageContaining("its credential_process exited non-zero")
                    .hasMessageContaining("not configured: system properties, environment, web identity")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("ProfileFile(").doesNotContain("team-3")
                            .doesNotContain(SECRET_A).doesNotContain(SECRET_B).doesNotContain("..."));
        }

        // A profile that is not in the file says so, without listing the file's profiles.
        System.setProperty("aws.profile", "nope");
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()))) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false))
                    .hasMessageContaining("profile 'nope': Profile file contained no credentials for profile 'nope'")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("ProfileFile(").doesNotContain("team-3"));
        }
    }

    @Test
    void anUnreachableContainerEndpointIsTheReason() throws Exception {
        assumeTrue(!processHasAwsKeys());
        System.setProperty("aws.containerCredentialsFullUri", "http://127.0.0.1:9/role");
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()))) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("container credentials endpoint: Failed to load credentials")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("AwsCredentialsProviderChain("));
        }
    }

    @Test
    void aFailingHookProviderIsAClearErrorWithoutItsSecrets() throws Exception {
        AwsCredentialsProvider broken = () -> {
            throw new IllegalStateException("vault unreachable");
        };
        try (S3ReplicaClient client = open(ReplicaEnvironment.of(Map.of()).with(AwsCredentialsProvider.class, broken))) {
            assertThatThrownBy(() -> writeAndList(client))
                    .isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("no credentials")
                    .hasMessageContaining("the configured credentials provider")
                    .hasMessageContaining("vault unreachable");
        }
    }

    // ---- helpers

    private S3ReplicaClient open(ReplicaEnvironment env) throws ReplicaException {
        return S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse("s3://" + BUCKET + "/db?endpoint=http://127.0.0.1:"
                + port), env), env);
    }

    private void writeAndList(S3ReplicaClient client) throws ReplicaException {
        int t = txid.get() + 1;
        client.createFile(0, t, t, LtxBody.of(LtxTestFiles.body(t, t, 0, 200, t)));
        txid.set(t);
        assertThat(client.listFiles(0, 0, false)).hasSize(t);
    }

    /**
     * The failure of the first write that reaches the restarted proxy. A pooled connection to the stopped proxy can
     * fail a create first ("the target server failed to respond": outcome unknown, or a transient error); the new
     * proxy never saw that request, so the test writes again, at most a few times, until the answer is the server's.
     */
    private Throwable failureAfterRestart(S3ReplicaClient client) {
        Throwable failure = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            failure = catchThrowable(() -> writeAndList(client));
            if (!(failure instanceof ReplicaOutcomeUnknownException || failure instanceof ReplicaTransientException)) {
                return failure;
            }
        }
        return failure;
    }

    /** Writes until the SDK has reloaded the rotated profile file (it checks the file's modification time). */
    private void writeEventually(S3ReplicaClient client) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try {
                int t = txid.get() + 1;
                client.createFile(0, t, t, LtxBody.of(LtxTestFiles.body(t, t, 0, 200, t)));
                txid.set(t);
                return;
            } catch (ReplicaPermanentException e) {
                if (System.nanoTime() > deadline) throw e;
                Thread.sleep(200);
            }
        }
    }

    private static void writeProfile(Path file, String profile, String id, String secret) throws IOException {
        Instant before = Files.exists(file) ? Files.getLastModifiedTime(file).toInstant() : Instant.EPOCH;
        Files.writeString(file, "[" + profile + "]\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n");
        // Coarse file-system clocks: make the change visible to a modification-time check.
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().isAfter(before.plusSeconds(2))
                ? Instant.now() : before.plusSeconds(2)));
    }

    private URI serve(String path, String type, String body, AtomicInteger served) throws IOException {
        stub = new StubHttpServer(type, body, served);
        return URI.create("http://127.0.0.1:" + stub.port() + path);
    }

    private static BlobStore newStore() {
        Properties properties = new Properties();
        properties.setProperty(Constants.PROPERTY_IDENTITY, "");
        properties.setProperty(Constants.PROPERTY_CREDENTIAL, "");
        return BlobStores.create("transient", properties);
    }

    private void startProxy(int wantedPort, String id, String secret) throws Exception {
        proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:" + wantedPort))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, id, secret)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!proxy.getState().equals("STARTED")) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            Thread.onSpinWait();
        }
        port = proxy.getPort();
    }

    /** Same store, same port, another accepted identity: what the client sees when its credentials are revoked. */
    private void restartProxy(String id, String secret) throws Exception {
        proxy.stop();
        startProxy(port, id, secret);
    }

    private S3Client rawClient(String id, String secret) {
        return S3Client.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + port))
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret)))
                .httpClient(software.amazon.awssdk.http.apache5.Apache5HttpClient.create())
                .build();
    }
}
