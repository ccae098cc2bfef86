package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.page;
import static dev.ltx4j.syncer.Kit.page1;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.replica.RemotePage;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tests named W1_, W3_, ... guard the reference VFS flaw of that label: see docs/reference-flaws.md. */
class WriteModeTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    Database open(EngineOptions.Builder b) throws Exception {
        return Database.open(replica, "app.db", b.build());
    }

    EngineOptions.Builder opts() {
        return Kit.writer(storage, tmp.resolve("conflicts"), clock, 42);
    }

    @Test
    void newDatabaseFirstSyncWritesTrackedSnapshotAtTxid1() throws Exception {
        try (Database db = open(opts())) {
            assertThat(db.current().commit()).isZero();
            commitPages(db, PS, 1, 1, 2, 2, 3, 3);
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(o.txid()).isEqualTo(1);
            List<LtxFileInfo> l0 = replica.listFiles(0, 0, false);
            assertThat(l0).extracting(LtxFileInfo::minTxid).containsExactly(1L);
            try (InputStream in = replica.openFile(0, 1, 1, 0, 0); LtxDecoder d = new LtxDecoder(in, "f")) {
                LtxHeader h = d.header();
                assertThat(h.isSnapshot()).isTrue();
                assertThat(h.noChecksum()).isFalse();
                assertThat(h.commitPages()).isEqualTo(3);
                assertThat(h.nodeId()).isNotZero();
                byte[] buf = new byte[PS];
                while (d.readPage(buf, 0) != 0) {
                    // verifies the file checksum and the snapshot post-apply checksum at the end
                }
            }
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(db));
            assertThat(db.status().pendingCommits()).isZero();
        }
    }

    @Test
    void W1_ownSyncedPagesStayReadableAfterCacheEviction() throws Exception {
        try (Database db = open(opts().cacheBytes(PS))) {
            int[] pages = new int[2 * 40];
            for (int i = 0; i < 40; i++) {
                pages[2 * i] = i + 1;
                pages[2 * i + 1] = i + 10;
            }
            commitPages(db, PS, pages);
            byte[] before = readAll(db);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            // Every page now points into our own upload (installed from the encoder's index, not re-listed).
            for (int p = 1; p <= 40; p++) {
                assertThat(db.current().pages().get(p)).isInstanceOf(RemotePage.class);
            }
            assertThat(db.reader().cache().entries()).isLessThanOrEqualTo(1);
            assertThat(readAll(db)).isEqualTo(before);
            assertThat(db.current().sizeBytes()).isEqualTo(40L * PS);
        }
    }

    @Test
    void W1_syncNeverListsOrDownloadsItsOwnUploadBack() throws Exception {
        CountingReplicaClient counting = new CountingReplicaClient(replica);
        try (Database db = Database.open(counting, "app.db", opts().build())) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            counting.reset();
            readAll(db);
            assertThat(counting.snapshot().opens()).isZero(); // served from the cache seeded by the sync
            commitPages(db, PS, 2, 9);
            db.syncOnce(clock.instant());
            assertThat(counting.opensOf(0, 1, 1)).isZero();
            assertThat(counting.opensOf(0, 2, 2)).isZero();
        }
    }

    @Test
    void W2_connectionsShareOneStateAndSeeUnsyncedCommits() throws Exception {
        DatabaseRegistry registry = new DatabaseRegistry();
        EngineOptions o = opts().build();
        try (DatabaseRegistry.Handle a = registry.acquire("mem://x", "app.db", () -> Database.open(replica, "app.db", o));
                DatabaseRegistry.Handle b = registry.acquire("mem://x", "app.db", () -> {
                    throw new AssertionError("second connection must not open a second state");
                })) {
            assertThat(a.database()).isSameAs(b.database());
            commitPages(a.database(), PS, 1, 5);
            assertThat(readAll(b.database())).isEqualTo(readAll(a.database()));
            assertThat(b.database().beginRead().sizeBytes()).isEqualTo(PS);
            assertThat(b.database().tryBeginWrite()).isNotNull().satisfies(s -> s.rollback());
            WriteSession held = a.database().beginWrite();
            assertThat(b.database().tryBeginWrite()).isNull();
            held.rollback();
        }
        assertThat(registry.size()).isZero();
    }

    @Test
    void readYourWritesAcrossSyncsAndPinnedReadersNeverMove() throws Exception {
        try (Database db = open(opts())) {
            commitPages(db, PS, 1, 1, 2, 2);
            ReadTransaction pinned = db.beginRead();
            byte[] pinnedBytes = new byte[(int) pinned.sizeBytes()];
            pinned.read(0, pinnedBytes, 0, pinnedBytes.length);
            commitPages(db, PS, 2, 7, 3, 3);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 3, 8);
            byte[] again = new byte[pinnedBytes.length];
            assertThat(pinned.sizeBytes()).isEqualTo(2L * PS);
            pinned.read(0, again, 0, again.length);
            assertThat(again).isEqualTo(pinnedBytes);
            byte[] now = readAll(db);
            assertThat(now).hasSize(3 * PS);
            assertThat(java.util.Arrays.copyOfRange(now, 2 * PS, 3 * PS)).isEqualTo(page(PS, 8));
            assertThat(java.util.Arrays.copyOfRange(now, PS, 2 * PS)).isEqualTo(page(PS, 7));
        }
    }

    @Test
    void commitsContinueWhileASyncIsInFlightAndNeverSplit() throws Exception {
        Database[] holder = new Database[1];
        InMemoryReplicaClient inner = replica;
        dev.ltx4j.replica.ReplicaClient during = new ForwardingClient(inner) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, dev.ltx4j.replica.LtxBody body)
                    throws dev.ltx4j.replica.ReplicaException {
                if (min == 2) {
                    try {
                        commitPages(holder[0], PS, 4, 44);
                    } catch (java.io.IOException e) {
                        throw new AssertionError(e);
                    }
                }
                return super.createFile(level, min, max, body);
            }
        };
        try (Database db = Database.open(during, "app.db", opts().build())) {
            holder[0] = db;
            commitPages(db, PS, 1, 1);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 2, 3, 3);
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(o.pages()).isEqualTo(2);
            assertThat(db.status().pendingCommits()).isEqualTo(1);
            assertThat(db.current().commit()).isEqualTo(4);
            assertThat(db.current().pages().get(4)).isInstanceOf(dev.ltx4j.pagestore.replica.LocalPage.class);
            assertThat(((dev.ltx4j.pagestore.replica.LocalPage) db.current().pages().get(4)).generation())
                    .isSameAs(db.currentGeneration());
            assertThat(db.syncOnce(clock.instant()).txid()).isEqualTo(3);
            assertThat(restore(replica, 2, tmp)).hasSize(3 * PS);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(db));
        }
    }

    @Test
    void W7_shrinkDropsPagesAndSizeFollowsCommit() throws Exception {
        try (Database db = open(opts())) {
            int[] pages = new int[20];
            for (int i = 0; i < 10; i++) {
                pages[2 * i] = i + 1;
                pages[2 * i + 1] = i + 1;
            }
            commitPages(db, PS, pages);
            db.syncOnce(clock.instant());
            try (WriteSession s = db.beginWrite()) {
                s.truncate(4L * PS);
                s.write(0, page1(PS, 50), 0, PS);
                s.commit();
            }
            assertThat(db.current().sizeBytes()).isEqualTo(4L * PS);
            assertThat(db.current().pages().get(5)).isNull();
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).isEqualTo(SyncOutcome.Status.SYNCED);
            try (InputStream in = replica.openFile(0, 2, 2, 0, 0); LtxDecoder d = new LtxDecoder(in, "f")) {
                assertThat(d.header().commitPages()).isEqualTo(4);
                byte[] buf = new byte[PS];
                long p;
                while ((p = d.readPage(buf, 0)) != 0) {
                    assertThat(p).isLessThanOrEqualTo(4);
                }
            }
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(db)).hasSize(4 * PS);
            // Regrowing after a shrink shows zeros, not the old page 7.
            try (WriteSession s = db.beginWrite()) {
                s.truncate(8L * PS);
                s.commit();
            }
            byte[] all = readAll(db);
            assertThat(java.util.Arrays.copyOfRange(all, 6 * PS, 7 * PS)).containsOnly(0);
            db.syncOnce(clock.instant());
            assertThat(restore(replica, 0, tmp)).isEqualTo(all);
        }
    }

    @Test
    void W10_pageSizeComesFromTheFirstWriteAnyValidSize() throws Exception {
        for (int ps : new int[] {512, 65536}) {
            InMemoryReplicaClient r = new InMemoryReplicaClient();
            MemoryLogStorage s = new MemoryLogStorage();
            try (Database db = Database.open(r, "p" + ps, Kit.writer(s, tmp.resolve("c"), clock, 1).build())) {
                commitPages(db, ps, 1, 1, 2, 2, 3, 3);
                assertThat(db.current().pageSize()).isEqualTo(ps);
                db.syncOnce(clock.instant());
                commitPages(db, ps, 2, 9);
                db.syncOnce(clock.instant());
                assertThat(restore(r, 0, tmp)).isEqualTo(readAll(db)).hasSize(3 * ps);
                try (WriteSession w = db.beginWrite()) {
                    int other = ps == 512 ? 1024 : 4096;
                    assertThatThrownBy(() -> w.write(0, page1(other, 1), 0, other))
                            .isInstanceOf(PageSizeException.class).hasMessageContaining("page size");
                    assertThatThrownBy(() -> w.write(ps - 10, new byte[20], 0, 20))
                            .isInstanceOf(PageSizeException.class);
                }
            }
        }
    }

    @Test
    void W10_partialWriteWithinAPageIsReadModifyWrite() throws Exception {
        try (Database db = open(opts())) {
            commitPages(db, PS, 1, 1, 2, 2);
            try (WriteSession s = db.beginWrite()) {
                s.write(PS + 100, new byte[] {9, 9, 9}, 0, 3);
                s.commit();
            }
            byte[] all = readAll(db);
            byte[] expect = page(PS, 2);
            expect[100] = expect[101] = expect[102] = 9;
            assertThat(java.util.Arrays.copyOfRange(all, PS, 2 * PS)).isEqualTo(expect);
        }
    }

    @Test
    void W5_remoteDurabilityCommitReturnsOnlyAfterTheUpload() throws Exception {
        try (Database db = open(opts().durability(Durability.REMOTE))) {
            commitPages(db, PS, 1, 1);
            assertThat(replica.listFiles(0, 0, false)).hasSize(1);
            commitPages(db, PS, 2, 2);
            assertThat(replica.listFiles(0, 0, false)).hasSize(2);
            assertThat(db.status().pendingCommits()).isZero();
        }
    }

    @Test
    void W5_remoteDurabilityReportsTheConflictFromCommit() throws Exception {
        try (Database db = open(opts().durability(Durability.REMOTE))) {
            commitPages(db, PS, 1, 1);
            Rival.append(replica, 2, PS);
            assertThatThrownBy(() -> commitPages(db, PS, 2, 2)).isInstanceOf(ConflictException.class)
                    .hasMessageContaining("conflict").hasMessageContaining("0000000000000002")
                    .hasMessageContaining("0000000000000001");
        }
    }

    @Test
    void W5_restartSyncsRecoveredTransactionsWhenTheReplicaDidNotMove() throws Exception {
        Database db = open(opts());
        commitPages(db, PS, 1, 1, 2, 2);
        db.syncOnce(clock.instant());
        commitPages(db, PS, 2, 20, 3, 30);
        byte[] expected = readAll(db);
        storage.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced()); // the process dies before the next sync
        try (Database again = open(opts())) {
            assertThat(again.status().pendingCommits()).isEqualTo(1);
            assertThat(readAll(again)).isEqualTo(expected);
            assertThat(again.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(restore(replica, 0, tmp)).isEqualTo(expected);
        }
    }

    @Test
    void restartWhenTheReplicaMovedIsAConflictThatLosesNothing() throws Exception {
        Database db = open(opts());
        commitPages(db, PS, 1, 1, 2, 2);
        db.syncOnce(clock.instant());
        commitPages(db, PS, 2, 20);
        storage.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced());
        Rival.append(replica, 2, PS);
        try (Database again = open(opts())) {
            DatabaseStatus st = again.status();
            assertThat(st.conflict()).isNotNull();
            assertThat(st.conflict().remoteTxid()).isEqualTo(2);
            assertThat(st.conflict().baseTxid()).isEqualTo(1);
            assertThat(st.toJson()).contains("\"conflict\":{").contains("0000000000000002");
            Path saved = st.conflict().savedTo();
            assertThat(saved).exists();
            assertThat(Conflicts.pages(saved, PS)).containsKey(2L);
            assertThat(Conflicts.pages(saved, PS).get(2L)).isEqualTo(page(PS, 20));
            assertThatThrownBy(again::beginWrite).isInstanceOf(ConflictException.class)
                    .hasMessageContaining("conflict detected");
            again.refresh();
            assertThat(again.status().conflict()).isNull();
            assertThat(again.current().txid()).isEqualTo(2);
            commitPages(again, PS, 3, 3);
            assertThat(again.syncOnce(clock.instant()).txid()).isEqualTo(3);
            assertThat(saved).exists();
        }
    }

    @Test
    void restartAfterUploadButBeforeTrimAdoptsItsOwnFile() throws Exception {
        boolean[] failAfter = {false};
        dev.ltx4j.replica.ReplicaClient lossy = new ForwardingClient(replica) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, dev.ltx4j.replica.LtxBody body)
                    throws dev.ltx4j.replica.ReplicaException {
                LtxFileInfo f = super.createFile(level, min, max, body);
                if (failAfter[0]) {
                    throw new dev.ltx4j.replica.ReplicaTransientException("connection reset after the upload");
                }
                return f;
            }
        };
        Database db = Database.open(lossy, "app.db", opts().build());
        commitPages(db, PS, 1, 1);
        db.syncOnce(clock.instant());
        commitPages(db, PS, 2, 2);
        commitPages(db, PS, 1, 11);
        byte[] expected = readAll(db);
        failAfter[0] = true;
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);
        storage.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced());
        try (Database again = open(opts())) {
            assertThat(again.status().conflict()).isNull();
            assertThat(again.status().pendingCommits()).isZero();
            assertThat(again.current().txid()).isEqualTo(2);
            assertThat(readAll(again)).isEqualTo(expected);
        }
    }

    @Test
    void syncOnCloseFlushesEverythingCommitted() throws Exception {
        Database db = open(opts());
        commitPages(db, PS, 1, 1);
        commitPages(db, PS, 2, 2);
        byte[] expected = readAll(db);
        db.close();
        assertThat(restore(replica, 0, tmp)).isEqualTo(expected);
        assertThat(storage.exists("db.buffer")).isTrue();
    }

    @Test
    void closeGivesUpAfterTheTimeoutAndKeepsTheBuffer() throws Exception {
        dev.ltx4j.replica.ReplicaClient down = new ForwardingClient(replica) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, dev.ltx4j.replica.LtxBody body)
                    throws dev.ltx4j.replica.ReplicaException {
                throw new dev.ltx4j.replica.ReplicaTransientException("replica unreachable");
            }
        };
        Database db = Database.open(down, "app.db", opts().clock(Kit.advancing(clock)).build());
        commitPages(db, PS, 1, 1);
        assertThatThrownBy(db::close).isInstanceOf(SyncFailedException.class).hasMessageContaining("timed out");
        try (Database again = open(opts())) {
            assertThat(again.status().pendingCommits()).isEqualTo(1);
        }
    }

    @Test
    void readModeRejectsWritesAndAnEmptyReplica() throws Exception {
        assertThatThrownBy(() -> Database.open(replica, "app.db", Kit.reader(clock).build()))
                .isInstanceOf(DatabaseNotFoundException.class).hasMessageContaining("holds no LTX files");
        try (Database w = open(opts())) {
            commitPages(w, PS, 1, 1);
            w.syncOnce(clock.instant());
        }
        try (Database r = Database.open(replica, "app.db", Kit.reader(clock).build())) {
            assertThatThrownBy(r::beginWrite).isInstanceOf(ReadOnlyDatabaseException.class)
                    .hasMessageContaining("readonly");
            assertThat(r.status().lagMillis()).isEqualTo(-1);
            r.pollOnce(clock.instant());
            clock.advance(java.time.Duration.ofMillis(250));
            assertThat(r.status().lagMillis()).isEqualTo(250);
        }
    }

    @Test
    void statusReportsModeTxidPendingAndBuffer() throws Exception {
        try (Database db = open(opts())) {
            commitPages(db, PS, 1, 1);
            DatabaseStatus s = db.status();
            assertThat(s.mode()).isEqualTo("write");
            assertThat(s.pendingCommits()).isEqualTo(1);
            assertThat(s.bufferPath()).contains("db.buffer");
            db.syncOnce(clock.instant());
            s = db.status();
            assertThat(s.txid()).isEqualTo(1);
            assertThat(s.lastSyncMillis()).isEqualTo(clock.millis());
            assertThat(s.toJson()).contains("\"mode\":\"write\"", "\"txid\":\"0000000000000001\"",
                    "\"pending_commits\":0");
        }
    }

    /** W13: default buffer paths are unique per replica and database (the reference's cold-enable paths were not). */
    @Test
    void defaultBufferPathIsPrivateAndUniquePerDatabase() throws Exception {
        Path a = dev.ltx4j.pagestore.BufferPaths.defaultPath(tmp, "u", "mem://x", "a.db");
        Path b = dev.ltx4j.pagestore.BufferPaths.defaultPath(tmp, "u", "mem://x", "b.db");
        assertThat(a).isNotEqualTo(b);
        EngineOptions o = EngineOptions.builder().writeEnabled(true).bufferPath(tmp.resolve("buf.db"))
                .clock(Kit.engine(clock)).seed(3).build();
        try (Database db = Database.open(replica, "app.db", o)) {
            commitPages(db, PS, 1, 1);
            assertThat(tmp.resolve("buf.db")).exists();
            assertThat(db.status().bufferPath()).endsWith("buf.db");
        }
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).contains("buf.db");
        }
        assertThat(Ltx.lockPgno(PS)).isPositive();
    }
}
