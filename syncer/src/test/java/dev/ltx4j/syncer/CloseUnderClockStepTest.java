package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A close whose final syncs fail (the replica unreachable) gives up after {@code closeTimeout} and keeps the commits in
 * the buffer (field probe, probe2). Its deadline was a wall-clock time: a wall clock stepping back an hour during the
 * close (NTP) made the close, and with it the last connection's close or the process's exit, retry for an hour more.
 */
class CloseUnderClockStepTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    @Test
    void aFailingCloseEndsAfterItsTimeoutWhenTheWallClockStepsBackDuringIt() throws Exception {
        Kit.ManualClock wall = new Kit.ManualClock(1_700_000_000_000L);
        AtomicLong nanos = new AtomicLong();
        AtomicBoolean stepped = new AtomicBoolean();
        EngineClock clock = EngineClock.of(wall, nanos::get, d -> {
            if (stepped.compareAndSet(false, true)) {
                wall.advance(Duration.ofHours(-1)); // NTP steps the clock back while the close waits
            }
            wall.advance(d);
            nanos.addAndGet(d.toNanos());
        });
        AtomicBoolean failing = new AtomicBoolean();
        AtomicInteger refusedCreates = new AtomicInteger();
        ForwardingClient client = new ForwardingClient(new InMemoryReplicaClient()) {
            @Override
            public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
                if (failing.get()) {
                    refusedCreates.incrementAndGet();
                    throw new ReplicaTransientException("replica unreachable (test)");
                }
                return super.createFile(level, minTxid, maxTxid, body);
            }
        };
        Database db = Database.open(client, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), wall, 3)
                .clock(clock).closeTimeout(Duration.ofSeconds(5)).build());
        commitPages(db, PS, 1, 1);
        assertThat(db.syncOnce(wall.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        failing.set(true);
        commitPages(db, PS, 1, 2);

        assertThatThrownBy(db::close).isInstanceOf(SyncFailedException.class)
                .hasMessageContaining("timed out with 1 unsynced transaction(s) kept in");
        // 5 s of 100 ms pauses: about 50 attempts, not one every 100 ms of the hour the wall clock went back.
        assertThat(refusedCreates.get()).isBetween(1, 60);
    }

    /**
     * The close's retries also stopped at a wall-clock deadline: a wall clock stepping forward an hour during the close
     * (NTP after a VM resumed) ended them after the first pause, though the replica might be back a second later.
     * They now run for the close timeout of monotonic time.
     */
    @Test
    void aFailingCloseRetriesForItsTimeoutWhenTheWallClockStepsForwardDuringIt() throws Exception {
        Kit.ManualClock wall = new Kit.ManualClock(1_700_000_000_000L);
        AtomicLong nanos = new AtomicLong();
        AtomicBoolean stepped = new AtomicBoolean();
        EngineClock clock = EngineClock.of(wall, nanos::get, d -> {
            if (stepped.compareAndSet(false, true)) {
                wall.advance(Duration.ofHours(1)); // NTP steps the clock forward while the close waits
            }
            wall.advance(d);
            nanos.addAndGet(d.toNanos());
        });
        AtomicBoolean failing = new AtomicBoolean();
        AtomicInteger refusedCreates = new AtomicInteger();
        ForwardingClient client = new ForwardingClient(new InMemoryReplicaClient()) {
            @Override
            public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
                if (failing.get() && refusedCreates.incrementAndGet() <= 10) {
                    throw new ReplicaTransientException("replica unreachable (test)");
                }
                return super.createFile(level, minTxid, maxTxid, body);
            }
        };
        Database db = Database.open(client, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("f"), wall, 3)
                .clock(clock).closeTimeout(Duration.ofSeconds(5)).build());
        commitPages(db, PS, 1, 1);
        assertThat(db.syncOnce(wall.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        failing.set(true);
        commitPages(db, PS, 1, 2);

        db.close(); // the replica is back after 10 refusals, about 1 s into the 5 s close timeout
        assertThat(refusedCreates.get()).as("attempts: the ten refused, then the one that synced").isEqualTo(11);
        assertThat(client.listFiles(0, 0, false)).hasSize(2);
    }
}
