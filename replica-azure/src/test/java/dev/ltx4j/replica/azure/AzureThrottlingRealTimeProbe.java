package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobServiceClientBuilder;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.RetryingReplicaClient;
import dev.ltx4j.replica.azure.AzuriteServer.Endpoint;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The real-time figures of docs/field-probes.md, round 8, for Azure: one listing through the engine's default retries
 * and the SDK's real waits under sustained 503 ServerBusy, counting requests and time. Minutes long, so not run in CI:
 * {@code -Dltx4j.probe.realtime=true -Dtest=AzureThrottlingRealTimeProbe}. Public API only (runs against older code).
 */
@EnabledIfSystemProperty(named = "ltx4j.probe.realtime", matches = "true")
@ExtendWith(AzuriteServer.class)
class AzureThrottlingRealTimeProbe {
    @Test
    void oneListingUnderSustainedServerBusy(Endpoint azurite) throws Exception {
        new BlobServiceClientBuilder().connectionString(azurite.connectionString()).buildClient()
                .getBlobContainerClient("probe").createIfNotExists();
        try (AzuriteFront front = new AzuriteFront(azurite.blobEndpoint())) {
            front.answer = r -> AzuriteFront.Answer.error(503, "Server Busy", "ServerBusy");
            int runs = Integer.getInteger("ltx4j.probe.runs", 1);
            for (int run = 0; run < runs; run++) {
                front.forget();
                try (ReplicaClient engine = RetryingReplicaClient.wrap(AzureReplicaClient.open(ReplicaUrl.parse(
                        "abs://" + AzuriteServer.ACCOUNT + "@probe/db?endpoint=" + front.endpoint(AzuriteServer.ACCOUNT)),
                        ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AzuriteServer.KEY))), run)) {
                    long start = System.nanoTime();
                    assertThatThrownBy(() -> engine.listFiles(0, 0, false))
                            .isInstanceOf(ReplicaTransientException.class);
                    System.out.printf("PROBE abs listing under 503 ServerBusy: %d requests, %.1f s%n",
                            front.requests(), (System.nanoTime() - start) / 1e9);
                }
            }
        }
    }
}
