package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability {@code remote}: a commit whose upload's outcome is unknown (the create landed, its response was lost, and
 * the read-back failed) must not be reported as failed before the replica was asked what it holds: an application told
 * "failed" runs the transaction again and the replica then holds it twice.
 */
class RemoteUnknownOutcomeTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient raw = new InMemoryReplicaClient();

    /** Loses the response of the create of L0 {@code loseResponseOf}; fails the next reads of it; fails a create. */
    final class Faulty extends ForwardingClient {
        long loseResponseOf = -1;
        int readFailures;
        long failCreateOf = -1;
        long unknownNotLandedOf = -1;
        int failReadsFromCreate = 0;
        int creates;

        Faulty() {
            super(raw);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            creates++;
            if (min == unknownNotLandedOf) {
                unknownNotLandedOf = -1;
                throw new ReplicaOutcomeUnknownException("timeout before the create of L0/" + min + " landed");
            }
            if (min == failCreateOf) {
                failCreateOf = -1;
                throw new ReplicaTransientException("503 before the create of L0/" + min + " was sent");
            }
            LtxFileInfo info = super.createFile(level, min, max, body);
            if (min == loseResponseOf) {
                loseResponseOf = -1;
                throw new ReplicaOutcomeUnknownException("connection reset after sending the create of L0/" + min);
            }
            return info;
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length)
                throws ReplicaException {
            if (readFailures > 0 && creates >= failReadsFromCreate) {
                readFailures--;
                throw new ReplicaTransientException("simulated 503 reading L" + level + "/" + min);
            }
            return super.openFile(level, min, max, offset, length);
        }
    }

    Database open(Faulty client, boolean blindRetry) throws Exception {
        return Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7)
                .durability(Durability.REMOTE).clock(Kit.advancing(clock))
                .compaction(CompactionSettings.off())
                .faults(EngineFaults.builder().blindRemoteRetry(blindRetry).build()).build());
    }

    private long l0Files() throws Exception {
        return raw.listFiles(0, 0, false).size();
    }

    @Test
    void aLandedUploadWhoseResponseWasLostIsFoundAndTheCommitSucceeds() throws Exception {
        Faulty client = new Faulty();
        try (Database db = open(client, false)) {
            commitPages(db, PS, 1, 1);
            client.loseResponseOf = 2;
            client.readFailures = 1; // the read-back of the landed file fails once
            commitPages(db, PS, 2, 2); // returns: the replica was asked again and holds it
            assertThat(l0Files()).isEqualTo(2);
            assertThat(db.status().pendingCommits()).isZero();
            commitPages(db, PS, 3, 3);
            assertThat(l0Files()).as("each transaction exactly once").isEqualTo(3);
        }
    }

    @Test
    void withTheBlindRetryTheApplicationIsToldFailedAndItsRetryStoresTheTransactionTwice() throws Exception {
        Faulty client = new Faulty();
        try (Database db = open(client, true)) {
            commitPages(db, PS, 1, 1);
            client.loseResponseOf = 2;
            client.readFailures = 1;
            assertThatThrownBy(() -> commitPages(db, PS, 2, 2)).isInstanceOf(SyncFailedException.class)
                    .hasMessageContaining("upload failed");
            // The application runs the "failed" insert again: the same row once more, on the next free slot.
            commitPages(db, PS, 3, 2);
            assertThat(l0Files()).as("the replica holds the transaction twice").isEqualTo(3);
        }
    }

    @Test
    void anOutcomeTheReplicaCannotTellIsReportedAsUnknownNotAsFailed() throws Exception {
        Faulty client = new Faulty();
        try (Database db = open(client, false)) {
            commitPages(db, PS, 1, 1);
            client.loseResponseOf = 2;
            client.readFailures = 1000; // the replica cannot be read for now
            assertThatThrownBy(() -> commitPages(db, PS, 2, 2)).isInstanceOf(CommitOutcomeUnknownException.class)
                    .hasMessageContaining("outcome unknown").hasMessageContaining("committed locally")
                    .hasMessageContaining("Do not run the transaction again");
            client.readFailures = 0;
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(l0Files()).as("the landed file adopted, not uploaded again").isEqualTo(2);
            assertThat(db.status().pendingCommits()).isZero();
        }
    }

    /** Found in review: the second create's unknown outcome must not be lost behind the first one's answered read. */
    @Test
    void aResentCreateWhoseOutcomeIsUnknownAgainIsReportedAsUnknown() throws Exception {
        Faulty client = new Faulty();
        try (Database db = open(client, false)) {
            commitPages(db, PS, 1, 1); // create 1
            client.unknownNotLandedOf = 2; // create 2: no answer, nothing landed; its read-back answers "absent"
            client.loseResponseOf = 2; // create 3, sent again: lands, its response is lost
            client.failReadsFromCreate = 3; // and from then on the replica cannot be read
            client.readFailures = 1000;
            assertThatThrownBy(() -> commitPages(db, PS, 2, 2)).isInstanceOf(CommitOutcomeUnknownException.class)
                    .hasMessageContaining("Do not run the transaction again");
            client.readFailures = 0;
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(l0Files()).as("the landed file adopted, not uploaded again").isEqualTo(2);
        }
    }

    /**
     * The rounds that ask the replica again are paced (100, 200, 400 ms on the engine clock), not back to back, and the
     * pauses are taken without {@code syncLock} (the retry layer's own backoff sleeps inside a round, under it).
     */
    @Test
    void theRoundsThatAskTheReplicaAgainArePacedOnTheEngineClock() throws Exception {
        Faulty client = new Faulty();
        java.util.concurrent.atomic.AtomicReference<Database> opened = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.List<java.time.Duration> unlockedSleeps = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.ltx4j.replica.EngineClock recording = dev.ltx4j.replica.EngineClock.of(clock, System::nanoTime, d -> {
            Database db = opened.get();
            if (db != null && !db.syncLock.isHeldByCurrentThread()) {
                unlockedSleeps.add(d);
            }
            clock.advance(d);
        });
        try (Database db = Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7)
                .durability(Durability.REMOTE).clock(recording).compaction(CompactionSettings.off()).build())) {
            opened.set(db);
            commitPages(db, PS, 1, 1);
            client.loseResponseOf = 2;
            client.readFailures = 1000;
            assertThatThrownBy(() -> commitPages(db, PS, 2, 2)).isInstanceOf(CommitOutcomeUnknownException.class)
                    .hasMessageContaining("outcome unknown");
            assertThat(unlockedSleeps).containsExactly(java.time.Duration.ofMillis(100), java.time.Duration.ofMillis(200),
                    java.time.Duration.ofMillis(400));
            client.readFailures = 0; // the close's final sync adopts the landed file
        }
    }

    @Test
    void aCreateThatFailedBeforeSendingIsAPlainUploadFailure() throws Exception {
        Faulty client = new Faulty();
        try (Database db = open(client, false)) {
            commitPages(db, PS, 1, 1);
            client.failCreateOf = 2;
            assertThatThrownBy(() -> commitPages(db, PS, 2, 2)).isInstanceOf(SyncFailedException.class)
                    .isNotInstanceOf(CommitOutcomeUnknownException.class).hasMessageContaining("upload failed");
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(l0Files()).isEqualTo(2);
        }
    }
}
