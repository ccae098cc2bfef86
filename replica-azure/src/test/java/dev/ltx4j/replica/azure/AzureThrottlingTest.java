package dev.ltx4j.replica.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.BlobServiceClientBuilder;
import dev.ltx4j.conformance.LtxTestFiles;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.RetryPolicy;
import dev.ltx4j.replica.RetryTimer;
import dev.ltx4j.replica.RetryingReplicaClient;
import dev.ltx4j.replica.azure.AzuriteFront.Answer;
import dev.ltx4j.replica.azure.AzuriteServer.Endpoint;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Field probes, round 8: Azurite behind {@link AzuriteFront}, a proxy that throttles (503 ServerBusy, 500
 * OperationTimedOut) or answers as a wrong endpoint would. Counts the requests one operation sends through the
 * engine's {@link RetryingReplicaClient} (the SDK's tries are real, its waits shortened to 1 ms; the engine's timer
 * does not sleep), and checks that each error is typed, names the container, endpoint or account, and holds no key.
 */
@ExtendWith(AzuriteServer.class)
class AzureThrottlingTest {
    private static final String CONTAINER = "throttled";
    private static final AtomicInteger paths = new AtomicInteger();
    private final Endpoint azurite;
    private AzuriteFront front;
    private String path;

    AzureThrottlingTest(Endpoint azurite) {
        this.azurite = azurite;
        new BlobServiceClientBuilder().connectionString(azurite.connectionString()).buildClient()
                .getBlobContainerClient(CONTAINER).createIfNotExists();
    }

    /** Counts the engine's waits without waiting. */
    private static final class NoSleep implements RetryTimer {
        long now;
        int sleeps;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleep(Duration d) {
            sleeps++;
            now += d.toNanos();
        }
    }

    @BeforeEach
    void startFront() throws Exception {
        front = new AzuriteFront(azurite.blobEndpoint());
        path = "throttle-" + paths.incrementAndGet() + "/db";
    }

    @AfterEach
    void stopFront() throws Exception {
        front.close();
    }

    private AzureReplicaClient open(String account, String key) throws ReplicaException {
        return AzureReplicaClient.open(AzureUrlParser.parse(ReplicaUrl.parse("abs://" + account + "@" + CONTAINER + "/"
                + path + "?endpoint=" + front.endpoint(account)), ReplicaEnvironment.of(Map.of(
                "LITESTREAM_AZURE_ACCOUNT_KEY", key))), Duration.ofMillis(1));
    }

    private AzureReplicaClient open() throws ReplicaException {
        return open(AzuriteServer.ACCOUNT, AzuriteServer.KEY);
    }

