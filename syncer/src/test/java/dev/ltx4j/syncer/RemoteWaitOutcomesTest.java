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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a {@code remote} commit's wait ends after its transaction is durable locally is reported as committed
 * locally, never as an ordinary failure (which applications answer by running the transaction again) and never as
 * success when the replica does not hold it (docs/remote-durability-unknown-outcome.md).
 */
class RemoteWaitOutcomesTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient raw = new InMemoryReplicaClient();

    final class Faulty extends ForwardingClient {
        volatile long unknownNotLandedOf = -1;
        volatile long rivalAt = -1;
        volatile boolean unreadable;
        volatile boolean createsFail;

        Faulty() {
            super(raw);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            if (min == unknownNotLandedOf) {
                unknownNotLandedOf = -1;
                throw new ReplicaOutcomeUnknownException("timeout before the create of L0/" + min + " landed");
            }
            if (createsFail) {
                throw new ReplicaTransientException("503 before the create of L0/" + min + " was sent");
            }
            if (min == rivalAt) {
                rivalAt = -1;
                try {
                    Rival.append(raw, min, PS); // another writer's file lands after our listing, before our create
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
            return super.createFile(level, min, max, body);
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length)
                throws ReplicaException {
            if (unreadable) {
                throw new ReplicaTransientException("simulated 503 reading L" + level + "/" + min);
            }
            return super.openFile(level, min, max, offset, length);
        }
    }

    Database open(Faulty client, Consumer<Database> inPause) throws Exception {
        Database[] opened = {null};
        boolean[] done = {false};
        EngineClock hook = EngineClock.of(clock, System::nanoTime, d -> {
            clock.advance(d);
            if (opened[0] != null && !done[0]) {
                done[0] = true;
                inPause.accept(opened[0]);
            }
        });
        Database db = Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7)
                .durability(Durability.REMOTE).clock(hook).compaction(CompactionSettings.off()).build());
        commitPages(db, PS, 1, 1);
        opened[0] = db;
        return db;
    }

    /**
     * Another thread refreshes while the commit pauses (its upload's outcome unknown): the refresh cannot upload it
     * either, saves it under conflicts/ and resets the buffer to the replica. The commit returned success before,
     * although neither the database nor the replica held its transaction any more.
     */
    @Test
    void aRefreshThatDropsTheWaitingTransactionIsReportedNotAcknowledged() throws Exception {
        Faulty client = new Faulty();
        Database db = open(client, d -> {
            client.unreadable = false;
            client.createsFail = true;
            try {
                d.refresh();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        client.unknownNotLandedOf = 2;
        client.unreadable = true;
        Throwable t = catchThrowable(() -> commitPages(db, PS, 2, 2));
        assertThat(t).isInstanceOf(SyncFailedException.class)
                .hasMessageContaining("transaction 2 of database \"app.db\" was committed locally, but a refresh ran")
                .hasMessageContaining("dropped it unsynced").hasMessageContaining(tmp.resolve("conflicts").toString());
        assertThat(raw.listFiles(0, 0, false)).as("the replica does not hold it").hasSize(1);
        try (Database same = db) {
            assertThat(same.current().txid()).isEqualTo(1);
            assertThat(Files.list(tmp.resolve("conflicts"))).as("saved").isNotEmpty();
        }
    }

    /**
     * The wait's sync finds another writer's file at the base + 1: the transaction is committed locally and in the
     * saved conflict file, which a plain conflict (SQLITE_BUSY_SNAPSHOT through the VFS, "not committed") hid.
     */
    @Test
    void aConflictFoundAfterTheLocalCommitSaysTheTransactionIsCommittedLocallyAndSaved() throws Exception {
        Faulty client = new Faulty();
        Database db = open(client, d -> { });
        client.rivalAt = 2;
        Throwable t = catchThrowable(() -> commitPages(db, PS, 2, 2));
        assertThat(t).isInstanceOf(ConflictAfterCommitException.class).isInstanceOf(ConflictException.class)
                .hasMessageContaining("conflict after commit: transaction 2 of database \"app.db\" is committed locally")
                .hasMessageContaining("will not be uploaded").hasMessageContaining("saved to");
        ConflictInfo info = ((ConflictException) t).info();
        assertThat(info.savedTo()).exists();
        assertThat(db.current().localSeq()).as("visible locally until a refresh").isGreaterThanOrEqualTo(2);
        db.close();
    }
}
