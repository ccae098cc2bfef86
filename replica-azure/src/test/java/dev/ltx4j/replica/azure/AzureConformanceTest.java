package dev.ltx4j.replica.azure;

import dev.ltx4j.conformance.SilentServer;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import dev.ltx4j.conformance.IdentitySpellings;
import dev.ltx4j.conformance.RawStore;
import dev.ltx4j.conformance.ReplicaClientConformanceTest;
import dev.ltx4j.conformance.ThrottledStore;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.azure.AzuriteServer.Endpoint;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared ReplicaClient conformance kit against Azurite 3.37.0. */
@ExtendWith(AzuriteServer.class)
class AzureConformanceTest extends ReplicaClientConformanceTest {
    private final Endpoint server;
    private final BlobContainerClient raw;

    AzureConformanceTest(Endpoint server) {
        this.server = server;
        this.raw = new BlobServiceClientBuilder().connectionString(server.connectionString()).buildClient()
                .getBlobContainerClient(AzureReplicaClientTest.CONTAINER);
        raw.createIfNotExists();
    }

    @Override
    protected ReplicaClient openClient(String prefix) throws Exception {
        return AzureReplicaClient.open(ReplicaUrl.parse("abs://" + AzuriteServer.ACCOUNT + "@"
                + AzureReplicaClientTest.CONTAINER + "/" + prefix + "?endpoint=" + server.blobEndpoint()),
                ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AzuriteServer.KEY)));
    }

    @Override
    protected Optional<IdentitySpellings> identitySpellings(String prefix) {
        String a = AzuriteServer.ACCOUNT;
        String c = AzureReplicaClientTest.CONTAINER;
        String e = server.blobEndpoint();
        return Optional.of(new IdentitySpellings(new AzureReplicaClientProvider(),
                ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AzuriteServer.KEY)), List.of(
                "abs://" + a + "@" + c + "/" + prefix + "?endpoint=" + e,
                "abs://" + a + "@" + c + "//" + prefix + "/./?request-timeout=30s&endpoint=" + e + "/",
                "abs://" + a + "@" + c + "/x/../" + prefix + "/?endpoint=" + e.replaceFirst("^http:", "HTTP:")),
                List.of("abs://" + a + "@" + c + "/" + prefix + "2?endpoint=" + e)));
    }

    private static AzuriteFront throttling;

    @AfterAll
    static void closeThrottlingFront() throws Exception {
        if (throttling != null) {
            throttling.close();
            throttling = null;
        }
    }

    /** Azurite behind {@link AzuriteFront} answering 503 ServerBusy to everything; the SDK's waits shortened to 1 ms. */
    @Override
    protected Optional<ThrottledStore> openThrottledClient(String prefix) throws Exception {
        if (throttling == null) {
            throttling = new AzuriteFront(server.blobEndpoint());
            throttling.answer = r -> AzuriteFront.Answer.error(503, "Server Busy", "ServerBusy");
        }
        AzuriteFront front = throttling;
        return Optional.of(new ThrottledStore(AzureReplicaClient.open(AzureUrlParser.parse(ReplicaUrl.parse("abs://"
                + AzuriteServer.ACCOUNT + "@" + AzureReplicaClientTest.CONTAINER + "/" + prefix + "?endpoint="
                + front.endpoint(AzuriteServer.ACCOUNT)), ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY",
                AzuriteServer.KEY))), java.time.Duration.ofMillis(1)), front::requests));
    }

    @Override
    protected Optional<ReplicaClient> openUnreachableClient(String prefix) throws Exception {
        return Optional.of(AzureReplicaClient.open(ReplicaUrl.parse("abs://" + AzuriteServer.ACCOUNT + "@"
                + AzureReplicaClientTest.CONTAINER + "/" + prefix + "?endpoint=http://127.0.0.1:" + SilentServer.closedPort()
                + "/" + AzuriteServer.ACCOUNT), ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AzuriteServer.KEY))));
    }

    @Override
    protected Optional<RawStore> rawStore(String prefix) {
        AzureKeyLayout layout = new AzureKeyLayout(prefix);
        return Optional.of(new RawStore() {
            @Override
            public void putInLevel(int level, String name, byte[] data) {
                put(layout.levelPrefix(level) + name, data);
            }

            @Override
            public void putAtRoot(String relativePath, byte[] data) {
                put(layout.replicaPrefix() + relativePath, data);
            }
        });
    }

    private void put(String name, byte[] data) {
        raw.getBlobClient(name).upload(new ByteArrayInputStream(data), data.length, true);
    }
}
