package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryingReplicaClientTest {
    /** Fake time: sleeping advances the clock; every wait is recorded. */
    static final class FakeTimer implements RetryTimer {
        long now;
        final List<Duration> waits = new ArrayList<>();

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleep(Duration d) {
            waits.add(d);
            now += d.toNanos();
        }
    }

    /** Runs a scripted failure before delegating, per operation. */
    static class Scripted extends MapReplicaClient {
        final Deque<ReplicaException> createFailures = new ArrayDeque<>();
        final Deque<ReplicaException> listFailures = new ArrayDeque<>();
        final Deque<ReplicaException> openFailures = new ArrayDeque<>();
        /** Whether a scripted OutcomeUnknown create actually stored the body first. */
        boolean unknownCreateLands;
        int creates;
        int lists;
        int opens;
        final List<long[]> openRanges = new ArrayList<>();
        /** Streams from openFile break after this many bytes (once per entry). */
        final Deque<Integer> breakAfter = new ArrayDeque<>();

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            creates++;
            ReplicaException f = createFailures.poll();
            if (f instanceof ReplicaOutcomeUnknownException && unknownCreateLands) {
                super.createFile(level, min, max, body);
            }
            if (f != null) {
                throw f;
            }
            return super.createFile(level, min, max, body);
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
            lists++;
            ReplicaException f = listFailures.poll();
            if (f != null) {
                throw f;
            }
            return super.listFiles(level, seek, meta);
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length) throws ReplicaException {
            opens++;
            openRanges.add(new long[] {offset, length});
            ReplicaException f = openFailures.poll();
            if (f != null) {
                throw f;
            }
            InputStream in = super.openFile(level, min, max, offset, length);
            Integer limit = breakAfter.poll();
            if (limit == null) {
                return in;
            }
            return new InputStream() {
                int given;

                @Override
                public int read() throws IOException {
                    if (given >= limit) {
                        throw new IOException("connection reset");
                    }
                    given++;
                    return in.read();
                }
            };
        }

        @Override
        public void deleteFiles(Collection<LtxFileInfo> infos) {
            super.deleteFiles(infos);
        }
    }

    private final Scripted backend = new Scripted();
    private final FakeTimer timer = new FakeTimer();
    private final RetryPolicy policy = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(30));
    private final RetryingReplicaClient client = new RetryingReplicaClient(backend, policy, timer, 42);

    private static ReplicaTransientException transientFailure() {
        return new ReplicaTransientException("503 slow down");
    }

    @Test
    void retriesTransientListingWithGrowingJitteredBackoff() throws Exception {
        backend.put(0, 1, 1, Instant.EPOCH);
        for (int i = 0; i < 4; i++) {
            backend.listFailures.add(transientFailure());
        }
        assertThat(client.listFiles(0, 0, false)).hasSize(1);
        assertThat(backend.lists).isEqualTo(5);
        assertThat(timer.waits).hasSize(4);
        assertThat(client.retries()).isEqualTo(4);
        long[] nominal = {100, 200, 400, 800};
        for (int i = 0; i < 4; i++) {
            assertThat(timer.waits.get(i)).isBetween(Duration.ofMillis(nominal[i] / 2), Duration.ofMillis(nominal[i]));
        }
    }

    @Test
    void jitterIsDeterministicForASeed() throws Exception {
        List<List<Duration>> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            Scripted b = new Scripted();
            FakeTimer t = new FakeTimer();
            for (int i = 0; i < 3; i++) {
                b.listFailures.add(transientFailure());
            }
            new RetryingReplicaClient(b, policy, t, 7).listFiles(0, 0, false);
            runs.add(t.waits);
        }
        assertThat(runs.get(0)).isEqualTo(runs.get(1));
    }

    @Test
    void givesUpAfterMaxAttempts() {
        for (int i = 0; i < 10; i++) {
            backend.listFailures.add(transientFailure());
        }
        assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class);
        assertThat(backend.lists).isEqualTo(5);
    }

    @Test
    void givesUpWhenTheNextWaitWouldExceedTheTimeBudget() {
        RetryingReplicaClient tight = new RetryingReplicaClient(backend,
                new RetryPolicy(100, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(2500)), timer, 1);
        for (int i = 0; i < 100; i++) {
            backend.listFailures.add(transientFailure());
        }
        assertThatThrownBy(() -> tight.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class);
        assertThat(Duration.ofNanos(timer.now)).isLessThanOrEqualTo(Duration.ofMillis(2500));
        assertThat(backend.lists).isBetween(3, 6);
    }

    /**
     * Issue 8 item 6: an unreachable endpoint is retried only within the policy's short unreachable bound. The fake
     * timer counts attempts and simulated time; nothing real is waited for. Old code: the 2-minute budget applied,
     * so the default policy made all 8 attempts.
     */
    @Test
    void unreachableEndpointIsRetriedOnlyWithinItsShortBound() {
        RetryingReplicaClient defaults = new RetryingReplicaClient(backend, RetryPolicy.defaults(), timer, 3);
        for (int i = 0; i < 100; i++) {
            backend.listFailures.add(ReplicaTransientException.unreachable(
                    "cannot connect to endpoint http://127.0.0.1:9", null));
        }
        // Each attempt costs a simulated 5 s connect timeout, as against a blackholed address.
        ReplicaClient slow = new ForwardingReplicaClient(backend) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                timer.now += Duration.ofSeconds(5).toNanos();
                return backend.listFiles(level, seek, meta);
            }
        };
        assertThatThrownBy(() -> defaults.listFiles(0, 0, false))
                .isInstanceOf(ReplicaTransientException.class).hasMessageContaining("http://127.0.0.1:9");
        int refusedAttempts = backend.lists;
        Duration refusedElapsed = Duration.ofNanos(timer.now);
        System.out.printf("unreachable (refused): %d attempts in %d ms of simulated time%n", refusedAttempts,
                refusedElapsed.toMillis());
        assertThat(refusedElapsed).isLessThanOrEqualTo(RetryPolicy.defaults().unreachableElapsed());
        assertThat(refusedAttempts).isBetween(2, RetryPolicy.defaults().maxAttempts());

        backend.lists = 0;
        timer.now = 0;
        assertThatThrownBy(() -> new RetryingReplicaClient(slow, RetryPolicy.defaults(), timer, 3).listFiles(0, 0, false))
                .isInstanceOf(ReplicaTransientException.class);
        System.out.printf("unreachable (blackholed, 5 s connect timeout): %d attempts in %d ms of simulated time%n",
                backend.lists, Duration.ofNanos(timer.now).toMillis());
        assertThat(backend.lists).isEqualTo(2);
    }

    @Test
    void otherTransientFailuresKeepTheLongBudget() {
        RetryingReplicaClient defaults = new RetryingReplicaClient(backend, RetryPolicy.defaults(), timer, 3);
        for (int i = 0; i < 100; i++) {
            backend.listFailures.add(transientFailure());
        }
        assertThatThrownBy(() -> defaults.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class);
        assertThat(backend.lists).isEqualTo(RetryPolicy.defaults().maxAttempts());
    }

    @Test
    void neverRetriesNonRetryableFailures() {
        for (ReplicaException e : List.of(new ReplicaNotFoundException("x"), new ReplicaPermanentException("403"),
                new ReplicaAlreadyExistsException("x"))) {
            Scripted b = new Scripted();
            b.listFailures.add(e);
            assertThatThrownBy(() -> new RetryingReplicaClient(b, policy, timer, 1).listFiles(0, 0, false)).isSameAs(e);
            assertThat(b.lists).isEqualTo(1);
        }
    }

    @Test
    void createRetriesTransientFailures() throws Exception {
        backend.createFailures.add(transientFailure());
        LtxFileInfo info = client.createFile(0, 1, 1, LtxBody.of(MapReplicaClient.body(1, 1, 5, 200)));
        assertThat(info.createdAt()).isEqualTo(Instant.ofEpochMilli(5));
        assertThat(backend.creates).isEqualTo(2);
    }

    @Test
    void createAlreadyExistsOnFirstAttemptIsNotRetried() throws Exception {
        backend.createFile(0, 1, 1, LtxBody.of(MapReplicaClient.body(1, 1, 5, 200)));
        backend.creates = 0;
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(MapReplicaClient.body(1, 1, 5, 200))))
                .isInstanceOf(ReplicaAlreadyExistsException.class);
        assertThat(backend.creates).isEqualTo(1);
        assertThat(backend.opens).isZero();
    }

    @Test
    void unknownOutcomeThatLandedIsSurfacedUnchangedWithoutReadBack() {
        // One layer resolves ambiguous creates (the engine, by NodeID and checksum): the decorator neither reads the
        // file back nor repeats the create.
        backend.unknownCreateLands = true;
        ReplicaOutcomeUnknownException lost = new ReplicaOutcomeUnknownException("timeout after send");
        backend.createFailures.add(lost);
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(MapReplicaClient.body(1, 1, 9, 300))))
                .isSameAs(lost);
        assertThat(backend.creates).isEqualTo(1);
        assertThat(backend.opens).isZero();
        assertThat(timer.waits).isEmpty();
    }

    @Test
    void unknownOutcomeThatDidNotLandIsNotRetriedEither() {
        ReplicaOutcomeUnknownException lost = new ReplicaOutcomeUnknownException("timeout after send");
        backend.createFailures.add(lost);
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(MapReplicaClient.body(1, 1, 9, 300))))
                .isSameAs(lost);
        assertThat(backend.creates).isEqualTo(1);
        assertThat(backend.opens).isZero();
    }

    @Test
    void unknownOutcomeAfterTransientFailuresIsSurfacedUnchanged() {
        backend.createFailures.add(transientFailure());
        ReplicaOutcomeUnknownException lost = new ReplicaOutcomeUnknownException("lost response");
        backend.createFailures.add(lost);
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(MapReplicaClient.body(1, 1, 9, 300))))
                .isSameAs(lost);
        assertThat(backend.creates).isEqualTo(2);
        assertThat(backend.opens).isZero();
    }

    @Test
    void alreadyExistsAfterAFailedAttemptIsAnUnknownOutcomeForTheCaller() throws Exception {
        // The first attempt reported a transient failure but (contract violation or not) stored our bytes: the
        // decorator cannot tell, so the caller's resolver decides.
        byte[] body = MapReplicaClient.body(1, 1, 9, 300);
        backend.createFile(0, 1, 1, LtxBody.of(body));
        backend.creates = 0;
        backend.createFailures.add(transientFailure());
        assertThatThrownBy(() -> client.createFile(0, 1, 1, LtxBody.of(body)))
                .isInstanceOf(ReplicaOutcomeUnknownException.class)
                .hasCauseInstanceOf(ReplicaAlreadyExistsException.class)
                .hasMessageContaining("L0/0000000000000001-0000000000000001.ltx");
        assertThat(backend.creates).isEqualTo(2);
        assertThat(backend.opens).isZero();
    }

    @Test
    void rangedReadResumesAtTheOffsetAfterAMidStreamFailure() throws Exception {
        byte[] body = MapReplicaClient.body(1, 1, 9, 1000);
        backend.createFile(0, 1, 1, LtxBody.of(body));
        backend.breakAfter.add(300);
        backend.breakAfter.add(200);
        byte[] got = client.readRange(0, 1, 1, 100, 800);
        assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(body, 100, 900));
        assertThat(backend.openRanges).containsExactly(new long[] {100, 800}, new long[] {400, 500},
                new long[] {600, 300});
    }

    @Test
    void toEndReadResumesToTheEnd() throws Exception {
        byte[] body = MapReplicaClient.body(1, 1, 9, 1000);
        backend.createFile(0, 1, 1, LtxBody.of(body));
        backend.breakAfter.add(10);
        assertThat(client.readRange(0, 1, 1, 0, 0)).isEqualTo(body);
        assertThat(backend.openRanges).containsExactly(new long[] {0, 0}, new long[] {10, 0});
    }

    @Test
    void openNotFoundIsNotRetried() {
        assertThatThrownBy(() -> client.openFile(0, 1, 1, 0, 0)).isInstanceOf(ReplicaNotFoundException.class);
        assertThat(backend.opens).isEqualTo(1);
    }

    /** Policy of 5 attempts: a backend that sent 4 requests leaves one more engine attempt; one that sent 10, none. */
    @Test
    void aFailureTheBackendAlreadyRetriedCountsItsRequests() throws Exception {
        backend.put(0, 1, 1, Instant.EPOCH);
        backend.listFailures.add(ReplicaTransientException.backendRetried("503 SlowDown after 4 requests", null, 4));
        assertThat(client.listFiles(0, 0, false)).hasSize(1);
        assertThat(backend.lists).as("one engine retry after the backend's four requests").isEqualTo(2);

        for (int i = 0; i < 3; i++) {
            backend.listFailures.add(ReplicaTransientException.backendRetried("503 SlowDown after 10 requests", null,
                    10));
        }
        int before = backend.lists;
        assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class)
                .satisfies(e -> assertThat(((ReplicaTransientException) e).backendAttempts()).isEqualTo(10));
        assertThat(backend.lists - before).as("two backend sequences at most: no nested retry").isEqualTo(2);
    }

    /**
     * One backend sequence (30-80 s of an SDK's retries) must not end an operation inside the engine's budget: a
     * restore or read-mode open absorbed ~2.5 min of throttling before. One more backend call, then it fails.
     */
    @Test
    void aSecondBackendCallIsAllowedWithinTheTimeBudget() throws Exception {
        backend.put(0, 1, 1, Instant.EPOCH);
        backend.listFailures.add(ReplicaTransientException.backendRetried("503 SlowDown after 10 requests", null, 10));
        assertThat(client.listFiles(0, 0, false)).hasSize(1);
        assertThat(backend.lists).as("the burst passed during the second backend call").isEqualTo(2);
    }

    @Test
    void aSecondBackendCallIsNotAllowedPastTheTimeBudget() {
        RetryPolicy tight = new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(30));
        RetryingReplicaClient slow = new RetryingReplicaClient(new Scripted() {
            @Override
            public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                lists++;
                timer.now += Duration.ofSeconds(30).toNanos(); // the SDK's sequence took the whole budget
                throw ReplicaTransientException.backendRetried("503 after 10", null, 10);
            }
        }, tight, timer, 42);
        assertThatThrownBy(() -> slow.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class);
        assertThat(timer.waits).as("no wait past the budget").isEmpty();
    }

    /** A count near Integer.MAX_VALUE saturates: the sum wrapped negative and the engine retried until its time ran out. */
    @Test
    void aHugeBackendCountSaturates() {
        backend.listFailures.add(transientFailure());
        for (int i = 0; i < 20; i++) {
            backend.listFailures.add(ReplicaTransientException.backendRetried("huge", null, Integer.MAX_VALUE));
        }
        assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class);
        assertThat(backend.lists).as("one plain failure, then two backend sequences").isEqualTo(3);
    }

    /** A wrapper (S3's create check) of a backend-retried failure keeps its count: the largest in the cause chain. */
    @Test
    void aWrappedBackendRetryCountsItsRequests() {
        for (int i = 0; i < 5; i++) {
            backend.listFailures.add(new ReplicaTransientException("check failed",
                    ReplicaTransientException.backendRetried("503 after 10", null, 10)));
        }
        assertThatThrownBy(() -> client.listFiles(0, 0, false)).isInstanceOf(ReplicaTransientException.class);
        assertThat(backend.lists).as("two backend sequences, not the policy's five calls").isEqualTo(2);
    }

    @Test
    void aBackendRetryOfAReadCountsToo() {
        for (int i = 0; i < 5; i++) {
            backend.openFailures.add(ReplicaTransientException.backendRetried("500 after 3", null, 3));
        }
        assertThatThrownBy(() -> client.openFile(0, 1, 1, 0, 0)).isInstanceOf(ReplicaTransientException.class);
        assertThat(backend.opens).as("3 + 3 requests reach the policy's 5").isEqualTo(2);
    }

    @Test
    void aPlainTransientFailureIsOneRequest() {
        assertThat(transientFailure().backendRetried()).isFalse();
        assertThat(transientFailure().backendAttempts()).isEqualTo(1);
        assertThat(ReplicaTransientException.unreachable("x", null).backendAttempts()).isEqualTo(1);
        assertThatThrownBy(() -> ReplicaTransientException.backendRetried("x", null, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
