package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.replica.LocalPage;
import dev.ltx4j.pagestore.replica.RemotePage;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unsynced pages live in the buffer file, pinned versions survive buffer rewrites, syncs stream and use checksums. */
class BufferBackedPagesTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();
    final MemoryLogStorage storage = new MemoryLogStorage();

    EngineOptions.Builder opts() {
        return Kit.writer(storage, tmp.resolve("conflicts"), clock, 7);
    }

    private static void assertOnlyLocationsOfTheCurrentGeneration(Database db) {
        DatabaseVersion v = db.current();
        for (long p = 1; p <= v.commit(); p++) {
            Object e = v.pages().get(p);
            assertThat(e).isInstanceOfAny(LocalPage.class, RemotePage.class);
            if (e instanceof LocalPage lp) {
                assertThat(lp.generation()).isSameAs(db.currentGeneration());
            }
        }
    }

    @Test
    void pinnedVersionsReadWhatTheyPinnedAfterSyncsRewriteTheBuffer() throws Exception {
        try (Database db = Database.open(replica, "app.db", opts().build())) {
            commitPages(db, PS, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5);
            LocalGeneration first = db.currentGeneration();
            ReadTransaction early = db.beginRead();
            byte[] earlyBytes = readAll(db);
            assertThat(db.current().pages().get(2)).isInstanceOf(LocalPage.class);

            commitPages(db, PS, 2, 22);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            LocalGeneration second = db.currentGeneration();
            assertThat(second).isNotSameAs(first);
            assertThat(first.isClosed()).isFalse(); // still pinned by `early`

            commitPages(db, PS, 3, 33, 6, 6);
            ReadTransaction middle = db.beginRead();
            byte[] middleBytes = readAll(db);
            assertThat(db.current().pages().get(3)).isInstanceOf(LocalPage.class);
            commitPages(db, PS, 3, 133);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 4, 44);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);

            // Both pins still see exactly their state, read from generations the buffer has since replaced.
            byte[] again = new byte[earlyBytes.length];
            assertThat(early.read(0, again, 0, again.length)).isEqualTo(again.length);
            assertThat(again).isEqualTo(earlyBytes);
            byte[] againMiddle = new byte[middleBytes.length];
            assertThat(middle.read(0, againMiddle, 0, againMiddle.length)).isEqualTo(againMiddle.length);
            assertThat(againMiddle).isEqualTo(middleBytes);

            assertThat(second.isClosed()).isFalse(); // `middle` pins it
            early.close();
            assertThat(first.isClosed()).isTrue();
            middle.close();
            assertThat(second.isClosed()).isTrue();
            assertThat(db.currentGeneration().isClosed()).isFalse();
            assertOnlyLocationsOfTheCurrentGeneration(db);
            assertThat(readAll(db)).isEqualTo(restore(replica, 0, tmp));
        }
    }

    @Test
    void aCommitPublishedWhileTheBufferIsRewrittenPointsAtItsRecordInTheNewFile() throws Exception {
        AtomicBoolean fired = new AtomicBoolean();
        Database[] holder = new Database[1];
        storage.setFaults((op, name) -> {
            // The rewrite has just created the next generation: no generation is current for new transactions.
            if (op == MemoryLogStorage.Operation.CREATE && name.endsWith(".next") && holder[0] != null
                    && fired.compareAndSet(false, true)) {
                try {
                    commitPages(holder[0], PS, 6, 66, 2, 222);
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }
            return false;
        });
        try (Database db = Database.open(replica, "app.db", opts().build())) {
            commitPages(db, PS, 1, 1, 2, 2, 3, 3);
            holder[0] = db;
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(fired).isTrue();
            assertThat(db.current().commit()).isEqualTo(6);
            assertThat(db.current().pages().get(6)).isInstanceOf(LocalPage.class);
            assertOnlyLocationsOfTheCurrentGeneration(db);
            byte[] all = readAll(db);
            assertThat(java.util.Arrays.copyOfRange(all, 5 * PS, 6 * PS)).isEqualTo(Kit.page(PS, 66));
            assertThat(java.util.Arrays.copyOfRange(all, PS, 2 * PS)).isEqualTo(Kit.page(PS, 222));
            assertThat(db.status().pendingCommits()).isEqualTo(1);
            holder[0] = null;
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(restore(replica, 0, tmp)).isEqualTo(all);
        }
    }

    @Test
    void aTransactionOpenAcrossASyncsRewriteIsPublishedInTheRightFile() throws Exception {
        try (Database db = Database.open(replica, "app.db", opts().build())) {
            commitPages(db, PS, 1, 1, 2, 2, 3, 3);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 22);
            WriteSession open = db.beginWrite();
            open.write(5L * PS, Kit.page(PS, 66), 0, PS); // the buffer transaction is now open
            SyncOutcome[] outcome = new SyncOutcome[1];
            Thread syncer = new Thread(() -> outcome[0] = db.syncOnce(clock.instant()));
            syncer.start();
            // The sync uploads, then its buffer rewrite waits for the open transaction to end.
            while (syncer.getState() != Thread.State.WAITING && syncer.isAlive()) {
                Thread.onSpinWait();
            }
            open.write(2L * PS, Kit.page(PS, 33), 0, PS);
            open.commit();
            syncer.join();
            assertThat(outcome[0].status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertOnlyLocationsOfTheCurrentGeneration(db);
            byte[] all = readAll(db);
            assertThat(java.util.Arrays.copyOfRange(all, 5 * PS, 6 * PS)).isEqualTo(Kit.page(PS, 66));
            assertThat(java.util.Arrays.copyOfRange(all, 2 * PS, 3 * PS)).isEqualTo(Kit.page(PS, 33));
            assertThat(java.util.Arrays.copyOfRange(all, PS, 2 * PS)).isEqualTo(Kit.page(PS, 22));
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(restore(replica, 0, tmp)).isEqualTo(all);
        }
    }

    @Test
    void syncsKeepTheDatabaseChecksumWithoutReadingOldImages() throws Exception {
        CountingReplicaClient counting = new CountingReplicaClient(replica);
        int[] pages = new int[40];
        for (int i = 0; i < 20; i++) {
            pages[2 * i] = i + 1;
            pages[2 * i + 1] = i + 1;
        }
        try (Database db = Database.open(counting, "app.db", opts().cacheBytes(0).build())) {
            commitPages(db, PS, pages);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 3, 33, 7, 77);
            try (WriteSession s = db.beginWrite()) {
                s.truncate(15L * PS); // pages 16..20 leave the checksum too
                s.commit();
            }
            counting.reset();
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(counting.snapshot().opens()).isZero();
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(db)); // verifies every post-apply checksum
        }
        // A new process knows no page checksums of what it loaded: it falls back to reading old images.
        try (Database db = Database.open(replica, "app.db", opts().build())) {
            commitPages(db, PS, 2, 222, 15, 150);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(db));
        }
    }

    @Test
    void aLargeSyncIsSpooledToATemporaryFileThatIsDeletedAfterUpload() throws Exception {
        Path spool = tmp.resolve("spool");
        int count = Spool.DEFAULT_MEMORY_LIMIT / PS + 100;
        SplittableRandom random = new SplittableRandom(11);
        try (Database db = Database.open(replica, "app.db", opts().spoolDirectory(spool).build())) {
            try (WriteSession s = db.beginWrite()) {
                for (int p = 1; p <= count; p++) {
                    byte[] page = p == 1 ? Kit.page1(PS, 1) : new byte[PS];
                    if (p > 1) {
                        random.nextBytes(page); // incompressible, so the file outgrows the memory limit
                    }
                    s.write((long) (p - 1) * PS, page, 0, PS);
                }
                s.commit();
            }
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            LtxFileInfo uploaded = replica.listFiles(0, 0, false).get(0);
            assertThat(uploaded.size()).isGreaterThan(Spool.DEFAULT_MEMORY_LIMIT);
            try (var left = Files.list(spool)) {
                assertThat(left).isEmpty();
            }
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(db));
        }
    }
}
