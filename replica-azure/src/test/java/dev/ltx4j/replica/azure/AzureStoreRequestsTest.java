package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobServiceClientBuilder;
import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.StoreRequests;
import dev.ltx4j.replica.azure.AzuriteServer.Endpoint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Issue 15: the store's bill, counted per HTTP attempt against Azurite, by kind and outcome. */
@ExtendWith(AzuriteServer.class)
class AzureStoreRequestsTest {
    private static final String CONTAINER = "ltx4j-store-requests";
    private final Endpoint server;

    AzureStoreRequestsTest(Endpoint server) {
        this.server = server;
        new BlobServiceClientBuilder().connectionString(server.connectionString()).buildClient()
                .getBlobContainerClient(CONTAINER).createIfNotExists();
    }

    private static LtxBody body(long min, long max, int size) {
        return LtxBody.of(LtxTestFiles.body(min, max, 1_700_000_000_000L, size, min));
    }

    @Test
    void countsEveryHttpRequestByKindAndOutcome() throws Exception {
        String url = "abs://" + AzuriteServer.ACCOUNT + "@" + CONTAINER + "/counted?endpoint=" + server.blobEndpoint();
        try (AzureReplicaClient client = AzureReplicaClient.open(ReplicaUrl.parse(url),
                ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AzuriteServer.KEY)))) {
            StoreRequests requests = client.storeRequests().orElseThrow();
            client.createFile(0, 1, 1, body(1, 1, 300));
            client.createFile(0, 2, 2, body(2, 2, 300));
            assertThatThrownBy(() -> client.createFile(0, 2, 2, body(2, 2, 300)))
                    .isInstanceOf(ReplicaAlreadyExistsException.class);
            assertThat(requests.count("put", "ok")).isEqualTo(2);
            assertThat(requests.count("put", "precondition_failed")).isEqualTo(1);

            List<LtxFileInfo> listed = client.listFiles(0, 0, true);
            assertThat(listed).hasSize(2);
            assertThat(requests.count("list", "ok")).isEqualTo(1); // metadata comes with the listing on Azure

            assertThatThrownBy(() -> client.readRange(0, 7, 7, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
            assertThat(requests.count("get", "not_found")).isEqualTo(1);
            assertThat(client.readRange(0, 1, 1, 0, 100)).hasSize(100);
            assertThat(requests.count("get", "ok")).isEqualTo(1);

            client.deleteFiles(listed);
            assertThat(requests.count("delete", "ok")).isEqualTo(2); // one request per blob
            assertThat(requests.total()).isEqualTo(3 + 1 + 2 + 2);
        }
    }
}
