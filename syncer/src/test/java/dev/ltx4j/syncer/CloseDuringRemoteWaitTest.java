package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code remote} commit whose upload's outcome is unknown pauses between its rounds without the writer slot or
 * {@code syncLock} (docs/remote-durability-unknown-outcome.md). A direct engine user may close the database in that
 * window: the commit's next round must not run on the closed (or closing) buffer; the commit ends with a
 * committed-locally failure that names the close (docs/engine-invariants.md I13).
 */
class CloseDuringRemoteWaitTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient raw = new InMemoryReplicaClient();

    /** Loses the response of one create and refuses reads while {@code unreadable}; counts requests once watched. */
    final class Faulty extends ForwardingClient {
        volatile long loseResponseOf = -1;
        volatile boolean unreadable;
        volatile boolean watching;
        final AtomicInteger watched = new AtomicInteger();

        Faulty() {
            super(raw);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            count();
            LtxFileInfo info = super.createFile(level, min, max, body);
            if (min == loseResponseOf) {
                loseResponseOf = -1;
                throw new ReplicaOutcomeUnknownException("connection reset after sending the create of L0/" + min);
            }
            return info;
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seek, boolean useMetadata) throws ReplicaException {
            count();
            return super.listFiles(level, seek, useMetadata);
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length)
                throws ReplicaException {
            count();
            if (unreadable) {
                throw new ReplicaTransientException("simulated 503 reading L" + level + "/" + min);
            }
            return super.openFile(level, min, max, offset, length);
        }

        private void count() {
            if (watching) {
                watched.incrementAndGet();
            }
        }
    }

    /** Opens a remote-durability writer whose clock runs {@code inPause} at the first pause of a commit's wait. */
    Database open(Faulty client, Consumer<Database> inPause) throws Exception {
        return open(client, inPause, EngineFaults.NONE);
    }

    Database open(Faulty client, Consumer<Database> inPause, EngineFaults faults) throws Exception {
        AtomicReference<Database> opened = new AtomicReference<>();
        boolean[] done = {false};
        EngineClock clockWithHook = EngineClock.of(clock, System::nanoTime, d -> {
            clock.advance(d);
            Database db = opened.get();
            if (db != null && !done[0] && !Thread.currentThread().getName().startsWith("closer")) {
                done[0] = true;
                inPause.accept(db);
            }
        });
        Database db = Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7)
                .durability(Durability.REMOTE).clock(clockWithHook).closeTimeout(Duration.ZERO)
                .compaction(CompactionSettings.off()).faults(faults).build());
        commitPages(db, PS, 1, 1);
        opened.set(db);
        return db;
    }

    @Test
    void aCloseDuringThePauseEndsTheWaitAsCommittedLocallyNamingTheClose() throws Exception {
        Faulty client = new Faulty();
        AtomicReference<Throwable> closeFailure = new AtomicReference<>();
        Database db = open(client, d -> {
            try {
                d.close(); // another thread of the application; the replica cannot be read, so it keeps the commit
            } catch (Throwable e) {
                closeFailure.set(e);
            }
            client.watching = true;
        });
        client.loseResponseOf = 2;
        client.unreadable = true;
        Throwable t = catchThrowable(() -> commitPages(db, PS, 2, 2));
        assertThat(closeFailure.get()).isInstanceOf(SyncFailedException.class);
        assertThat(t).isInstanceOf(CommitOutcomeUnknownException.class)
                .hasMessageContaining("database \"app.db\" was closed while transaction 2 waited for the replica")
                .hasMessageContaining("committed locally").hasMessageContaining("memory:db.buffer")
                .hasMessageContaining("Do not run the transaction again")
                .hasMessageNotContaining("is closed)"); // not a round's failure on the closed buffer
        assertThat(client.watched.get()).as("replica requests after the close").isZero();
        // The next open finds the landed file and adopts it: the transaction is on the replica exactly once.
        client.unreadable = false;
        try (Database again = Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock,
                7).durability(Durability.REMOTE).compaction(CompactionSettings.off()).build())) {
            assertThat(again.syncOnce(clock.instant()).status()).isNotEqualTo(SyncOutcome.Status.FAILED);
            assertThat(again.status().pendingCommits()).isZero();
            assertThat(raw.listFiles(0, 0, false)).hasSize(2);
        }
    }

    /**
     * The close runs on another thread and is held just before it closes the buffer (its writer-slot wait), while
     * the replica answers again: the commit's next round must not adopt or upload into a database whose generations
     * close already dropped (the new generation would never be released: a leaked buffer handle).
     */
    @Test
    void aRoundRacingTheCloseReleaseTouchesNeitherTheBufferNorTheReplica() throws Exception {
        Throwable t = raceTheCloseRelease(EngineFaults.NONE);
        assertThat(t).isInstanceOf(CommitOutcomeUnknownException.class)
                .hasMessageContaining("was closed while transaction 2 waited for the replica");
    }

    /** The simulator's switch puts the race back: the round adopts into dropped generations (a leaked handle). */
    @Test
    void theRoundAfterCloseSwitchLeaksTheGeneration() throws Exception {
        Faulty client = new Faulty();
        AtomicReference<Database> db = new AtomicReference<>();
        Throwable t = raceTheCloseRelease(client, db, EngineFaults.builder().roundAfterClose(true).build());
        assertThat(t).as("the commit returned: its round adopted the landed file after close").isNull();
        assertThat(client.watched.get()).isPositive();
        assertThat(db.get().currentGeneration()).isNotNull();
        db.get().currentGeneration().release();
    }

    private Throwable raceTheCloseRelease(EngineFaults faults) throws Exception {
        Faulty client = new Faulty();
        AtomicReference<Database> db = new AtomicReference<>();
        Throwable t = raceTheCloseRelease(client, db, faults);
        assertThat(client.watched.get()).as("replica requests once close released").isZero();
        assertThat(db.get().currentGeneration()).as("a buffer generation opened after close dropped them").isNull();
        return t;
    }

    private Throwable raceTheCloseRelease(Faulty client, AtomicReference<Database> dbOut, EngineFaults faults)
            throws Exception {
        AtomicReference<WriteSession> holder = new AtomicReference<>();
        AtomicReference<Thread> closer = new AtomicReference<>();
        Database db = open(client, d -> {
            try {
                holder.set(d.beginWrite()); // keeps the close waiting right before it closes the buffer
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            Thread c = new Thread(() -> {
                try {
                    d.close();
                } catch (Exception expected) {
                    // the final sync could not read the replica
                }
            }, "closer");
            closer.set(c);
            c.start();
            while (d.currentGeneration() != null || c.getState() != Thread.State.WAITING) {
                Thread.onSpinWait(); // until close dropped the generations and waits for the writer slot
            }
            client.unreadable = false; // the replica answers again
            client.watching = true;
        }, faults);
        client.loseResponseOf = 2;
        client.unreadable = true;
        dbOut.set(db);
        Throwable t = catchThrowable(() -> commitPages(db, PS, 2, 2));
        holder.get().close();
        closer.get().join(10_000);
        return t;
    }
}
