package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.storage.blob.BlobContainerClientBuilder;
import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaUrl;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * A server that accepts Azure AD bearer tokens: Azurite with {@code --oauth basic} over https. Its certificate is
 * self-signed for 127.0.0.1 and trusted only by this test JVM (the default {@link SSLContext} is replaced for the
 * duration of the class); TLS verification (chain and host name) stays on. The token comes through the
 * {@link TokenCredential} hook, as a user's {@code DefaultAzureCredential} or managed identity would hand it over.
 *
 * <p>What Azurite's "basic" check does and does not do: it requires a JWT with a storage audience, an Azure AD issuer
 * and a current lifetime, and refuses anything else (an expired token, a non-JWT); it does not verify the token's
 * signature (only Azure AD could). So this shows the client side end to end (token asked, sent as a bearer header
 * over verified TLS, accepted, expiry a clear error), not Azure AD's validation.
 */
class AzureOAuthTest {
    private static final String CONTAINER = "oauth";
    private static final String TENANT = "ab1f708d-50f6-404c-a006-d71b2ac7a606";

    @TempDir
    static Path dir;

    private static AzuriteServer.Running azurite;
    private static SSLContext before;
    private static PrivateKey signingKey;

    @BeforeAll
    static void startHttpsAzurite() throws Exception {
        // A key pair and certificate for 127.0.0.1, made with the JDK's keytool (no openssl needed).
        Path store = dir.resolve("azurite.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "azurite", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=IP:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0).as(out).isTrue();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        signingKey = (PrivateKey) ks.getKey("azurite", "changeit".toCharArray());
        Certificate cert = ks.getCertificate("azurite");
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", signingKey.getEncoded()));

        azurite = AzuriteServer.start(List.of("--oauth", "basic", "--cert", certPem.toString(), "--key",
                keyPem.toString()));
        assertThat(azurite.endpoint().blobEndpoint()).startsWith("https://127.0.0.1:");

        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        trusted.setCertificateEntry("azurite", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        before = SSLContext.getDefault();
        SSLContext.setDefault(tls); // HTTP clients built from now on trust Azurite's certificate (and nothing else)
    }

    @AfterAll
    static void stop() throws Exception {
        if (before != null) {
            SSLContext.setDefault(before);
        }
        if (azurite != null) {
            azurite.close();
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /** An RS256 JWT shaped like an Azure AD storage token, valid from {@code from} to {@code until}. */
    private static String jwt(Instant from, Instant until) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = b64.encodeToString(("{\"aud\":\"https://storage.azure.com\",\"iss\":\"https://sts.windows.net/"
                + TENANT + "/\",\"tid\":\"" + TENANT + "\",\"oid\":\"11059fcc-5514-4800-b5f8-49808b9cfab6\",\"iat\":"
                + from.getEpochSecond() + ",\"nbf\":" + from.getEpochSecond() + ",\"exp\":" + until.getEpochSecond()
                + "}").getBytes(StandardCharsets.UTF_8));
        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initSign(signingKey);
        rs256.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + b64.encodeToString(rs256.sign());
    }

    private static TokenCredential hook(String token, Instant expires, AtomicInteger asked) {
        return request -> {
            asked.incrementAndGet();
            assertThat(request.getScopes()).containsExactly("https://storage.azure.com/.default");
            return Mono.just(new AccessToken(token, OffsetDateTime.ofInstant(expires, ZoneOffset.UTC)));
        };
    }

    private static AzureReplicaClient open(String path, TokenCredential credential) throws ReplicaException {
        String url = "abs://" + AzuriteServer.ACCOUNT + "@" + CONTAINER + "/" + path + "?endpoint="
                + azurite.endpoint().blobEndpoint();
        return AzureReplicaClient.open(ReplicaUrl.parse(url),
                ReplicaEnvironment.of(Map.of()).with(TokenCredential.class, credential));
    }

    @Test
    void aBearerTokenFromTheHookIsAcceptedOverVerifiedTls() throws Exception {
        Instant now = Instant.now();
        String token = jwt(now.minusSeconds(60), now.plusSeconds(3600));
        AtomicInteger asked = new AtomicInteger();
        TokenCredential credential = hook(token, now.plusSeconds(3600), asked);
        // The container, created with the same token through the plain SDK (the replica client never creates one).
        new BlobContainerClientBuilder().endpoint(azurite.endpoint().blobEndpoint()).containerName(CONTAINER)
                .credential(credential).buildClient().createIfNotExists();

        try (AzureReplicaClient client = open("db", credential)) {
            byte[] body = LtxTestFiles.body(1, 1, now.toEpochMilli(), 300, 1);
            client.createFile(0, 1, 1, LtxBody.of(body));
            assertThat(client.listFiles(0, 0, false)).singleElement()
                    .satisfies(f -> assertThat(f.maxTxid()).isEqualTo(1));
            try (InputStream in = client.openFile(0, 1, 1, 0, body.length)) {
                assertThat(in.readAllBytes()).isEqualTo(body);
            }
            assertThat(client.toString()).doesNotContain(token);
        }
        assertThat(asked).hasPositiveValue();
    }

    @Test
    void anExpiredTokenIsAClearPermanentErrorWithoutTheToken() throws Exception {
        Instant now = Instant.now();
        String expired = jwt(now.minusSeconds(7200), now.minusSeconds(3600));
        // Handed over as if still valid (a clock-skewed or stale cache): the server refuses it.
        try (AzureReplicaClient client = open("expired", hook(expired, now.plusSeconds(3600), new AtomicInteger()))) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(expired).doesNotContain("AccountKey"))
                    .hasMessageContaining("refused the Azure AD token for container '" + CONTAINER + "' as expired")
                    .hasMessageContaining("HTTP 403, AuthenticationFailed")
                    // a credential that renews gets its chance: a close keeps retrying until its timeout
                    .satisfies(e -> assertThat(((ReplicaPermanentException) e).credentialsMayRenew()).isTrue());
        }
    }

    /**
     * The service refuses a token as expired that the credential claimed valid for another hour (a stale cache, a
     * clock): the next request asks the credential again, and the renewed token is used. Before, the SDK's token cache
     * sent the refused token until its claimed expiry, so every request failed for that hour.
     */
    @Test
    void aTokenRefusedAsExpiredIsAskedForAgainAtTheNextRequest() throws Exception {
        Instant now = Instant.now();
        String expired = jwt(now.minusSeconds(7200), now.minusSeconds(3600));
        String fresh = jwt(now.minusSeconds(60), now.plusSeconds(3600));
        AtomicInteger asked = new AtomicInteger();
        TokenCredential renewing = request -> Mono.just(new AccessToken(asked.incrementAndGet() == 1 ? expired : fresh,
                OffsetDateTime.ofInstant(now.plusSeconds(3600), ZoneOffset.UTC)));
        new BlobContainerClientBuilder().endpoint(azurite.endpoint().blobEndpoint()).containerName(CONTAINER)
                .credential(hook(fresh, now.plusSeconds(3600), new AtomicInteger())).buildClient().createIfNotExists();
        try (AzureReplicaClient client = open("renewed", renewing)) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .satisfies(e -> assertThat(((ReplicaPermanentException) e).credentialsMayRenew()).isTrue());
            assertThat(client.listFiles(0, 0, false)).isEmpty();
            assertThat(asked).as("asked once for the refused token, once for the renewed one").hasValue(2);
        }
    }

    /**
     * The success above depends on the trust this test added: with the JVM's stock trust store the same https
     * endpoint is refused in the handshake (the replica client builds its JDK HTTP client on the default
     * {@link SSLContext} and never relaxes verification; asserted here with a plain JDK client because the Azure SDK
     * retries a failed handshake for minutes).
     */
    @Test
    void theStockTrustStoreRefusesTheSelfSignedServer() {
        HttpClient stock = HttpClient.newBuilder().sslContext(before).connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create(azurite.endpoint().blobEndpoint() + "?comp=list"))
                .timeout(Duration.ofSeconds(10)).build();
        assertThatThrownBy(() -> stock.send(get, HttpResponse.BodyHandlers.discarding()))
                .isInstanceOf(SSLHandshakeException.class);
    }
}
