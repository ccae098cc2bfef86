package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.page;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Tests named W1_, W3_, ... guard the reference VFS flaw of that label: see docs/reference-flaws.md. */
class ConflictTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();

    ReplicaClient replica(String kind) {
        return kind.equals("memory") ? new InMemoryReplicaClient() : new FileReplicaClient(tmp.resolve("replica"), clock);
    }

    Database open(ReplicaClient client) throws Exception {
        return Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7).build());
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "file"})
    void W3_rivalAppendingBetweenCheckAndUploadLosesCleanly(String kind) throws Exception {
        ReplicaClient raw = replica(kind);
        byte[][] rivalBytes = new byte[1][];
        ReplicaClient racing = new ForwardingClient(raw) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                if (min == 2 && rivalBytes[0] == null) {
                    try {
                        rivalBytes[0] = Rival.append(raw, 2, PS); // lands after our listing, before our create
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
                return super.createFile(level, min, max, body);
            }
        };
        try (Database db = open(racing)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 20, 3, 30);
            commitPages(db, PS, 3, 31);
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).isEqualTo(SyncOutcome.Status.CONFLICT);

            // Never overwritten, never forked: the rival's file is the replica's TXID 2.
            byte[] stored = raw.readRange(0, 2, 2, 0, 0);
            assertThat(stored).isEqualTo(rivalBytes[0]);
            assertThat(raw.listFiles(0, 3, false)).isEmpty();

            // Visible and sticky.
            assertThatThrownBy(db::beginWrite).isInstanceOf(ConflictException.class)
                    .hasMessageContaining("conflict").hasMessageContaining("0000000000000002")
                    .hasMessageContaining("built on 0000000000000001");
            ConflictInfo info = db.status().conflict();
            assertThat(info.pendingCommits()).isEqualTo(2);

            // Nothing lost: both pending transactions' final pages in a decodable LTX file.
            Map<Long, byte[]> saved = Conflicts.pages(info.savedTo(), PS);
            assertThat(saved.keySet()).containsExactly(2L, 3L);
            assertThat(saved.get(2L)).isEqualTo(page(PS, 20));
            assertThat(saved.get(3L)).isEqualTo(page(PS, 31));

            // Refresh: drop local state, reload, retry works.
            db.refresh();
            assertThat(db.current().txid()).isEqualTo(2);
            assertThat(readAll(db)).isEqualTo(restore(raw, 0, tmp));
            commitPages(db, PS, 3, 33);
            assertThat(db.syncOnce(clock.instant()).txid()).isEqualTo(3);
            assertThat(restore(raw, 0, tmp)).isEqualTo(readAll(db));
            assertThat(info.savedTo()).exists();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "file"})
    void W3_ambiguousUploadThatLandedIsOurSuccess(String kind) throws Exception {
        ReplicaClient raw = replica(kind);
        ReplicaClient ambiguous = new ForwardingClient(raw) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                super.createFile(level, min, max, body);
                throw new ReplicaOutcomeUnknownException("response lost after the object was stored");
            }
        };
        try (Database db = open(ambiguous)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 3);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(db.status().conflict()).isNull();
            LtxHeader h = LtxHeader.parse(raw.readRange(0, 2, 2, 0, 100), "f");
            assertThat(h.nodeId()).isEqualTo(db.bufferOrNull().writerId());
            assertThat(restore(raw, 0, tmp)).isEqualTo(readAll(db));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "file"})
    void W3_ambiguousUploadThatDidNotLandIsRetried(String kind) throws Exception {
        ReplicaClient raw = replica(kind);
        boolean[] drop = {true};
        ReplicaClient lossy = new ForwardingClient(raw) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                if (drop[0]) {
                    drop[0] = false;
                    throw new ReplicaOutcomeUnknownException("timeout before the server answered");
                }
                return super.createFile(level, min, max, body);
            }
        };
        try (Database db = open(lossy)) {
            commitPages(db, PS, 1, 1);
            // Resolved as absent, then sent once more in the same sync (issue 9: the engine is the one layer that
            // resolves and re-sends an ambiguous create; the retry decorator passes it on).
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(restore(raw, 0, tmp)).isEqualTo(readAll(db));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 9})
    void W3_conflictCheckListsEveryLevel(int level) throws Exception {
        InMemoryReplicaClient raw = new InMemoryReplicaClient();
        // A deployment whose retention may delete level-0 files at any age (grace 0): every sync lists every level.
        // With a grace of a minute or more the level-0 look vouches for the levels above for a while
        // (docs/request-economy-writer.md; WriterRequestEconomyTest covers that case).
        try (Database db = Database.open(raw, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7)
                .compaction(CompactionSettings.defaults().withRetentionGrace(Duration.ZERO)).build())) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 5);
            // A rival's compaction or snapshot reaching past our base, with no L0 file at all.
            if (level == 9) {
                Rival.file(raw, 9, 1, 4, PS, 2, new long[] {1, 2}, 3);
            } else {
                Rival.file(raw, 1, 2, 4, PS, 2, new long[] {2}, 3);
            }
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(o.error()).hasMessageContaining("replica is at TXID 0000000000000004");
            assertThat(raw.listFiles(0, 2, false)).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "file"})
    void W4_conflictIsStickyUntilRefreshAndWritesAndCommitsFail(String kind) throws Exception {
        ReplicaClient raw = replica(kind);
        try (Database db = open(raw)) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            WriteSession open = db.beginWrite();
            open.write(PS, page(PS, 6), 0, PS);
            Rival.append(raw, 2, PS);
            commitPagesLater(open);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.CONFLICT);
            WriteSession another = null;
            assertThatThrownBy(() -> db.beginWrite()).isInstanceOf(ConflictException.class);
            assertThat(another).isNull();
            assertThat(db.status().toJson()).contains("conflict detected");
            // Close does not sync a conflicted database and never deletes the buffer or the saved file.
            Path saved = db.status().conflict().savedTo();
            db.close();
            assertThat(saved).exists();
            assertThat(storage.exists("db.buffer")).isTrue();
        }
    }

    private static void commitPagesLater(WriteSession s) throws Exception {
        s.commit();
    }
}
