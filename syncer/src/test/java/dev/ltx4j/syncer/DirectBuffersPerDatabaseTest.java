package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.DirectMemoryException;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.WriteTransaction;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet's JVM with many write-mode databases open, each committing now and then and synced: the direct buffers
 * they hold between syncs. Each used to keep its own (1 MiB commit staging, 1 MiB rewrite copy, a 256 KiB read window,
 * the upload's 256 KiB spool chunks: about 2.5 MiB), so some hundred idle databases used up -XX:MaxDirectMemorySize
 * (docs/field-probes.md, round 6 and 7); since session 14 the staging starts at 64 KiB and grows with the largest
 * transaction (bench/README.md, "Commit staging"). Counted through the allocations ltx4j makes (not the JVM's pool,
 * which other tests in this JVM share).
 */
class DirectBuffersPerDatabaseTest {
    static final int PS = 4096;
    static final int DATABASES = 24;

    @TempDir
    Path tmp;

    @Test
    void idleDatabasesHoldLittleDirectMemoryBetweenSyncs() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        List<Database> open = new ArrayList<>();
        try {
            // one first, so buffers shared by the process (and classes) exist before the count starts
            open.add(openAndUse(0, clock));
            long before = DirectMemoryException.allocatedBytes();
            for (int i = 1; i <= DATABASES; i++) {
                open.add(openAndUse(i, clock));
            }
            long perDatabase = (DirectMemoryException.allocatedBytes() - before) / DATABASES;
            // the commit staging's first size (1 MiB, the whole stagingBytes, before session 14); the sync's and
            // rewrite's buffers are shared
            assertThat(perDatabase).as("direct bytes allocated per database").isLessThanOrEqualTo(64 * 1024 + 8 * 1024);
        } finally {
            for (Database db : open) {
                db.close();
            }
        }
    }

    /**
     * The staging grows up to stagingBytes by moving what is staged, not by writing part of a transaction: one that
     * fits is written once, at its commit, however small the staging started (unless the JVM refuses the memory to
     * grow: pagestore's StagingGrowthRefusedTest).
     */
    @Test
    void aTransactionThatFitsTheStagingIsWrittenOnceWhileTheStagingGrows() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer buf = WriteBuffer.open(storage, "b", WriteBufferOptions.builder().pageSize(PS)
                .stagingBytes(4 << 20).durability(Durability.NONE).build())) {
            long allocated = DirectMemoryException.allocatedBytes();
            long mutations = storage.mutationCount();
            SplittableRandom random = new SplittableRandom(14);
            try (WriteTransaction tx = buf.begin()) {
                for (int p = 1; p <= 600; p++) { // ~2.4 MiB of incompressible pages: past every size below 4 MiB
                    byte[] page = new byte[PS];
                    random.nextBytes(page);
                    tx.writePage(p, page);
                }
                tx.commit(600);
            }
            assertThat(storage.mutationCount() - mutations).as("writes of the transaction").isEqualTo(1);
            assertThat(DirectMemoryException.allocatedBytes() - allocated).as("the staging grew")
                    .isGreaterThanOrEqualTo(2L << 20);
        }
    }

    @Test
    void aTransactionLargerThanTheStagingIsFlushedMidWayAndItsPagesReadBack() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        try (Database db = Database.open(new InMemoryReplicaClient(), "big.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("conflicts-big"), clock, 3).build())) {
            int[] pages = new int[2 * 600]; // 600 pages of 4 KiB: past the default staging (1 MiB)
            for (int p = 1; p <= 600; p++) {
                pages[2 * (p - 1)] = p;
                pages[2 * (p - 1) + 1] = p % 251;
            }
            commitPages(db, PS, pages);
            commitPages(db, PS, 1, 7);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            byte[] all = Kit.readAll(db);
            assertThat(java.util.Arrays.copyOfRange(all, 599 * PS, 600 * PS)).isEqualTo(Kit.page(PS, 600 % 251));
            assertThat(java.util.Arrays.copyOfRange(all, 0, PS)).isEqualTo(Kit.page1(PS, 7));
        }
    }

    private Database openAndUse(int i, Kit.ManualClock clock) throws Exception {
        Database db = Database.open(new InMemoryReplicaClient(), "app" + i + ".db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("conflicts" + i), clock, 7 + i).build());
        commitPages(db, PS, 1, 1, 2, 2);
        commitPages(db, PS, 2, 3);
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        commitPages(db, PS, 3, 4); // pending again: the next sync's work
        return db;
    }
}
