package dev.ltx4j.replica.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.ltx4j.replica.s3.StoreInTheMiddle.Response;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.retries.api.BackoffStrategy;

/**
 * Sustained throttling (every request answered 503 SlowDown, 500 InternalError) and an expired session token, from
 * S3Proxy behind {@link StoreInTheMiddle}: how many requests one operation sends through the engine's
 * {@link RetryingReplicaClient} (every request is billed), and what the error says. The SDK's waits are replaced by
 * none and the engine's timer does not sleep, so the counts come without the minutes the real waits take
 * (docs/field-probes.md, round 8, has the real-time figures).
 */
class S3ThrottlingTest {
    private static final String SECRET = "throttle-secret-v4lue";
    private static StoreInTheMiddle store;
    private static final AtomicInteger paths = new AtomicInteger();
    private String path;

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

    @BeforeAll
    static void start() throws Exception {
        store = new StoreInTheMiddle();
    }

    @AfterAll
    static void stop() throws Exception {
        store.close();
    }

    @BeforeEach
    void honestStore() {
        store.answer = r -> null;
        store.forget();
        path = "throttle-" + paths.incrementAndGet() + "/db";
    }

    private S3ReplicaClient open(Map<String, String> env) throws ReplicaException {
        ReplicaEnvironment e = ReplicaEnvironment.of(env);
        String url = "s3://" + StoreInTheMiddle.BUCKET + "/" + path + "?endpoint=" + store.uri();
        return S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse(url), e), e, BackoffStrategy.retryImmediately());
    }

    private S3ReplicaClient open() throws ReplicaException {
        return open(Map.of("AWS_ACCESS_KEY_ID", "throttle-key", "AWS_SECRET_ACCESS_KEY", SECRET));
    }

    @Test
    void aListingUnderSustainedSlowDownSendsTheSdkAttemptsTwiceNotEightTimes() throws Exception {
        store.answer = r -> Response.error(503, "SlowDown");
        NoSleep timer = new NoSleep();
        try (S3ReplicaClient s3 = open()) {
            RetryingReplicaClient engine = new RetryingReplicaClient(s3, RetryPolicy.defaults(), timer, 1);
            assertThatThrownBy(() -> engine.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class)
                    .satisfies(e -> {
                        ReplicaTransientException t = (ReplicaTransientException) e;
                        assertThat(t.backendRetried()).isTrue();
                        assertThat(t.backendAttempts()).isEqualTo(S3ReplicaClient.SDK_ATTEMPTS);
                        assertThat(t.getMessage()).contains("HTTP 503", "SlowDown", "'" + StoreInTheMiddle.BUCKET + "'",
                                "10 requests").doesNotContain(SECRET).doesNotContain("throttle-key");
                    });
        }
        // Before store-throttle: the engine's 8 attempts each made the SDK's 10 (80 here; ~30 in real time, where the
        // engine's 2-minute bound stopped it). Now one more backend call within the time budget, then the failure.
        assertThat(store.seen()).as("requests the store saw for one listing")
                .hasSize(2 * S3ReplicaClient.SDK_ATTEMPTS);
        assertThat(timer.sleeps).as("the engine retried the backend's sequence once").isEqualTo(1);
    }

    /**
     * A burst of 12 throttled answers, longer than the SDK's 10 attempts: the engine's one more backend call absorbs
     * it (13 requests), as the engine's budget did before store-throttle.
     */
    @Test
    void aBurstLongerThanTheSdkAttemptsIsAbsorbedByOneMoreBackendCall() throws Exception {
        AtomicInteger burst = new AtomicInteger(12);
        store.answer = r -> burst.getAndDecrement() > 0 ? Response.error(503, "SlowDown") : null;
        try (S3ReplicaClient s3 = open()) {
            RetryingReplicaClient engine = new RetryingReplicaClient(s3, RetryPolicy.defaults(), new NoSleep(), 1);
            assertThat(engine.listFiles(0, 0, false)).isEmpty();
        }
        assertThat(store.seen()).hasSize(13);
    }

    /**
     * A burst of 22 throttled answers, longer than two SDK sequences: the operation fails after 20 requests; the next
     * operation, the caller's next cycle, passes after the burst's last two.
     */
    @Test
    void aBurstLongerThanTwoSdkSequencesFailsTheOperationAndTheNextOnePasses() throws Exception {
        AtomicInteger burst = new AtomicInteger(22);
        store.answer = r -> burst.getAndDecrement() > 0 ? Response.error(503, "SlowDown") : null;
        try (S3ReplicaClient s3 = open()) {
            RetryingReplicaClient engine = new RetryingReplicaClient(s3, RetryPolicy.defaults(), new NoSleep(), 1);
            assertThatThrownBy(() -> engine.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class);
            assertThat(store.seen()).hasSize(20);
            assertThat(engine.listFiles(0, 0, false)).isEmpty();
        }
        assertThat(store.seen()).hasSize(23);
    }

    @Test
    void aReadUnderSustainedInternalErrorsIsBoundedTheSameWay() throws Exception {
        try (S3ReplicaClient s3 = open()) {
            s3.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 1_700_000_000_000L, 300, 1)));
            store.answer = r -> r.method().equals("GET") ? Response.error(500, "InternalError") : null;
            store.forget();
            RetryingReplicaClient engine = new RetryingReplicaClient(s3, RetryPolicy.defaults(), new NoSleep(), 1);
            assertThatThrownBy(() -> engine.readRange(0, 1, 1, 0, 0)).isInstanceOf(ReplicaTransientException.class)
                    .hasMessageContaining("InternalError");
        }
        assertThat(store.seen()).hasSize(2 * S3ReplicaClient.SDK_ATTEMPTS);
    }

    @Test
    void aThrottledCreateIsRetriedByTheEngineAloneOneRequestPerAttempt() throws Exception {
        try (S3ReplicaClient s3 = open()) {
            s3.createFile(0, 1, 1, LtxBody.of(LtxTestFiles.body(1, 1, 1_700_000_000_000L, 300, 1)));
            store.answer = r -> r.isConditionalPut() ? Response.error(503, "SlowDown") : null;
            store.forget();
            RetryingReplicaClient engine = new RetryingReplicaClient(s3, RetryPolicy.defaults(), new NoSleep(), 1);
            assertThatThrownBy(() -> engine.createFile(0, 2, 2, LtxBody.of(LtxTestFiles.body(2, 2,
                    1_700_000_000_000L, 300, 2)))).isInstanceOf(ReplicaTransientException.class)
                    .satisfies(e -> assertThat(((ReplicaTransientException) e).backendRetried()).isFalse());
        }
        // Conditional creates go without SDK retries (a replay could see its own object): the engine's 8.
        assertThat(store.seen()).hasSize(RetryPolicy.defaults().maxAttempts());
    }

    /**
     * An expired session token from keys in the environment cannot renew while the process runs: a permanent refusal
     * that says so, and not "credentials may renew" (which made a close wait out its whole timeout for nothing).
     */
    @Test
    void anExpiredSessionTokenFromEnvironmentKeysIsNotRenewable() throws Exception {
        store.answer = r -> Response.error(400, "ExpiredToken");
        try (S3ReplicaClient s3 = open(Map.of("AWS_ACCESS_KEY_ID", "throttle-key", "AWS_SECRET_ACCESS_KEY", SECRET,
                "AWS_SESSION_TOKEN", "throttle-session-t0ken"))) {
            assertThatThrownBy(() -> s3.listFiles(0, 0, false)).isInstanceOf(ReplicaPermanentException.class)
                    .satisfies(e -> {
                        assertThat(((ReplicaPermanentException) e).credentialsMayRenew()).isFalse();
                        assertThat(e.getMessage()).contains("session token", "expired", "AWS_SESSION_TOKEN",
                                "restart").doesNotContain(SECRET).doesNotContain("throttle-session-t0ken");
                    });
        }
        assertThat(store.seen()).as("not retried by the SDK either").hasSize(1);
    }
}