    private static void assertNoKey(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(AzuriteServer.KEY).doesNotContain("sig=");
        }
    }

    @Test
    void aListingUnderSustainedServerBusySendsTheSdkTriesTwiceNotEightTimes() throws Exception {
        front.answer = r -> Answer.error(503, "Server Busy", "ServerBusy");
        NoSleep timer = new NoSleep();
        try (AzureReplicaClient client = open()) {
            RetryingReplicaClient engine = new RetryingReplicaClient(client, RetryPolicy.defaults(), timer, 1);
            assertThatThrownBy(() -> engine.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class)
                    .satisfies(e -> {
                        ReplicaTransientException t = (ReplicaTransientException) e;
                        assertThat(t.backendAttempts()).isEqualTo(AzureReplicaClient.SDK_TRIES);
                        assertThat(t.getMessage()).contains("HTTP 503", "ServerBusy", "container '" + CONTAINER + "'",
                                "10 requests");
                        assertNoKey(e);
                    });
        }
        // Before store-throttle: up to 8 x 10 (the engine's 2-minute bound cut it in real time). Now one more backend
        // call within the engine's time budget, then the failure.
        assertThat(front.requests()).as("requests of one listing").isEqualTo(2 * AzureReplicaClient.SDK_TRIES);
        assertThat(timer.sleeps).isEqualTo(1);
    }

    @Test
    void aReadUnderSustainedOperationTimedOutIsBoundedTheSameWay() throws Exception {
        try (AzureReplicaClient client = open()) {
            client.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 1_700_000_000_000L, 300, 1)));
            front.forget();
            front.answer = r -> r.method().equals("GET") ? Answer.error(500, "Operation Timed Out",
                    "OperationTimedOut") : null;
            RetryingReplicaClient engine = new RetryingReplicaClient(client, RetryPolicy.defaults(), new NoSleep(), 1);
            assertThatThrownBy(() -> engine.readRange(0, 1, 1, 0, 300)).isInstanceOf(ReplicaTransientException.class)
                    .hasMessageContaining("OperationTimedOut").hasMessageContaining("HTTP 500")
                    .satisfies(AzureThrottlingTest::assertNoKey);
        }
        assertThat(front.requests()).isEqualTo(2 * AzureReplicaClient.SDK_TRIES);
    }

    @Test
    void aThrottledCreateIsRetriedByTheEngineAloneOneRequestPerAttempt() throws Exception {
        front.answer = r -> r.method().equals("PUT") ? Answer.error(503, "Server Busy", "ServerBusy") : null;
        try (AzureReplicaClient client = open()) {
            RetryingReplicaClient engine = new RetryingReplicaClient(client, RetryPolicy.defaults(), new NoSleep(), 1);
            assertThatThrownBy(() -> engine.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1,
                    1_700_000_000_000L, 300, 1)))).isInstanceOf(ReplicaTransientException.class)
                    .satisfies(e -> assertThat(((ReplicaTransientException) e).backendRetried()).isFalse());
        }
        // The conditional create is sent without SDK retries (a replay could see its own blob): the engine's 8.
        assertThat(front.requests()).isEqualTo(RetryPolicy.defaults().maxAttempts());
    }

    /**
     * An endpoint whose path names another account than the key's (Azurite answers 404 ResourceNotFound, as a
     * path-style endpoint does): permanent, naming the endpoint and the account, not retried, no key.
     */
    @Test
    void anEndpointOfAnotherAccountIsAPermanentErrorNamingTheAccount() throws Exception {
        try (AzureReplicaClient client = open("otheraccount", AzuriteServer.KEY)) {
            RetryingReplicaClient engine = new RetryingReplicaClient(client, RetryPolicy.defaults(), new NoSleep(), 1);
            assertThatThrownBy(() -> engine.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .hasMessageContaining("has no such account")
                    .hasMessageContaining("account 'otheraccount'")
                    .hasMessageContaining("HTTP 404, ResourceNotFound")
                    .hasMessageContaining("container '" + CONTAINER + "'")
                    .satisfies(AzureThrottlingTest::assertNoKey);
        }
        assertThat(front.requests()).as("a refusal is not retried").isEqualTo(1);
    }

    /**
     * An account endpoint of a region or cloud whose name does not resolve (the account is not there): unreachable,
     * retried only within the engine's short bound, naming the endpoint.
     */
    @Test
    void anAccountEndpointThatDoesNotResolveIsUnreachableNamingIt() throws Exception {
        String endpoint = "https://ltx4jnosuchaccount.blob.core.windows.invalid";
        try (AzureReplicaClient client = AzureReplicaClient.open(AzureUrlParser.parse(ReplicaUrl.parse(
                "abs://ltx4jnosuchaccount@" + CONTAINER + "/" + path + "?endpoint=" + endpoint),
                ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", AzuriteServer.KEY))),
                Duration.ofMillis(1))) {
            assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class)
                    .satisfies(e -> assertThat(((ReplicaTransientException) e).endpointUnreachable()).isTrue())
                    .hasMessageContaining("cannot resolve host name ltx4jnosuchaccount.blob.core.windows.invalid of endpoint "
                            + endpoint)
                    .satisfies(AzureThrottlingTest::assertNoKey);
        }
    }
}
