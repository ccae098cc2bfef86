package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.RetryPolicy;
import dev.ltx4j.replica.RetryTimer;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9: one layer resolves an ambiguous create (the engine, by NodeID and checksum; the retry decorator passes
 * it on), and every engine database counts its replica requests by kind and outcome (issue 12).
 */
class EngineClientStackTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();

    /** Fake time for retries: sleeping advances nothing real. */
    static final RetryTimer NO_WAIT = new RetryTimer() {
        long now;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleep(Duration d) {
            now += d.toNanos();
        }
    };

    /** Records every open's range, to tell a whole-file read back from the engine's header and trailer reads. */
    static final class Recording extends ForwardingClient {
        final List<String> opens = new ArrayList<>();
        int creates;
        ReplicaException nextCreateFailure;
        boolean failureLands;

        Recording(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length) throws ReplicaException {
            opens.add("L" + level + "/" + min + " @" + offset + "+" + length);
            return super.openFile(level, min, max, offset, length);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            creates++;
            ReplicaException f = nextCreateFailure;
            nextCreateFailure = null;
            if (f != null) {
                if (failureLands) {
                    super.createFile(level, min, max, body);
                }
                throw f;
            }
            return super.createFile(level, min, max, body);
        }
    }

    Database open(ReplicaClient client) throws Exception {
        return Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7).build());
    }

    @Test
    void aLostResponseIsResolvedByTheEngineNotByTheRetryDecorator() throws Exception {
        FileReplicaClient file = new FileReplicaClient(tmp.resolve("replica"), clock);
        Recording backend = new Recording(file);
        EngineClientStack stack = EngineClientStack.build(backend, RetryPolicy.defaults(), NO_WAIT, 1);
        try (Database db = open(stack)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 3);
            backend.opens.clear();
            backend.creates = 0;
            backend.failureLands = true;
            backend.nextCreateFailure = new ReplicaOutcomeUnknownException("response lost after the object was stored");
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(backend.creates).isEqualTo(1);
            // The engine read the header (NodeID) and the trailer (checksum); nobody read the whole file back.
            assertThat(backend.opens).contains("L0/2 @0+100").noneMatch(o -> o.startsWith("L0/2 @0+0"));
            assertThat(db.status().conflict()).isNull();
            assertThat(restore(file, 0, tmp)).isEqualTo(readAll(db));
            assertThat(db.metrics().replicaRequests("create", "outcome_unknown")).isEqualTo(1);
        }
    }

    @Test
    void aLostRequestIsSentOnceMoreByTheEngineNotByTheDecorator() throws Exception {
        FileReplicaClient file = new FileReplicaClient(tmp.resolve("replica"), clock);
        Recording backend = new Recording(file);
        EngineClientStack stack = EngineClientStack.build(backend, RetryPolicy.defaults(), NO_WAIT, 1);
        try (Database db = open(stack)) {
            commitPages(db, PS, 1, 1);
            backend.nextCreateFailure = new ReplicaOutcomeUnknownException("timeout before the server answered");
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            // Resolved absent by the engine (header read), then sent once more by it; the decorator read nothing back.
            assertThat(backend.creates).isEqualTo(2);
            assertThat(backend.opens).noneMatch(o -> o.startsWith("L0/1 @0+0"));
            assertThat(restore(file, 0, tmp)).isEqualTo(readAll(db));
        }
    }

    @Test
    void metricsCountRealRequestsByKindAndOutcome() throws Exception {
        FileReplicaClient file = new FileReplicaClient(tmp.resolve("replica"), clock);
        CountingReplicaClient truth = new CountingReplicaClient(file);
        Recording backend = new Recording(truth);
        EngineClientStack stack = EngineClientStack.build(backend, RetryPolicy.defaults(), NO_WAIT, 1);
        try (Database db = open(stack)) {
            commitPages(db, PS, 1, 1, 2, 2);
            backend.nextCreateFailure = new ReplicaTransientException("503 slow down");
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            EngineMetrics m = db.metrics();
            assertThat(m.replicaRequests("create", "transient")).isEqualTo(1);
            assertThat(m.replicaRequests("create", "ok")).isEqualTo(1);
            assertThat(m.replicaRetries()).isEqualTo(1);
            CountingReplicaClient.Counts real = truth.snapshot();
            assertThat(m.replicaRequests("list", "ok")).isEqualTo(real.lists()).isPositive();
            assertThat(m.replicaRequests().values().stream().mapToLong(Long::longValue).sum())
                    .isEqualTo(real.requests() + 1); // the transient create never reached the file replica
        }
    }

    @Test
    void aHostsPlainClientIsCountedToo() throws Exception {
        FileReplicaClient file = new FileReplicaClient(tmp.resolve("replica"), clock);
        CountingReplicaClient truth = new CountingReplicaClient(file);
        try (Database db = open(truth)) {
            commitPages(db, PS, 1, 1);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            EngineMetrics m = db.metrics();
            assertThat(m.replicaRequests("create", "ok")).isEqualTo(1);
            assertThat(m.replicaRequests("list", "ok")).isEqualTo(truth.snapshot().lists());
            assertThat(m.replicaRetries()).isZero();
        }
    }
}
