package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxCompactor;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.pagestore.replica.TxidUnavailableException;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.RestorePlanException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Time travel at the engine: a time resolves to the newest restorable TXID at or before it, with a handful of
 * requests on a replica of thousands of files, through compaction and retention, and reads exactly that state.
 */
class TimeTravelTest {
    static final int PS = 512;
    static final long T0 = 1_800_000_000_000L;
    static final int FILES = 3000;

    @TempDir
    Path tmp;

    final InMemoryReplicaClient replica = new InMemoryReplicaClient();
    final CountingReplicaClient counted = new CountingReplicaClient(replica);
    final Kit.ManualClock clock = new Kit.ManualClock(T0 + 10L * FILES * 1000);

    /** Commit time of TXID t in the built replica: one second apart from T0. */
    static long time(long t) {
        return T0 + (t - 1) * 1000;
    }

    /** Page 2 at TXID t holds t (every file writes it); page 3 stays the snapshot's. */
    static byte[] page(long pgno, long txid) {
        byte[] p = new byte[PS];
        ByteBuffer.wrap(p).putLong(pgno).putLong(txid);
        return p;
    }

    static byte[] ltx(long min, long max, long millis) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, PS, 3, min, max, millis, 0));
        if (min == 1) {
            enc.writePage(1, page(1, max), 0);
        }
        enc.writePage(2, page(2, max), 0);
        if (min == 1) {
            enc.writePage(3, page(3, 0), 0);
        }
        enc.finish(0);
        return out.toByteArray();
    }

    /** L0 files 1..n, TXID 1 a snapshot, one second apart. */
    void build(int n) throws Exception {
        for (long t = 1; t <= n; t++) {
            replica.createFile(0, t, t, LtxBody.of(ltx(t, t, time(t))));
        }
    }

    Database reader(ReplicaClient client) throws Exception {
        return Database.open(client, "app.db", Kit.reader(clock).build());
    }

    static long page2(ReadTransaction rt) throws Exception {
        byte[] b = new byte[PS];
        rt.read(PS, b, 0, PS);
        return ByteBuffer.wrap(b).getLong(8);
    }

    @Test
    void aTimeResolvesToTheNewestTxidAtOrBeforeItWithTwoHeaderReadsOnThousandsOfFiles() throws Exception {
        build(FILES);
        try (Database db = reader(counted)) {
            for (long t : new long[] {1, 2, 777, 1500, FILES - 1, FILES}) {
                for (long offset : new long[] {0, 1, 999}) {
                    CountingReplicaClient.Counts before = counted.snapshot();
                    PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(t) + offset), clock.instant());
                    CountingReplicaClient.Counts used = delta(before, counted.snapshot());
                    assertThat(p.txid()).isEqualTo(t); // at the commit time itself, and until the next one
                    assertThat(p.commitTime()).isEqualTo(Instant.ofEpochMilli(time(t)));
                    assertThat(used.lists()).isEqualTo(ReplicaClient.MAX_LEVEL + 1);
                    // Two header reads, and the first time a file decides, its verification (docs/time-travel.md).
                    assertThat(used.opens()).as("reads for TXID %d", t).isLessThanOrEqualTo(4);
                    try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                        assertThat(rt.txid()).isEqualTo(t);
                        assertThat(page2(rt)).isEqualTo(t);
                    }
                }
            }
        }
    }

    @Test
    void listingTimesThatAreNotHeaderTimesCostABinarySearchOfHeaderReads() throws Exception {
        build(FILES);
        // Like S3 without metadata: the listing says when each object was uploaded (here: all at one time).
        ReplicaClient uploadTimes = new ForwardingClient(counted) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                List<LtxFileInfo> out = new ArrayList<>();
                for (LtxFileInfo f : super.listFiles(level, seek, meta)) {
                    out.add(new LtxFileInfo(f.level(), f.minTxid(), f.maxTxid(), f.size(), Instant.ofEpochMilli(T0 + 5)));
                }
                return out;
            }
        };
        int bound = 32 - Integer.numberOfLeadingZeros(FILES) + 2; // log2(points) + 2
        try (Database db = reader(uploadTimes)) {
            for (long t : new long[] {1, 5, 1234, 2999, FILES}) {
                CountingReplicaClient.Counts before = counted.snapshot();
                PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(t) + 500), clock.instant());
                assertThat(p.txid()).isEqualTo(t);
                assertThat(delta(before, counted.snapshot()).opens()).isLessThanOrEqualTo(bound);
            }
        }
    }

    @Test
    void equalCommitTimesResolveToTheNewestOfThem() throws Exception {
        replica.createFile(0, 1, 1, LtxBody.of(ltx(1, 1, T0)));
        replica.createFile(0, 2, 2, LtxBody.of(ltx(2, 2, T0 + 1000)));
        replica.createFile(0, 3, 3, LtxBody.of(ltx(3, 3, T0 + 1000)));
        replica.createFile(0, 4, 4, LtxBody.of(ltx(4, 4, T0 + 2000)));
        try (Database db = reader(replica)) {
            assertThat(db.timeTravel().resolve(Instant.ofEpochMilli(T0 + 1000), clock.instant()).txid()).isEqualTo(3);
            assertThat(db.timeTravel().resolve(Instant.ofEpochMilli(T0 + 999), clock.instant()).txid()).isEqualTo(1);
        }
    }

    @Test
    void badTargetsAreClearErrors() throws Exception {
        build(5);
        try (Database db = reader(replica)) {
            Instant now = clock.instant();
            assertThatThrownBy(() -> db.timeTravel().resolve(now.plusSeconds(60), now))
                    .isInstanceOf(TimeTravelException.class).hasMessageContaining("in the future");
            TimeTravelException before = (TimeTravelException) org.assertj.core.api.Assertions.catchThrowable(
                    () -> db.timeTravel().resolve(Instant.ofEpochMilli(T0 - 1), now));
            assertThat(before.oldestAvailable()).isEqualTo(Instant.ofEpochMilli(T0));
            assertThat(before).hasMessageContaining("before the oldest state")
                    .hasMessageContaining(Instant.ofEpochMilli(T0).toString());
        }
    }

    /**
     * Compaction by hand, as the compactor and retention do it: L0 1..500 into one L1 file (timestamp of its newest
     * input), L0 501..1000 into another, then those L0 files deleted. Retained points still answer exactly, a time
     * inside a compacted window falls back to the window's start boundary, and a time before the oldest retained
     * point is an error naming it.
     */
    @Test
    void W8_compactedAndDeletedFilesLeaveTheirBoundariesAndTimesBeforeTheOldestAreErrors() throws Exception {
        build(1500);
        compact(1, 500);
        compact(501, 1000);
        try (Database db = reader(counted)) {
            Instant now = clock.instant();
            TimeTravelException gone = (TimeTravelException) org.assertj.core.api.Assertions.catchThrowable(
                    () -> db.timeTravel().resolve(Instant.ofEpochMilli(time(499)), now));
            assertThat(gone).isNotNull();
            assertThat(gone.oldestAvailable()).isEqualTo(Instant.ofEpochMilli(time(500)));
            assertThat(gone).hasMessageContaining("oldest available time is " + Instant.ofEpochMilli(time(500)));
            long[][] cases = {{500, 500}, {501, 500}, {999, 500}, {1000, 1000}, {1001, 1001}, {1499, 1499}};
            for (long[] c : cases) {
                PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(c[0])), now);
                assertThat(p.txid()).as("time of TXID %d", c[0]).isEqualTo(c[1]);
                try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                    assertThat(page2(rt)).isEqualTo(c[1]);
                    byte[] b = new byte[PS];
                    rt.read(2L * PS, b, 0, PS);
                    assertThat(b).isEqualTo(page(3, 0)); // from the first snapshot, carried by the L1 file
                }
            }
            // A point resolved before its files were compacted away, pinned afterwards, refuses to read a mix.
            PointInTime p1200 = db.timeTravel().resolve(Instant.ofEpochMilli(time(1200)), now);
            compact(1001, 1400);
            assertThatThrownBy(() -> db.timeTravel().beginRead(p1200).close())
                    .isInstanceOf(TimeTravelException.class).hasMessageContaining("no longer reaches")
                    .hasMessageContaining("TXID 00000000000004b0 is deleted by retention")
                    .hasMessageContaining("only inside L1/00000000000003e9-0000000000000578.ltx");
            PointInTime p1400 = db.timeTravel().resolve(Instant.ofEpochMilli(time(1200)), now);
            assertThat(p1400.txid()).isEqualTo(1000); // the boundary before the new window
        }
    }

    /**
     * Level-0 files that no chain from TXID 1 reaches are not restorable points: here a snapshot (L9) covers 1..20
     * and retention deleted L0 1..10, so L0 11..19 remain but TXIDs 11..19 cannot be rebuilt.
     */
    @Test
    void filesNoChainFromTheFirstTxidReachesAreNotPoints() throws Exception {
        build(30);
        List<LtxSource> inputs = new ArrayList<>();
        for (long t = 1; t <= 20; t++) {
            inputs.add(LtxSource.ofBytes("L0/" + t, replica.readRange(0, t, t, 0, 0)));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxCompactor.compact(inputs, out, Ltx.HEADER_FLAG_NO_CHECKSUM);
        replica.createFile(9, 1, 20, LtxBody.of(out.toByteArray()));
        List<LtxFileInfo> early = new ArrayList<>();
        for (LtxFileInfo f : replica.listFiles(0, 0, false)) {
            if (f.maxTxid() <= 10) {
                early.add(f);
            }
        }
        replica.deleteFiles(early);
        try (Database db = reader(replica)) {
            Instant now = clock.instant();
            TimeTravelException e = (TimeTravelException) org.assertj.core.api.Assertions.catchThrowable(
                    () -> db.timeTravel().resolve(Instant.ofEpochMilli(time(15)), now));
            assertThat(e).isNotNull();
            assertThat(e.oldestAvailable()).isEqualTo(Instant.ofEpochMilli(time(20)));
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(25)), now);
            assertThat(p.txid()).isEqualTo(25);
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThat(page2(rt)).isEqualTo(25);
            }
        }
    }

    /** A version built before compaction deleted its files still reads, relocated through the current plan. */
    @Test
    void aPinnedPastStateSurvivesItsFilesBeingCompactedAway() throws Exception {
        build(300);
        try (Database db = reader(replica)) {
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(200)), clock.instant());
            db.timeTravel().beginRead(p).close(); // builds and caches the version on the L0 files
            db.reader().cache().clear(); // the resolution verified TXID 200's file, which cached its pages
            compact(101, 200);
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThat(page2(rt)).isEqualTo(200);
            }
        }
    }

    /**
     * A past state whose files retention deleted, no plan reaching its TXID any more (field probe, probe2): the read
     * fails saying the TXID is gone and why, as a pinned latest state's read does (it said "no such LTX file" naming
     * the deleted file, which reads like a damaged replica). Never another state's page.
     */
    @Test
    void aPastStateWhoseFilesRetentionDeletedFailsNamingItsTxid() throws Exception {
        build(300);
        try (Database db = reader(replica)) {
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(200)), clock.instant());
            db.timeTravel().beginRead(p).close(); // builds and caches the version on the L0 files
            db.reader().cache().clear(); // the resolution verified TXID 200's file, which cached its pages
            compact(101, 250); // TXID 200 is inside the merged file now: no plan ends at it
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThatThrownBy(() -> page2(rt)).isInstanceOf(TxidUnavailableException.class)
                        .hasMessageContaining("TXID 00000000000000c8 is no longer on the replica")
                        .hasMessageContaining("litestream_time").hasMessageContaining("retention")
                        .hasMessageContaining("TXID 00000000000000c8 is deleted by retention: the chain from TXID 1"
                                + " ends at TXID 0000000000000064 (L0/0000000000000064-0000000000000064.ltx), and TXIDs"
                                + " 0000000000000065..00000000000000c8 are only inside"
                                + " L1/0000000000000065-00000000000000fa.ltx");
            }
        }
    }

    /**
     * A past state that cannot be rebuilt for another reason than retention says so (it blamed retention for every
     * TXID it could not plan): a file missing from the middle of the chain is a gap naming the TXID and the next file.
     */
    @Test
    void aPastStateBehindAGapSaysWhichTxidIsMissing() throws Exception {
        build(300);
        try (Database db = reader(replica)) {
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(200)), clock.instant());
            db.timeTravel().beginRead(p).close();
            db.reader().cache().clear(); // the resolution verified TXID 200's file, which cached its pages
            replica.deleteFiles(List.of(new LtxFileInfo(0, 200, 200, 0, null))); // page 2's file, by hand
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThatThrownBy(() -> page2(rt)).isInstanceOf(TxidUnavailableException.class)
                        .hasMessageContaining("TXID 00000000000000c8 is behind a gap in the replica: the chain from"
                                + " TXID 1 ends at TXID 00000000000000c7 (L0/00000000000000c7-00000000000000c7.ltx),"
                                + " and no file on any level holds TXID 00000000000000c8; the next file,"
                                + " L0/00000000000000c9-00000000000000c9.ltx, starts at TXID 00000000000000c9")
                        .hasMessageContaining("put the missing file back")
                        .hasMessageNotContaining("retention");
            }
        }
    }

    /** A replica that now ends before the state's TXID (replaced by a shorter history): beyond its head. */
    @Test
    void aPastStateBeyondTheReplicasHeadSaysWhereTheReplicaEnds() throws Exception {
        build(300);
        try (Database db = reader(replica)) {
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(200)), clock.instant());
            db.timeTravel().beginRead(p).close();
            db.reader().cache().clear(); // the resolution verified TXID 200's file, which cached its pages
            List<LtxFileInfo> tail = new ArrayList<>();
            for (LtxFileInfo f : replica.listFiles(0, 151, false)) {
                tail.add(f);
            }
            replica.deleteFiles(tail);
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThatThrownBy(() -> page2(rt)).isInstanceOf(TxidUnavailableException.class)
                        .hasMessageContaining("TXID 00000000000000c8 is beyond the replica's head: its newest file is"
                                + " L0/0000000000000096-0000000000000096.ltx, ending at TXID 0000000000000096")
                        .hasMessageNotContaining("retention");
            }
        }
    }

    /**
     * The listing that says why a past state is unreachable failing (a transient S3 error) keeps the read's own error,
     * its cause and a generic detail, the listing failure suppressed: it escaped as the listing's ReplicaException,
     * losing the restore plan's error.
     */
    @Test
    void aFailingListingWhileSayingWhyAStateIsUnreachableKeepsTheReadsOwnError() throws Exception {
        build(300);
        ReplicaClient flaky = failingWhyListings(replica);
        try (Database db = reader(flaky)) {
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(200)), clock.instant());
            db.timeTravel().beginRead(p).close();
            db.reader().cache().clear(); // the resolution verified TXID 200's file, which cached its pages
            compact(101, 250);
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> page2(rt));
                assertThat(e).isInstanceOf(TxidUnavailableException.class)
                        .hasMessageContaining("TXID 00000000000000c8 is no longer on the replica")
                        .hasMessageContaining("listing the replica failed (S3 said 503 SlowDown)")
                        .hasCauseInstanceOf(RestorePlanException.class);
                assertThat(e.getSuppressed()).singleElement().isInstanceOf(ReplicaTransientException.class);
            }
        }
    }

    /** The same for a point whose plan no longer ends at its TXID when first read (the resolve-then-compact case). */
    @Test
    void aFailingListingWhileSayingWhyAPointIsUnreachableKeepsTheTimeTravelError() throws Exception {
        build(1500);
        ReplicaClient flaky = failingWhyListings(replica);
        try (Database db = reader(flaky)) {
            PointInTime p1200 = db.timeTravel().resolve(Instant.ofEpochMilli(time(1200)), clock.instant());
            compact(1001, 1400);
            Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> db.timeTravel().beginRead(p1200).close());
            assertThat(e).isInstanceOf(TimeTravelException.class).hasMessageContaining("no longer reaches")
                    .hasMessageContaining("listing the replica failed (S3 said 503 SlowDown)");
            assertThat(e.getSuppressed()).singleElement().isInstanceOf(ReplicaTransientException.class);
        }
    }

    /** Fails the listings made to classify an unreachable TXID (UnreachableTxid), not the restore plan's. */
    static ReplicaClient failingWhyListings(ReplicaClient inner) {
        return new ForwardingClient(inner) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                boolean classifying = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                        .walk(s -> s.anyMatch(f -> f.getDeclaringClass() == UnreachableTxid.class));
                if (classifying) {
                    throw new ReplicaTransientException("S3 said 503 SlowDown");
                }
                return super.listFiles(level, seek, meta);
            }
        };
    }

    /** A corrupt file in the chain that would rebuild the state is named as such. */
    @Test
    void aPastStateWhoseChainMeetsACorruptFileNamesIt() throws Exception {
        build(300);
        try (Database db = reader(replica)) {
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(200)), clock.instant());
            db.timeTravel().beginRead(p).close();
            db.reader().cache().clear(); // the resolution verified TXID 200's file, which cached its pages
            compact(101, 200);
            LtxFileInfo l1 = new LtxFileInfo(1, 101, 200, 0, null);
            byte[] bytes = replica.readRange(1, 101, 200, 0, 0);
            for (int i = Ltx.HEADER_SIZE; i < bytes.length; i++) {
                bytes[i] = (byte) 0xA5; // the header stands, the rest is garbage
            }
            replica.deleteFiles(List.of(l1));
            replica.createFile(1, 101, 200, LtxBody.of(bytes));
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThatThrownBy(() -> page2(rt)).isInstanceOf(TxidUnavailableException.class)
                        .hasMessageContaining("meets a corrupt file")
                        .hasMessageContaining("L1/0000000000000065-00000000000000c8.ltx")
                        .hasMessageNotContaining("retention");
            }
        }
    }

    /**
     * Resolving a time and reading at it lists every level once: the first read transaction plans from the
     * resolution's listing (before: ten more LIST requests, docs/request-costs.md).
     */
    @Test
    void aResolutionAndItsFirstReadListEveryLevelOnce() throws Exception {
        build(300);
        compact(2, 100);
        try (Database db = reader(counted)) {
            CountingReplicaClient.Counts before = counted.snapshot();
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(150)), clock.instant());
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThat(page2(rt)).isEqualTo(150);
            }
            assertThat(delta(before, counted.snapshot()).lists()).isEqualTo(ReplicaClient.MAX_LEVEL + 1);
        }
    }

    /** A file the resolution listed but compaction deleted before the first read: the plan is made from fresh lists. */
    @Test
    void aFileGoneBetweenResolutionAndFirstReadIsPlannedAroundFromFreshListings() throws Exception {
        build(300);
        try (Database db = reader(counted)) {
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(200)), clock.instant());
            compact(101, 200);
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThat(rt.txid()).isEqualTo(200);
                assertThat(page2(rt)).isEqualTo(200);
            }
        }
    }

    @Test
    void writeModeTravelsThroughSyncedStatesOnlyAndUnsyncedCommitsAreLatest() throws Exception {
        Kit.ManualClock wall = new Kit.ManualClock(T0);
        try (Database w = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), wall, 3).build())) {
            Kit.commitPages(w, 4096, 1, 1, 2, 10);
            w.syncOnce(wall.instant());
            wall.advance(Duration.ofSeconds(10));
            Kit.commitPages(w, 4096, 2, 20);
            w.syncOnce(wall.instant());
            byte[] synced = Kit.readAll(w);
            wall.advance(Duration.ofSeconds(10));
            Kit.commitPages(w, 4096, 2, 30); // not synced
            PointInTime first = w.timeTravel().resolve(Instant.ofEpochMilli(T0 + 5000), wall.instant());
            PointInTime now = w.timeTravel().resolve(wall.instant(), wall.instant());
            assertThat(first.txid()).isEqualTo(1);
            assertThat(now.txid()).isEqualTo(2);
            try (ReadTransaction rt = w.timeTravel().beginRead(now)) {
                byte[] all = new byte[(int) rt.sizeBytes()];
                rt.read(0, all, 0, all.length);
                assertThat(all).isEqualTo(synced);
            }
            assertThat(Kit.readAll(w)).isNotEqualTo(synced); // the latest state has the unsynced commit
            assertThat(w.timeTravel().commitTime(2)).contains(Instant.ofEpochMilli(T0 + 10_000));
            assertThat(w.timeTravel().commitTime(0)).isEmpty();
        }
    }

    /** Merges L0 files min..max into one L1 file and deletes them (what compaction plus L0 retention leave). */
    private void compact(long min, long max) throws Exception {
        List<LtxSource> inputs = new ArrayList<>();
        List<LtxFileInfo> doomed = new ArrayList<>();
        for (LtxFileInfo f : replica.listFiles(0, min, false)) {
            if (f.maxTxid() <= max) {
                inputs.add(LtxSource.ofBytes(f.toString(), replica.readRange(0, f.minTxid(), f.maxTxid(), 0, 0)));
                doomed.add(f);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxCompactor.compact(inputs, out, Ltx.HEADER_FLAG_NO_CHECKSUM);
        replica.createFile(1, min, max, LtxBody.of(out.toByteArray()));
        replica.deleteFiles(doomed);
    }

    static CountingReplicaClient.Counts delta(CountingReplicaClient.Counts a, CountingReplicaClient.Counts b) {
        return new CountingReplicaClient.Counts(b.lists() - a.lists(), b.opens() - a.opens(), b.creates() - a.creates(),
                b.deletes() - a.deletes(), b.deleteAlls() - a.deleteAlls(), b.bytesRead() - a.bytesRead(),
                b.bytesWritten() - a.bytesWritten());
    }
    /** Replaces L0 file {@code t} by its bytes with the header timestamp set to {@code millis} (checksum not fixed). */
    void changeTimestamp(long t, long millis) throws Exception {
        byte[] b = replica.readRange(0, t, t, 0, 0);
        ByteBuffer.wrap(b).putLong(32, millis);
        replica.deleteFiles(List.of(new LtxFileInfo(0, t, t, 0, null)));
        replica.createFile(0, t, t, LtxBody.of(b));
    }

    /**
     * A changed timestamp (a damaged header; the file checksum no longer matches) moved to before the time made
     * time travel land on that file's state (the replica mutation fuzzer's 1 in 24 cases). Its real commit time is
     * unknown, so a time between the states around it may be its own: refused naming it, with the restore of the
     * state before it; a time after the next state's verified one answers as usual.
     */
    @Test
    void aTimestampChangedToBeforeTheTimeIsRefusedBetweenItsNeighboursAndAnsweredAfterThem() throws Exception {
        build(6);
        changeTimestamp(3, 512); // 1970
        try (Database db = reader(replica)) {
            assertRefusedNaming(db, time(2) + 500, "L0/0000000000000003-0000000000000003.ltx",
                    "restore --txid 0000000000000002");
            assertThat(db.timeTravel().resolve(Instant.ofEpochMilli(time(1) + 500), clock.instant()).txid())
                    .isEqualTo(1);
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(4) + 500), clock.instant());
            assertThat(p.txid()).isEqualTo(4);
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThat(page2(rt)).isEqualTo(4);
            }
        }
    }

    /**
     * A page byte of TXID 3's file damaged, its timestamp intact: a time after its commit time is its state, which
     * cannot be read. Leaving the file out made the resolution answer TXID 2 without a word (the state before the
     * time's); it is refused naming the file and the restore of TXID 2, as main's read of TXID 3 was.
     */
    @Test
    void aCorruptFileIsNotSkippedForATimeAfterItsCommitTime() throws Exception {
        build(6);
        damage(0, 3, 3);
        try (Database db = reader(replica)) {
            assertRefusedNaming(db, time(3) + 500, "L0/0000000000000003-0000000000000003.ltx",
                    "restore --txid 0000000000000002");
            assertRefusedNaming(db, time(2), "L0/0000000000000003-0000000000000003.ltx",
                    "restore --txid 0000000000000002");
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(4)), clock.instant());
            assertThat(p.txid()).isEqualTo(4); // at the next state's verified time: TXID 3 was before it
            assertThat(db.timeTravel().resolve(Instant.ofEpochMilli(time(1) + 999), clock.instant()).txid())
                    .isEqualTo(1);
        }
    }

    /**
     * L0 3-3 and 4-4 compacted into L1 3-4, the L0 files kept, L0 4-4 damaged: TXID 4's state is still readable
     * through L1 3-4, so a time after TXID 4 answers it (before: TXID 3, since the point's lowest-level file was
     * the only one verified).
     */
    @Test
    void aPointWhoseLowLevelFileIsCorruptIsReachedThroughAnIntactCompactedFile() throws Exception {
        build(6);
        compactKeeping(3, 4);
        damage(0, 4, 4);
        try (Database db = reader(replica)) {
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(4) + 500), clock.instant());
            assertThat(p.txid()).isEqualTo(4);
            assertThat(p.commitTime()).isEqualTo(Instant.ofEpochMilli(time(4)));
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThat(page2(rt)).isEqualTo(4);
            }
        }
    }

    /** Every point's file corrupt: the refusal names the files. */
    @Test
    void whenEveryPointsFileIsCorruptTheRefusalNamesThem() throws Exception {
        build(2);
        damage(0, 1, 1);
        damage(0, 2, 2);
        try (Database db = reader(replica)) {
            assertThatThrownBy(() -> db.timeTravel().resolve(Instant.ofEpochMilli(time(2)), clock.instant()))
                    .isInstanceOf(TimeTravelException.class).hasMessageContaining("every file that ends one is corrupt")
                    .hasMessageContaining("L0/0000000000000001-0000000000000001.ltx")
                    .hasMessageContaining("L0/0000000000000002-0000000000000002.ltx");
        }
    }

    /**
     * The resolution verifies the answer's file and the next point's; only the answer's pages are about to be read,
     * so only they go into the shared page cache (the next point's filled it with pages nobody asked for).
     */
    @Test
    void onlyTheAnswersPagesWarmTheCache() throws Exception {
        build(6);
        try (Database db = reader(replica)) {
            db.reader().cache().clear();
            assertThat(db.timeTravel().resolve(Instant.ofEpochMilli(time(3) + 500), clock.instant()).txid())
                    .isEqualTo(3);
            assertThat(db.reader().cache().entries()).as("cached pages: page 2 of TXID 3's file").isEqualTo(1);
        }
    }

    private void assertRefusedNaming(Database db, long millis, String... parts) {
        Throwable e = org.assertj.core.api.Assertions.catchThrowable(
                () -> db.timeTravel().resolve(Instant.ofEpochMilli(millis), clock.instant()));
        assertThat(e).as("time travel to " + Instant.ofEpochMilli(millis))
                .isInstanceOf(dev.ltx4j.pagestore.replica.ReplicaFileCorruptException.class);
        for (String part : parts) {
            assertThat(e).hasMessageContaining(part);
        }
    }

    /** Flips one byte of a page frame of a file (its header intact). */
    void damage(int level, long min, long max) throws Exception {
        byte[] b = replica.readRange(level, min, max, 0, 0);
        b[Ltx.HEADER_SIZE + 12] ^= 0x10; // in the first frame's compressed page (its size field is at +6)
        replica.deleteFiles(List.of(new LtxFileInfo(level, min, max, 0, null)));
        replica.createFile(level, min, max, LtxBody.of(b));
    }

    /** Compacts L0 {@code min..max} into one L1 file, keeping the L0 files (as before the compactor's cleanup). */
    private void compactKeeping(long min, long max) throws Exception {
        List<LtxSource> inputs = new ArrayList<>();
        for (LtxFileInfo f : replica.listFiles(0, min, false)) {
            if (f.maxTxid() <= max) {
                inputs.add(LtxSource.ofBytes(f.toString(), replica.readRange(0, f.minTxid(), f.maxTxid(), 0, 0)));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxCompactor.compact(inputs, out, Ltx.HEADER_FLAG_NO_CHECKSUM);
        replica.createFile(1, min, max, LtxBody.of(out.toByteArray()));
    }

    /**
     * A timestamp changed to after the time steered the search past the state at the time (TXID 3's file claims to be
     * newer than TXID 4's, so a time just after TXID 4 resolved to TXID 2, a real but older state): the file that
     * decided it fails its verification, and the state at the time is answered from verified times.
     */
    @Test
    void aTimestampChangedToAfterTheTimeDoesNotHideTheStateAtIt() throws Exception {
        build(6);
        changeTimestamp(3, time(5) + 100);
        try (Database db = reader(replica)) {
            PointInTime p = db.timeTravel().resolve(Instant.ofEpochMilli(time(4) + 500), clock.instant());
            assertThat(p.txid()).isEqualTo(4);
            try (ReadTransaction rt = db.timeTravel().beginRead(p)) {
                assertThat(page2(rt)).isEqualTo(4);
            }
        }
    }
}
