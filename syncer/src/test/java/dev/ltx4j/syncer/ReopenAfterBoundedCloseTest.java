package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probes, round 8 (hosts): a database whose bounded close timed out (the replica unreachable, commits kept in
 * the write buffer) and that is opened again in the same process, through the process-wide registry the VFS uses:
 * after the close, then while another thread's close is still retrying (a pool that opens a connection while its last
 * one closes). Nothing is lost, one engine at a time, and the reopened database says what it holds.
 */
class ReopenAfterBoundedCloseTest {
    static final int PS = 4096;
    static final String ID = "file:///reopen-after-bounded-close";
    static final String NAME = "reopen-after-close.db";

    @TempDir
    Path tmp;

    /** The file backend, unreachable while {@link #down} is set; counts the creates tried while down. */
    static final class Outage extends ForwardingClient {
        final AtomicBoolean down = new AtomicBoolean();
        final AtomicInteger refused = new AtomicInteger();
        final CountDownLatch firstRefusal = new CountDownLatch(1);

        Outage(ReplicaClient raw) {
            super(raw);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            if (down.get()) {
                refused.incrementAndGet();
                firstRefusal.countDown();
                throw new ReplicaTransientException("connect to replica: connection refused (test outage)", null);
            }
            return super.createFile(level, min, max, body);
        }
    }

    private Database open(ReplicaClient client, Duration closeTimeout) throws java.io.IOException {
        return Database.open(client, NAME, EngineOptions.builder().writeEnabled(true)
                .durability(Durability.LOCAL).bufferPath(tmp.resolve("app.buffer"))
                .conflictDirectory(tmp.resolve("conflicts")).clock(EngineClock.system()).seed(3)
                .syncInterval(Duration.ofHours(1)).closeTimeout(closeTimeout)
                .compaction(CompactionSettings.off()).build());
    }

    private static long engineThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("ltx4j-") && t.getName().endsWith(NAME))
                .count();
    }

    @Test
    void aReopenAfterATimedOutCloseFindsEveryCommitAndUploadsThem() throws Exception {
        Outage client = new Outage(new FileReplicaClient(tmp.resolve("replica"), Clock.systemUTC()));
        DatabaseRegistry registry = new DatabaseRegistry();
        DatabaseRegistry.Handle first = registry.acquire(ID, NAME, () -> open(client, Duration.ofMillis(300)));
        Database db = first.database();
        commitPages(db, PS, 1, 1);
        assertThat(db.syncOnce(java.time.Instant.now()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        commitPages(db, PS, 2, 2);
        commitPages(db, PS, 3, 3);
        byte[] before = Kit.readAll(db);
        client.down.set(true);
        assertThatThrownBy(first::close).isInstanceOf(SyncFailedException.class)
                .hasMessageContaining("timed out with 2 unsynced transaction(s) kept in " + tmp.resolve("app.buffer"));
        assertThat(registry.size()).as("the closed engine left the registry").isZero();
        assertThat(engineThreads()).as("no thread of the closed engine").isZero();

        client.down.set(false);
        try (DatabaseRegistry.Handle again = registry.acquire(ID, NAME,
                () -> open(client, Duration.ofSeconds(5)))) {
            Database reopened = again.database();
            assertThat(again.opened()).isTrue();
            assertThat(reopened).isNotSameAs(db);
            assertThat(reopened.status().pendingCommits()).isEqualTo(2);
            assertThat(reopened.status().lastError()).isNull();
            assertThat(Kit.readAll(reopened)).isEqualTo(before);
            assertThat(reopened.syncOnce(java.time.Instant.now()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(reopened.current().txid()).as("one sync uploads both").isEqualTo(2);
            assertThat(reopened.status().pendingCommits()).isZero();
        }
        assertThat(Kit.restore(client, 2, tmp)).isEqualTo(before);
    }

    @Test
    void anOpenWhileTheLastCloseStillRetriesWaitsForItInsteadOfFailingOnTheBuffer() throws Exception {
        Outage client = new Outage(new FileReplicaClient(tmp.resolve("replica"), Clock.systemUTC()));
        DatabaseRegistry registry = new DatabaseRegistry();
        DatabaseRegistry.Handle first = registry.acquire(ID, NAME, () -> open(client, Duration.ofSeconds(2)));
        Database db = first.database();
        commitPages(db, PS, 1, 1);
        commitPages(db, PS, 2, 2);
        byte[] before = Kit.readAll(db);
        client.down.set(true);
        CompletableFuture<Throwable> closing = CompletableFuture.supplyAsync(() -> {
            try {
                first.close();
                return null;
            } catch (Throwable e) {
                return e;
            }
        });
        assertThat(client.firstRefusal.await(10, TimeUnit.SECONDS)).as("the close is retrying").isTrue();
        // A pool opens a connection while its last one is closing: it reaches the registry during the close.
        try (DatabaseRegistry.Handle again = registry.acquire(ID, NAME,
                () -> open(client, Duration.ofSeconds(5)))) {
            assertThat(closing).as("the open waited for the close").isDone();
            assertThat(closing.get()).isInstanceOf(SyncFailedException.class)
                    .hasMessageContaining("timed out with 2 unsynced transaction(s)");
            Database reopened = again.database();
            assertThat(reopened).isNotSameAs(db);
            assertThat(reopened.status().pendingCommits()).isEqualTo(2);
            assertThat(Kit.readAll(reopened)).isEqualTo(before);
            client.down.set(false);
            assertThat(reopened.syncOnce(java.time.Instant.now()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(reopened.current().txid()).isEqualTo(1);
        }
        assertThat(registry.size()).isZero();
    }

    @Test
    void aCloseTimeoutOfCenturiesStillClosesTheDatabase() throws Exception {
        // Before: the registry's wait bound overflowed (Duration.toNanos) after the entry had left the registry, so
        // Handle.close threw ArithmeticException and the Database never closed (its threads and buffer lock stayed).
        Outage client = new Outage(new FileReplicaClient(tmp.resolve("replica"), Clock.systemUTC()));
        DatabaseRegistry registry = new DatabaseRegistry();
        DatabaseRegistry.Handle first = registry.acquire(ID, NAME,
                () -> open(client, Duration.ofDays(365L * 1000)));
        commitPages(first.database(), PS, 1, 1);
        first.close();
        assertThat(engineThreads()).as("no thread of the closed engine").isZero();
        try (DatabaseRegistry.Handle again = registry.acquire(ID, NAME, () -> open(client, Duration.ofSeconds(5)))) {
            assertThat(again.opened()).isTrue();
            assertThat(again.database().status().pendingCommits()).isZero();
        }
    }
}
