package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.replica.HydrationFaults;
import dev.ltx4j.pagestore.replica.HydrationSidecar;
import dev.ltx4j.pagestore.replica.HydrationStatus;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hydration end to end at the engine level (docs/hydration.md): completion, serving, pins, restarts, tampering. */
class HydrationTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();
    CountingReplicaClient counting;
    Database writer;
    Path hydrated;

    @BeforeEach
    void setUp() throws Exception {
        counting = new CountingReplicaClient(replica);
        hydrated = tmp.resolve("h").resolve("app.hydrated");
        writer = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 5)
                .build());
        // Three syncs: a 40-page snapshot, then two small changes.
        int[] all = new int[80];
        for (int p = 1; p <= 40; p++) {
            all[2 * p - 2] = p;
            all[2 * p - 1] = p;
        }
        Kit.commitPages(writer, PS, all);
        writer.syncOnce(clock.instant());
        Kit.commitPages(writer, PS, 2, 50, 41, 51);
        writer.syncOnce(clock.instant());
        Kit.commitPages(writer, PS, 3, 60);
        writer.syncOnce(clock.instant());
    }

    @AfterEach
    void tearDown() throws Exception {
        writer.close();
    }

    Database reader(HydrationFaults faults) throws Exception {
        return Database.open(counting, "app.db", Kit.reader(clock).cacheBytes(0)
                .hydration(HydrationOptions.hydrated(hydrated)).hydrationFaults(faults).build());
    }

    long opens() {
        return counting.snapshot().opens();
    }

    @Test
    void hydrationCompletesThenServesEveryReadWithoutRequests() throws Exception {
        try (Database r = reader(HydrationFaults.NONE)) {
            assertThat(r.hydrationStatus().state()).isEqualTo("starting");
            byte[] during = Kit.readAll(r); // reads work before hydration (from the replica)
            HydrationStatus s = r.hydrateOnce(clock.instant());
            assertThat(s.state()).isEqualTo("ready");
            assertThat(s.txid()).isEqualTo(r.current().txid()).isEqualTo(3);
            assertThat(s.bytesDone()).isEqualTo(s.bytesTotal()).isPositive();
            byte[] restored = Kit.restore(replica, 0, tmp);
            assertThat(Files.readAllBytes(hydrated)).isEqualTo(restored);
            assertThat(Files.exists(HydrationSidecar.of(hydrated))).isTrue();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hydrated))).isEqualTo("rw-------");
            long before = counting.snapshot().requests();
            assertThat(Kit.readAll(r)).isEqualTo(restored).isEqualTo(during);
            assertThat(counting.snapshot().requests()).as("all pages from the hydrated file").isEqualTo(before);
            assertThat(r.hydrationStatus().pagesServed()).isGreaterThanOrEqualTo(41);
        }
    }

    @Test
    void newFilesAreAppliedWholeAndAPinnedOlderVersionNeverSeesThem() throws Exception {
        pinnedVersionKeepsItsPages(HydrationFaults.NONE, true);
    }

    @Test
    void theIgnorePinnedVersionBugSwitchServesANewerImageToAnOldPin() throws Exception {
        HydrationFaults bug = new HydrationFaults() {
            @Override
            public boolean ignorePinnedVersion() {
                return true;
            }
        };
        pinnedVersionKeepsItsPages(bug, false);
    }

    private void pinnedVersionKeepsItsPages(HydrationFaults faults, boolean correct) throws Exception {
        try (Database r = reader(faults)) {
            r.hydrateOnce(clock.instant());
            byte[] old = Kit.readAll(r);
            ReadTransaction pinned = r.beginRead();
            Kit.commitPages(writer, PS, 2, 70, 45, 71);
            writer.syncOnce(clock.instant());
            r.pollOnce(clock.instant());
            HydrationStatus s = r.hydrateOnce(clock.instant());
            assertThat(s.state()).isEqualTo("ready");
            assertThat(s.txid()).isEqualTo(4);
            // The poll reads the small new file whole; hydration applies those bytes (before: a second download).
            assertThat(counting.opensOf(0, 4, 4)).as("one whole-file download for the new file").isEqualTo(1);
            assertThat(Files.readAllBytes(hydrated)).isEqualTo(Kit.restore(replica, 0, tmp));
            byte[] seen = new byte[old.length];
            pinned.read(0, seen, 0, seen.length);
            pinned.close();
            if (correct) {
                assertThat(seen).as("the pin reads its own version").isEqualTo(old);
            } else {
                assertThat(seen).as("the bug serves the newer page 2").isNotEqualTo(old);
            }
            assertThat(Kit.readAll(r)).isEqualTo(Kit.restore(replica, 0, tmp));
        }
    }

    @Test
    void aRestartReusesTheFileWithoutDownloadingItAndCatchesUpWithWhatChangedMeanwhile() throws Exception {
        try (Database r = reader(HydrationFaults.NONE)) {
            r.hydrateOnce(clock.instant());
        }
        long fileBytes = sizes();
        Kit.commitPages(writer, PS, 5, 80);
        writer.syncOnce(clock.instant());
        try (Database r = reader(HydrationFaults.NONE)) {
            CountingReplicaClient.Counts before = counting.snapshot();
            HydrationStatus s = r.hydrateOnce(clock.instant());
            CountingReplicaClient.Counts after = counting.snapshot();
            assertThat(s.state()).isEqualTo("ready");
            assertThat(s.resumed()).isTrue();
            assertThat(s.rebuilds()).isZero();
            assertThat(s.txid()).isEqualTo(4);
            assertThat(s.filesApplied()).as("only the file synced while it was down").isEqualTo(1);
            assertThat(after.bytesRead() - before.bytesRead()).as("not the whole replica again")
                    .isLessThan(fileBytes / 2);
            assertThat(Files.readAllBytes(hydrated)).isEqualTo(Kit.restore(replica, 0, tmp));
        }
    }

    @Test
    void aTamperedFileIsRebuilt() throws Exception {
        try (Database r = reader(HydrationFaults.NONE)) {
            r.hydrateOnce(clock.instant());
        }
        byte[] b = Files.readAllBytes(hydrated);
        b[PS * 7 + 100] ^= 1;
        Files.write(hydrated, b);
        try (Database r = reader(HydrationFaults.NONE)) {
            HydrationStatus s = r.hydrateOnce(clock.instant());
            assertThat(s.rebuilds()).isEqualTo(1);
            assertThat(s.resumed()).isFalse();
            assertThat(s.state()).isEqualTo("ready");
            assertThat(Files.readAllBytes(hydrated)).isEqualTo(Kit.restore(replica, 0, tmp));
            assertThat(Kit.readAll(r)).isEqualTo(Kit.restore(replica, 0, tmp));
        }
    }

    @Test
    void theTrustSidecarBugSwitchServesATamperedFile() throws Exception {
        HydrationFaults bug = new HydrationFaults() {
            @Override
            public boolean trustSidecar() {
                return true;
            }
        };
        try (Database r = reader(bug)) {
            r.hydrateOnce(clock.instant());
        }
        byte[] b = Files.readAllBytes(hydrated);
        b[PS * 7 + 100] ^= 1;
        Files.write(hydrated, b);
        try (Database r = reader(bug)) {
            r.hydrateOnce(clock.instant());
            assertThat(Kit.readAll(r)).isNotEqualTo(Kit.restore(replica, 0, tmp));
        }
    }

    @Test
    void aCorruptSidecarOrACrashMidUpdateRebuilds() throws Exception {
        try (Database r = reader(HydrationFaults.NONE)) {
            r.hydrateOnce(clock.instant());
        }
        Path sc = HydrationSidecar.of(hydrated);
        String text = Files.readString(sc);
        Files.writeString(sc, text.replace("txid=3", "txid=2"));
        try (Database r = reader(HydrationFaults.NONE)) {
            HydrationStatus s = r.hydrateOnce(clock.instant());
            assertThat(s.rebuilds()).isEqualTo(1);
            assertThat(Files.readAllBytes(hydrated)).isEqualTo(Kit.restore(replica, 0, tmp));
        }
        // A crash after the first page written of an update: no sidecar, so the next open rebuilds.
        Kit.commitPages(writer, PS, 6, 90);
        writer.syncOnce(clock.instant());
        HydrationFaults crash = new HydrationFaults() {
            @Override
            public void at(Point point) throws java.io.IOException {
                if (point == Point.AFTER_PAGE_WRITE) {
                    throw new java.io.IOException("simulated crash");
                }
            }
        };
        try (Database r = reader(crash)) {
            assertThat(r.hydrateOnce(clock.instant()).state()).isEqualTo("failed");
            assertThat(Files.exists(sc)).isFalse();
            assertThat(Kit.readAll(r)).as("reads still right").isEqualTo(Kit.restore(replica, 0, tmp));
        }
        try (Database r = reader(HydrationFaults.NONE)) {
            HydrationStatus s = r.hydrateOnce(clock.instant());
            assertThat(s.state()).isEqualTo("ready");
            assertThat(Files.readAllBytes(hydrated)).isEqualTo(Kit.restore(replica, 0, tmp));
        }
    }

    @Test
    void filesDeletedUnderneathByCompactionAreResolvedThroughWhatExists() throws Exception {
        try (Database r = reader(HydrationFaults.NONE)) {
            // Compaction elsewhere before hydration starts: one snapshot with the same state, the L0 files gone.
            byte[] restored = Kit.restore(replica, 0, tmp);
            snapshotOf(restored, 3);
            replica.deleteFiles(replica.listFiles(0, 0, false));
            HydrationStatus s = r.hydrateOnce(clock.instant());
            assertThat(s.state()).as(String.valueOf(s.lastError())).isEqualTo("ready");
            assertThat(Files.readAllBytes(hydrated)).isEqualTo(restored);
            long before = counting.snapshot().requests();
            assertThat(Kit.readAll(r)).isEqualTo(restored);
            assertThat(counting.snapshot().requests()).isEqualTo(before);
        }
    }

    @Test
    void aWriterHydratesWhatItSynced() throws Exception {
        Path own = tmp.resolve("w").resolve("own.hydrated");
        InMemoryReplicaClient replica = new InMemoryReplicaClient();
        try (Database w = Database.open(replica, "other.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c2"),
                clock, 9).hydration(HydrationOptions.hydrated(own)).build())) {
            Kit.commitPages(w, PS, 1, 1, 2, 2, 3, 3);
            assertThat(w.hydrateOnce(clock.instant()).txid()).as("nothing synced yet").isZero();
            w.syncOnce(clock.instant());
            Kit.commitPages(w, PS, 2, 9);
            HydrationStatus s = w.hydrateOnce(clock.instant());
            assertThat(s.state()).as(String.valueOf(s.lastError())).isEqualTo("ready");
            assertThat(s.txid()).isEqualTo(1);
            assertThat(Files.readAllBytes(own)).isEqualTo(Kit.restore(replica, 0, tmp));
            w.syncOnce(clock.instant());
            assertThat(w.hydrateOnce(clock.instant()).txid()).isEqualTo(2);
            assertThat(Files.readAllBytes(own)).isEqualTo(Kit.restore(replica, 0, tmp)).isEqualTo(Kit.readAll(w));
        }
    }

    @Test
    void aReplicaReplacedByAShorterHistoryIsHydratedAgainNotWaitedFor() throws Exception {
        try (Database r = reader(HydrationFaults.NONE)) {
            assertThat(r.hydrateOnce(clock.instant()).txid()).isEqualTo(3);
            writer.close();
            for (int level = 0; level <= 9; level++) {
                replica.deleteFiles(replica.listFiles(level, 0, false));
            }
            // Another database at TXID 1 only: the follower reloads it as a new lineage.
            writer = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c3"), clock, 11)
                    .build());
            Kit.commitPages(writer, PS, 1, 21, 2, 22);
            writer.syncOnce(clock.instant());
            r.pollOnce(clock.instant());
            r.pollOnce(clock.instant());
            assertThat(r.current().txid()).isEqualTo(1);
            HydrationStatus s = r.hydrateOnce(clock.instant());
            assertThat(s.state()).as(String.valueOf(s.lastError())).isEqualTo("ready");
            assertThat(s.txid()).isEqualTo(1);
            assertThat(Files.readAllBytes(hydrated)).isEqualTo(Kit.restore(replica, 0, tmp));
            assertThat(Kit.readAll(r)).isEqualTo(Kit.restore(replica, 0, tmp));
        }
    }

    private void snapshotOf(byte[] db, long txid) throws Exception {
        long pages = db.length / PS;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        dev.ltx4j.ltx.LtxEncoder enc = new dev.ltx4j.ltx.LtxEncoder(out, dev.ltx4j.ltx.LtxHeader.of(
                dev.ltx4j.ltx.Ltx.HEADER_FLAG_NO_CHECKSUM, PS, pages, 1, txid, 1_600_000_000_000L, 0));
        for (long p = 1; p <= pages; p++) {
            enc.writePage(p, java.util.Arrays.copyOfRange(db, (int) ((p - 1) * PS), (int) (p * PS)), 0);
        }
        enc.finish(0);
        byte[] bytes = out.toByteArray();
        replica.createFile(9, 1, txid, dev.ltx4j.replica.LtxBody.of(bytes));
    }

    private long sizes() throws Exception {
        long n = 0;
        for (int level = 0; level <= 9; level++) {
            for (LtxFileInfo f : replica.listFiles(level, 0, false)) {
                n += f.size();
            }
        }
        return n;
    }
}
