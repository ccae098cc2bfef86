package dev.ltx4j.vfs;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.ListBlobsOptions;
import dev.ltx4j.replica.azure.AzuriteServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The contract's examples over Azure Blob Storage (Azurite); Litestream's Azure keys are {@code <path>/ltx/<level>/...}. */
@ExtendWith(AzuriteServer.class)
class SeedOverAzureTest extends SeedOverObjectStorage {
    private static AzuriteServer.Endpoint azurite;
    private static BlobContainerClient container;

    @BeforeAll
    static void container(AzuriteServer.Endpoint endpoint) {
        azurite = endpoint;
        container = new BlobServiceClientBuilder().connectionString(endpoint.connectionString()).buildClient()
                .getBlobContainerClient(BUCKET);
        container.createIfNotExists();
    }

    @Override
    String plainUrl(String path) {
        return "abs://" + AzuriteServer.ACCOUNT + "@" + BUCKET + "/" + path;
    }

    @Override
    String endpointQuery() {
        return "?endpoint=" + azurite.blobEndpoint();
    }

    @Override
    Map<String, String> endpointVariable() {
        return Map.of("LITESTREAM_AZURE_ENDPOINT", azurite.blobEndpoint());
    }

    @Override
    Map<String, String> credentials() {
        return Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AzuriteServer.KEY);
    }

    @Override
    List<String> rawKeys(String prefix) {
        return container.listBlobs(new ListBlobsOptions().setPrefix(prefix), null).stream().map(BlobItem::getName).toList();
    }

    @Override
    Pattern levelZeroKey(String path) {
        return Pattern.compile(Pattern.quote(path) + "/ltx/0/([0-9a-f]{16})-([0-9a-f]{16})\\.ltx");
    }

    @Override
    Pattern anyLevelKey(String path) {
        return Pattern.compile(Pattern.quote(path) + "/ltx/[0-9]/([0-9a-f]{16})-([0-9a-f]{16})\\.ltx");
    }
}
