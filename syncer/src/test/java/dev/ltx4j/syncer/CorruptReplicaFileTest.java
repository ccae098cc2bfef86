package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.PageIndex;
import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.pagestore.replica.ReplicaFileCorruptException;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bit flipped at rest inside a page frame of a replica file: no read path serves the damaged page (read mode,
 * write mode's own reads, and the sync's checksum delta), the error names the file, and nothing is built on it.
 */
class CorruptReplicaFileTest {
    static final int PS = 4096;
    static final int PAGES = 40;
    static final String SNAPSHOT = "L0/0000000000000001-0000000000000001.ltx";

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    /** Incompressible pages, so a flipped bit lands in LZ4 literals and still decodes (to wrong bytes). */
    static byte[] randomPage(long pgno) {
        if (pgno == 1) {
            return Kit.page1(PS, 1);
        }
        byte[] p = new byte[PS];
        new SplittableRandom(pgno * 7919).nextBytes(p);
        return p;
    }

    /** A writer creates a 40-page database (snapshot at TXID 1) and closes. */
    void createReplica() throws Exception {
        try (Database w = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 5).build())) {
            try (WriteSession s = w.beginWrite()) {
                for (long p = 1; p <= PAGES; p++) {
                    s.write((p - 1) * PS, randomPage(p), 0, PS);
                }
                s.commit();
            }
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        }
    }

    /** Flips one bit in the middle of page {@code pgno}'s frame of L0 file 1; returns the file's bytes before. */
    byte[] flipBitInFrameOf(long pgno) throws Exception {
        byte[] bytes = replica.readRange(0, 1, 1, 0, 0);
        PageIndex idx = PageIndex.read((off, len) -> java.util.Arrays.copyOfRange(bytes, (int) off,
                (int) (off + len)), bytes.length, "snapshot");
        int i = idx.find(pgno);
        byte[] bad = bytes.clone();
        bad[(int) (idx.offset(i) + idx.frameSize(i) / 2)] ^= 0x10;
        replica.bucket().putRaw(replica.levelKey(0) + new TxidRange(1, 1).filename(), bad);
        return bytes;
    }

    static byte[] pageOf(byte[] db, long pgno) {
        return java.util.Arrays.copyOfRange(db, (int) ((pgno - 1) * PS), (int) (pgno * PS));
    }

    @Test
    void readModeFailsNamingTheCorruptFileInsteadOfServingAnotherPage() throws Exception {
        createReplica();
        flipBitInFrameOf(20);
        CapturedLogs.clear();
        try (Database f = Database.open(replica, "app.db", Kit.reader(clock).build())) {
            ReplicaFileCorruptException e = catchThrowableOfType(ReplicaFileCorruptException.class, () -> {
                try (ReadTransaction r = f.beginRead()) {
                    byte[] page = new byte[PS];
                    r.read(19L * PS, page, 0, PS);
                }
            });
            assertThat(e).as("page 20 of a damaged file must not be served").isNotNull();
            assertThat(e.file().name()).isEqualTo(SNAPSHOT);
            assertThat(e.getMessage()).contains(SNAPSHOT).contains("corrupt").contains("checksum");
            // Every page of the file is refused, not only the damaged one, and the failure is remembered.
            ReplicaFileCorruptException again = catchThrowableOfType(ReplicaFileCorruptException.class,
                    () -> readAll(f));
            assertThat(again).isNotNull();
            assertThat(again.getMessage()).contains(SNAPSHOT);
            String status = f.status().toJson();
            assertThat(status).contains("\"failure_count\":1").contains(SNAPSHOT);
            // Logged at warn once, naming the file, although both reads failed on it.
            assertThat(CapturedLogs.lines()).filteredOn(l -> l.startsWith("WARN dev.ltx4j.pagestore.replica.FileVerifier"))
                    .singleElement().asString().contains(SNAPSHOT, "is corrupt");
        }
    }

    @Test
    void writeModeNeverBuildsOnAPageOfTheCorruptFileAndUploadsNothing() throws Exception {
        createReplica();
        flipBitInFrameOf(20);
        try (Database w = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c2"), clock, 6).closeTimeout(Duration.ZERO).build())) {
            // An update SQLite would make: read the page, change a few bytes.
            try (WriteSession s = w.beginWrite()) {
                byte[] page = new byte[PS];
                assertThat(catchThrowableOfType(ReplicaFileCorruptException.class,
                        () -> s.read(19L * PS, page, 0, PS))).isNotNull();
                assertThat(catchThrowableOfType(ReplicaFileCorruptException.class,
                        () -> s.write(19L * PS + 100, new byte[] {1, 2, 3}, 0, 3))).isNotNull();
            }
            // A whole-page overwrite needs no read, but the sync's checksum delta needs the old image.
            try (WriteSession s = w.beginWrite()) {
                s.write(19L * PS, randomPage(99), 0, PS);
                s.commit();
            }
            SyncOutcome o = w.syncOnce(clock.instant());
            assertThat(o.status()).isEqualTo(SyncOutcome.Status.FAILED);
            assertThat(o.error()).isInstanceOf(ReplicaFileCorruptException.class);
            assertThat(o.error().getMessage()).contains(SNAPSHOT);
            assertThat(w.status().lastError()).contains(SNAPSHOT);
            List<LtxFileInfo> files = replica.listFiles(0, 0, false);
            assertThat(files).as("nothing may be uploaded on top of an unverifiable page").hasSize(1);
            // Closing keeps the commit in the buffer (its sync cannot be built) rather than upload it.
            assertThat(catchThrowableOfType(SyncFailedException.class, w::close)).isNotNull();
        }
        assertThat(replica.listFiles(0, 0, false)).hasSize(1);
    }

    @Test
    void cleanReplicaReadsCorrectlyAndCountsWhatWasVerified() throws Exception {
        createReplica();
        CountingReplicaClient counting = new CountingReplicaClient(replica);
        long size = replica.listFiles(0, 0, false).get(0).size();
        try (Database f = Database.open(counting, "app.db", Kit.reader(clock).build())) {
            long before = counting.snapshot().requests();
            byte[] all = readAll(f);
            for (long p = 1; p <= PAGES; p++) {
                assertThat(pageOf(all, p)).as("page %d", p).isEqualTo(randomPage(p));
            }
            // One streaming read verified the file and warmed the cache: the scan needs no ranged reads.
            assertThat(counting.snapshot().requests() - before).isEqualTo(1);
            assertThat(f.status().toJson()).contains("\"files_verified\":1").contains("\"bytes_verified\":" + size)
                    .contains("\"failure_count\":0");
        }
        assertThat(restore(replica, 0, tmp)).isEqualTo(readAllPages());
    }

    private static byte[] readAllPages() {
        byte[] out = new byte[PAGES * PS];
        for (long p = 1; p <= PAGES; p++) {
            System.arraycopy(randomPage(p), 0, out, (int) ((p - 1) * PS), PS);
        }
        return out;
    }

    @Test
    void bytesThatChangeAfterVerificationAreCaughtOnTheNextRangedRead() throws Exception {
        createReplica();
        try (Database f = Database.open(replica, "app.db", Kit.reader(clock).build())) {
            assertThat(pageOf(readAll(f), 20)).isEqualTo(randomPage(20));
            flipBitInFrameOf(20);
            f.reader().cache().clear();
            ReplicaFileCorruptException e = catchThrowableOfType(ReplicaFileCorruptException.class, () -> readAll(f));
            assertThat(e).isNotNull();
            assertThat(e.getMessage()).contains(SNAPSHOT).contains("changed after verification");
        }
    }

    @Test
    void ownUploadsAreVerifiedByConstructionAndReadWithoutADownload() throws Exception {
        CountingReplicaClient counting = new CountingReplicaClient(replica);
        try (Database w = Database.open(counting, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c3"), clock, 7).cacheBytes(0).build())) {
            Kit.commitPages(w, PS, 1, 1, 2, 2, 3, 3);
            w.syncOnce(clock.instant());
            long before = counting.snapshot().requests();
            Kit.readAll(w);
            // Three ranged page reads (no cache), no whole-file download: the engine built that file.
            assertThat(counting.snapshot().requests() - before).isEqualTo(3);
            assertThat(w.status().toJson()).contains("\"files_by_construction\":1").contains("\"files_verified\":0");
        }
    }

    @Test
    void refreshForgetsTheFailureSoARepairedFileIsReadAgain() throws Exception {
        createReplica();
        byte[] good = flipBitInFrameOf(20);
        try (Database f = Database.open(replica, "app.db", Kit.reader(clock).build())) {
            assertThat(catchThrowableOfType(ReplicaFileCorruptException.class, () -> readAll(f))).isNotNull();
            replica.bucket().putRaw(replica.levelKey(0) + new TxidRange(1, 1).filename(), good);
            assertThat(catchThrowableOfType(ReplicaFileCorruptException.class, () -> readAll(f)))
                    .as("the failure is remembered until refresh").isNotNull();
            f.refresh();
            assertThat(pageOf(readAll(f), 20)).isEqualTo(randomPage(20));
        }
    }

    @Test
    void filesWrittenByTheReferenceEncoderVerify() throws Exception {
        // The reference encoder's vectors, as the codec's tests carry them (tests run in the module directory).
        Path vectors = Path.of("..", "ltx-format", "src", "test", "resources", "vectors");
        assertThat(vectors.resolve("V2.ltx")).as("reference vectors").isRegularFile();
        // V2: snapshot 1024, commit 2, page 1 = '2' x 1024, page 2 = '3' x 1024; V6: one incompressible page.
        for (String name : new String[] {"V2.ltx", "V6.ltx", "C2.ltx", "L1.ltx"}) {
            InMemoryReplicaClient r = new InMemoryReplicaClient();
            byte[] bytes = Files.readAllBytes(vectors.resolve(name));
            dev.ltx4j.ltx.LtxHeader h = dev.ltx4j.ltx.LtxHeader.parse(bytes, name);
            r.createFile(0, h.minTxid(), h.maxTxid(), LtxBody.of(bytes));
            byte[] want = Kit.restore(r, 0, tmp);
            try (Database f = Database.open(r, "v.db", Kit.reader(clock).build())) {
                assertThat(readAll(f)).as(name).isEqualTo(want);
                assertThat(f.status().toJson()).as(name).contains("\"files_verified\":1")
                        .contains("\"failure_count\":0");
            }
        }
    }

    static void ignore(IOException e) {
    }
}
