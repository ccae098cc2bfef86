package dev.ltx4j.compaction;

import static dev.ltx4j.compaction.Clients.T0;
import static dev.ltx4j.compaction.Clients.level;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionResult.Outcome;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxCompactor;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LevelCompactionTest {
    @TempDir
    Path dir;

    static CompactionSettings settings() {
        return CompactionSettings.defaults();
    }

    static List<Long> txids(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().toList();
    }

    static Model write(ReplicaClient client, long seed, boolean tracked, int count) throws IOException {
        Model m = new Model(seed, tracked);
        for (int i = 0; i < count; i++) {
            m.commit(client, T0.plusSeconds(m.txid() + 1));
        }
        return m;
    }

    private void assertRestoresEveryTxid(ReplicaClient client, Model model, List<Long> points) {
        assertThat(RestorabilityCheck.problems(asMap(client), points)).isEmpty();
        assertThat(RestorabilityCheck.contentProblems(client, points, model::databaseAt, dir)).isEmpty();
    }

    static java.util.Map<Integer, List<LtxFileInfo>> asMap(ReplicaClient client) {
        try {
            return RetentionPlan.listAll(client);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void l0IntoL1RestoresLikeApplyingTheInputs(Clients kind) throws IOException {
        for (boolean tracked : new boolean[] {false, true}) {
            try (ReplicaClient client = kind.open(dir.resolve("t" + tracked))) {
                Model m = write(client, 7, tracked, 20);
                Compactor c = new Compactor(client, settings(), CompactionFaults.NONE);
                CompactionResult r = c.compactLevel(1, T0.plusSeconds(100));
                assertThat(r.outcome()).isEqualTo(Outcome.CREATED);
                assertThat(r.output().range().toString()).isEqualTo(new dev.ltx4j.ltx.TxidRange(1, 20).toString());
                assertThat(r.inputs()).hasSize(20);
                assertThat(level(client, 1)).hasSize(1);
                // The output's timestamp is the newest input's, as Litestream's.
                LtxHeader h = header(client, r.output());
                assertThat(h.timestamp()).isEqualTo(T0.plusSeconds(20).toEpochMilli());
                assertThat(h.noChecksum()).isEqualTo(!tracked);
                // Restoring the L1 file alone equals the model at 20; with L0 every TXID still restores.
                ReplicaClient onlyL1 = kind.open(dir.resolve("only" + tracked));
                onlyL1.createFile(1, 1, 20, LtxBody.of(client.readRange(1, 1, 20, 0, 0)));
                assertThat(RestorabilityCheck.restore(onlyL1, 20, dir)).isEqualTo(m.databaseAt(20));
                onlyL1.close();
                assertRestoresEveryTxid(client, m, txids(1, 20));

                // More transactions: the next compaction continues exactly at 21.
                for (int i = 0; i < 5; i++) {
                    m.commit(client, T0.plusSeconds(m.txid() + 1));
                }
                CompactionResult next = c.compactLevel(1, T0.plusSeconds(200));
                assertThat(next.output().minTxid()).isEqualTo(21);
                assertThat(next.output().maxTxid()).isEqualTo(25);
                assertThat(c.compactLevel(1, T0.plusSeconds(201)).outcome()).isEqualTo(Outcome.NOTHING_TO_DO);
                // L1 into L2 merges the two L1 files.
                CompactionResult l2 = c.compactLevel(2, T0.plusSeconds(300));
                assertThat(l2.output().range()).isEqualTo(new dev.ltx4j.ltx.TxidRange(1, 25));
                assertRestoresEveryTxid(client, m, txids(1, 25));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void gapsAreNeverCrossed(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir)) {
            Model m = new Model(3, false);
            List<byte[]> held = new ArrayList<>();
            for (int i = 1; i <= 12; i++) {
                byte[] file = m.next(T0.plusSeconds(i));
                if (i == 8) {
                    held.add(file); // not visible yet (lagging listing, a slow upload)
                } else {
                    client.createFile(0, i, i, LtxBody.of(file));
                }
            }
            Compactor c = new Compactor(client, settings(), CompactionFaults.NONE);
            CompactionResult r = c.compactLevel(1, T0.plusSeconds(60));
            assertThat(r.output().range()).isEqualTo(new dev.ltx4j.ltx.TxidRange(1, 7));
            // Seek is 8 and nothing starts there: nothing is compacted, however often it runs.
            assertThat(c.compactLevel(1, T0.plusSeconds(90)).outcome()).isEqualTo(Outcome.NOTHING_TO_DO);
            assertThat(level(client, 1)).hasSize(1);
            // The missing file lands: compaction picks up at 8 and goes to the end.
            client.createFile(0, 8, 8, LtxBody.of(held.get(0)));
            CompactionResult after = c.compactLevel(1, T0.plusSeconds(120));
            assertThat(after.output().range()).isEqualTo(new dev.ltx4j.ltx.TxidRange(8, 12));
            assertRestoresEveryTxid(client, m, txids(1, 12));
        }
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void theCompactAcrossGapSwitchCrossesAndTheCheckerCatchesIt(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir)) {
            Model m = new Model(5, false);
            byte[] held = null;
            Compactor honest = new Compactor(client, settings(), CompactionFaults.NONE);
            CompactionFaults bug = new CompactionFaults() {
                @Override
                public boolean compactAcrossGap() {
                    return true;
                }
            };
            Compactor buggy = new Compactor(client, settings(), bug);
            for (int i = 1; i <= 12; i++) {
                byte[] file = m.next(T0.plusSeconds(i), i == 11);
                if (i == 11) {
                    held = file; // not visible yet: a hole at 11
                } else {
                    client.createFile(0, i, i, LtxBody.of(file));
                }
                if (i == 5) {
                    honest.compactLevel(1, T0.plusSeconds(i)); // L1 1-5, so the next output is not a snapshot
                }
            }
            CompactionResult r = buggy.compactLevel(1, T0.plusSeconds(60));
            assertThat(r.output().range()).isEqualTo(new dev.ltx4j.ltx.TxidRange(6, 12));
            client.createFile(0, 11, 11, LtxBody.of(held));
            // By names the replica looks whole; the content check sees that L1 6-12 lacks TXID 11's pages.
            assertThat(RestorabilityCheck.problems(asMap(client), txids(1, 12))).isEmpty();
            List<String> problems = RestorabilityCheck.contentProblems(client, txids(1, 12), m::databaseAt, dir);
            assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("TXID 000000000000000c"));
            // The honest compactor, on the same history, stops at the hole.
            client.deleteFiles(List.of(r.output()));
            client.deleteFiles(List.of(new LtxFileInfo(0, 11, 11, 0, null)));
            assertThat(honest.compactLevel(1, T0.plusSeconds(61)).output().range())
                    .isEqualTo(new dev.ltx4j.ltx.TxidRange(6, 10));
            client.createFile(0, 11, 11, LtxBody.of(held));
            assertThat(honest.compactLevel(1, T0.plusSeconds(62)).output().range())
                    .isEqualTo(new dev.ltx4j.ltx.TxidRange(11, 12));
            assertThat(RestorabilityCheck.contentProblems(client, txids(1, 12), m::databaseAt, dir)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void racingCompactorsForTheSameNameBothSucceed(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir)) {
            Model m = write(client, 11, false, 10);
            Compactor a = new Compactor(client, settings(), CompactionFaults.NONE);
            // B lost the race: A's file lands between B's merge and its create (B's crash point runs A).
            CompactionFaults racing = new CompactionFaults() {
                @Override
                public void beforeCreate(LtxFileInfo file) throws Exception {
                    assertThat(a.compactLevel(1, T0.plusSeconds(50)).outcome()).isEqualTo(Outcome.CREATED);
                }
            };
            Compactor b = new Compactor(client, settings(), racing);
            CompactionResult r = b.compactLevel(1, T0.plusSeconds(50));
            assertThat(r.outcome()).isEqualTo(Outcome.ALREADY_COMPACTED);
            assertThat(r.output().range()).isEqualTo(new dev.ltx4j.ltx.TxidRange(1, 10));
            assertThat(b.status().level(1).alreadyCompacted()).isEqualTo(1);
            assertThat(b.status().level(1).filesCreated()).isZero();
            assertThat(a.status().level(1).filesCreated()).isEqualTo(1);
            assertRestoresEveryTxid(client, m, txids(1, 10));
        }
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void aDifferentFileUnderTheSameNameIsAnErrorNamingBoth(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir); ReplicaClient other = kind.open(dir.resolve("other"))) {
            // An input named L1/1-4 whose header says 1-3 (a broken writer): compacting it into L2 refuses.
            write(other, 13, false, 4);
            other.createFile(1, 1, 4, LtxBody.of(merge(other, 0, 1, 3)));
            assertThatThrownBy(() -> new Compactor(other, settings(), CompactionFaults.NONE).compactLevel(2, T0))
                    .isInstanceOf(CompactionException.class).hasMessageContaining("0000000000000001-0000000000000003");
            // L1/1-4 already there holding TXIDs 2-4: not the same work; the error names both.
            write(client, 13, false, 4);
            client.createFile(1, 1, 4, LtxBody.of(merge(client, 0, 2, 4)));
            Compactor c = new Compactor(new HideLevel(client, 1), settings(), CompactionFaults.NONE);
            assertThatThrownBy(() -> c.compactLevel(1, T0)).isInstanceOf(CompactionException.class)
                    .hasMessageContaining("L1/0000000000000001-0000000000000004.ltx already exists with TXIDs "
                            + "0000000000000002-0000000000000004")
                    .hasMessageContaining("this compaction produced TXIDs 0000000000000001-0000000000000004");
            assertThat(c.status().level(1).lastError()).contains("already exists");
            assertThat(c.status().level(1).lastRun()).isEqualTo(T0);
        }
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void overlappingRangesFromRacingCompactorsRestoreAtEveryTxid(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir)) {
            Model m = write(client, 17, false, 10);
            // A saw L0 up to 10 and wrote L1 1-10; B listed L1 before that, saw L0 up to 14 later: L1 1-14.
            Compactor a = new Compactor(client, settings(), CompactionFaults.NONE);
            a.compactLevel(1, T0.plusSeconds(30));
            for (int i = 0; i < 4; i++) {
                m.commit(client, T0.plusSeconds(m.txid() + 1));
            }
            Compactor b = new Compactor(new HideLevel(client, 1), settings(), CompactionFaults.NONE);
            assertThat(b.compactLevel(1, T0.plusSeconds(31)).output().range())
                    .isEqualTo(new dev.ltx4j.ltx.TxidRange(1, 14));
            // And a third that saw only 1-10 starts at 11 once more data came: L1 11-16.
            for (int i = 0; i < 2; i++) {
                m.commit(client, T0.plusSeconds(m.txid() + 1));
            }
            Compactor cc = new Compactor(new HideFile(client, 1, 1, 14), settings(), CompactionFaults.NONE);
            assertThat(cc.compactLevel(1, T0.plusSeconds(32)).output().range())
                    .isEqualTo(new dev.ltx4j.ltx.TxidRange(11, 16));
            assertThat(level(client, 1)).hasSize(3);
            assertRestoresEveryTxid(client, m, txids(1, 16));
            // Higher levels and snapshots go on from the overlap.
            assertThat(a.compactLevel(2, T0.plusSeconds(40)).output().range())
                    .isEqualTo(new dev.ltx4j.ltx.TxidRange(1, 16));
            assertThat(a.compactLevel(1, T0.plusSeconds(41)).outcome()).isEqualTo(Outcome.NOTHING_TO_DO);
            assertThat(a.snapshot(T0.plusSeconds(42)).output().range()).isEqualTo(new dev.ltx4j.ltx.TxidRange(1, 16));
            assertRestoresEveryTxid(client, m, txids(1, 16));
        }
    }

    @ParameterizedTest
    @EnumSource(Clients.class)
    void litestreamStyleAndLegacyFramesCompact(Clients kind) throws IOException {
        try (ReplicaClient client = kind.open(dir)) {
            Model m = new Model(19, false);
            m.external(client, resource("L1.ltx")); // legacy-encoded snapshot, page size 512, TXID 1
            for (int i = 2; i <= 4; i++) {
                m.commit(client, T0.plusSeconds(i));
            }
            m.external(client, resource("L2.ltx")); // legacy-encoded NoChecksum file, TXID 5-7
            m.commit(client, T0.plusSeconds(8));
            Compactor c = new Compactor(client, settings(), CompactionFaults.NONE);
            CompactionResult r = c.compactLevel(1, T0.plusSeconds(60));
            assertThat(r.output().range()).isEqualTo(new dev.ltx4j.ltx.TxidRange(1, 8));
            LtxHeader h = header(client, r.output());
            assertThat(h.noChecksum()).isTrue();
            byte[] out = client.readRange(1, 1, 8, 0, 0);
            assertThat(out[Ltx.HEADER_SIZE + 5] & Ltx.PAGE_FLAG_SIZE).isEqualTo(Ltx.PAGE_FLAG_SIZE);
            assertRestoresEveryTxid(client, m, List.of(1L, 2L, 3L, 4L, 7L, 8L));
            assertThat(c.snapshot(T0.plusSeconds(61)).created()).isTrue();
            assertThat(RestorabilityCheck.restore(client, 8, dir)).isEqualTo(m.databaseAt(8));
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = LevelCompactionTest.class.getResourceAsStream("/legacy/" + name)) {
            return in.readAllBytes();
        }
    }

    static LtxHeader header(ReplicaClient client, LtxFileInfo f) throws IOException {
        try (InputStream in = client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0)) {
            return new LtxDecoder(in, f.toString()).header();
        }
    }

    /** Merges L{level} files min..max (singles) into bytes, as a rival writer might have. */
    static byte[] merge(ReplicaClient client, int level, long min, long max) throws IOException {
        List<LtxSource> in = new ArrayList<>();
        for (long t = min; t <= max; t++) {
            byte[] data = client.readRange(level, t, t, 0, 0);
            in.add(LtxSource.ofBytes("x" + t, data));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxCompactor.compact(in, out, Ltx.HEADER_FLAG_NO_CHECKSUM);
        return out.toByteArray();
    }

    /** A client whose listings miss one level (a compactor that listed before another's file landed). */
    static final class HideLevel extends dev.ltx4j.replica.ForwardingReplicaClient {
        private final int hidden;

        HideLevel(ReplicaClient delegate, int hidden) {
            super(delegate);
            this.hidden = hidden;
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws dev.ltx4j.replica.ReplicaException {
            return level == hidden ? List.of() : delegate.listFiles(level, seek, meta);
        }

        @Override
        public void close() {
        }
    }

    /** A client whose listings miss one file. */
    static final class HideFile extends dev.ltx4j.replica.ForwardingReplicaClient {
        private final int level;
        private final long min;
        private final long max;

        HideFile(ReplicaClient delegate, int level, long min, long max) {
            super(delegate);
            this.level = level;
            this.min = min;
            this.max = max;
        }

        @Override
        public List<LtxFileInfo> listFiles(int l, long seek, boolean meta) throws dev.ltx4j.replica.ReplicaException {
            return delegate.listFiles(l, seek, meta).stream()
                    .filter(f -> !(f.level() == level && f.minTxid() == min && f.maxTxid() == max)).toList();
        }

        @Override
        public void close() {
        }
    }
}
