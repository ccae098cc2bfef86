package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.NAME;
import static dev.ltx4j.pagestore.TestSupport.page;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage.CrashPolicy;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A write that finds the disk full fails its transaction only: the partial records are cut off (durably) before
 * anything else is appended, the buffer works on, and nothing committed before is lost. A failed fsync, by
 * contrast, stops the buffer for good (until reopen), saying why.
 */
class FullDiskTest {
    private static final int PS = 512;
    private static final int RECORD = 12 + PS;

    private static WriteBufferOptions options(Durability durability, BufferFaults faults) {
        return WriteBufferOptions.builder().pageSize(PS).durability(durability).random(() -> new Random(5))
                .stagingBytes(2 * RECORD).faults(faults).build();
    }

    /** The next write to the buffer lands only {@code room} bytes, then the disk is full; later writes land. */
    private static void fullOnce(MemoryLogStorage storage, int room) {
        boolean[] fired = {false};
        storage.setFullDisk((file, length) -> {
            if (fired[0] || !file.equals(NAME)) {
                return -1;
            }
            fired[0] = true;
            return Math.min(room, length - 1);
        });
    }

    private static long commit(WriteBuffer b, int pgno, int fill) throws Exception {
        try (WriteTransaction tx = b.begin()) {
            tx.writePage(pgno, page(PS, fill));
            return tx.commit(Math.max(b.commitSize(), pgno));
        }
    }

    @Test
    void aFullDiskAtCommitFailsThatCommitOnlyAndTheNextCommitSucceeds() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(Durability.LOCAL, BufferFaults.NONE))) {
            assertThat(commit(b, 1, 1)).isEqualTo(1);
            long end = storage.contents(NAME).length;
            fullOnce(storage, RECORD + 100); // one whole page record and part of the next land
            assertThatThrownBy(() -> {
                try (WriteTransaction tx = b.begin()) {
                    tx.writePage(2, page(PS, 2));
                    tx.writePage(3, page(PS, 3));
                    tx.commit(3);
                }
            }).isInstanceOf(BufferFullException.class).hasMessageContaining("no space left")
                    .hasMessageContaining(storage.describe(NAME));
            assertThat(b.failureMessage()).as("the buffer did not stop").isNull();
            assertThat(b.fullDiskMessage()).contains("no space left").contains(storage.describe(NAME));
            assertThat(storage.contents(NAME)).as("the partial records are cut off").hasSize((int) end);
            assertThat(b.lastCommittedSeq()).isEqualTo(1);
            assertThat(b.commitSize()).isEqualTo(1);
            // Space is back: the next commit succeeds without a reopen and continues the sequence.
            assertThat(commit(b, 2, 4)).isEqualTo(2);
            assertThat(b.fullDiskMessage()).isNull();
            byte[] dst = new byte[PS];
            assertThat(b.readPage(2, dst)).isTrue();
            assertThat(dst).isEqualTo(page(PS, 4));
            assertThat(b.readPage(3, dst)).isFalse();
        }
        // Everything acknowledged survives a crash, and the log has no torn record before the second commit.
        storage.crash(CrashPolicy.loseAllUnforced());
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(Durability.LOCAL, BufferFaults.NONE))) {
            assertThat(b.lastCommittedSeq()).isEqualTo(2);
            assertThat(b.recovery().truncatedBytes()).isZero();
            byte[] dst = new byte[PS];
            assertThat(b.readPage(1, dst)).isTrue();
            assertThat(dst).isEqualTo(page(PS, 1));
            assertThat(b.readPage(2, dst)).isTrue();
            assertThat(dst).isEqualTo(page(PS, 4));
        }
    }

    @Test
    void aFullDiskInsideATransactionKillsItRollbackWorksAndTheNextTransactionCommits() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(Durability.LOCAL, BufferFaults.NONE))) {
            commit(b, 1, 1);
            fullOnce(storage, 10);
            WriteTransaction tx = b.begin();
            tx.writePage(2, page(PS, 2));
            // The staging area (two uncompressed records' worth) fills after some compressed records: the page that
            // spills it finds the disk full.
            assertThatThrownBy(() -> {
                for (int p = 3; p < 10_000; p++) {
                    tx.writePage(p, page(PS, p));
                }
            }).isInstanceOf(BufferFullException.class);
            // The transaction is dead: its records are gone, so it can only be rolled back.
            assertThatThrownBy(() -> tx.writePage(5, page(PS, 5))).isInstanceOf(BufferFullException.class);
            assertThatThrownBy(() -> tx.readPage(2, new byte[PS])).isInstanceOf(BufferFullException.class);
            tx.rollback();
            assertThat(commit(b, 6, 6)).isEqualTo(2);
            assertThat(b.commitSize()).isEqualTo(6);
        }
        storage.crash(CrashPolicy.loseAllUnforced());
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(Durability.LOCAL, BufferFaults.NONE))) {
            assertThat(b.lastCommittedSeq()).isEqualTo(2);
            byte[] dst = new byte[PS];
            assertThat(b.readPage(6, dst)).isTrue();
            assertThat(dst).isEqualTo(page(PS, 6));
        }
    }

    @Test
    void theCutIsForcedBeforeAnythingElseIsAppended() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        WriteBuffer b0 = WriteBuffer.open(storage, NAME, options(Durability.NONE, BufferFaults.NONE));
        commit(b0, 1, 1); // durability none: not forced by the commit
        fullOnce(storage, RECORD + 7);
        assertThatThrownBy(() -> commit(b0, 2, 2)).isInstanceOf(BufferFullException.class);
        // A crash now loses every unforced write: what the cut forced (the first commit, no torn bytes) stays.
        storage.crash(CrashPolicy.loseAllUnforced());
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(Durability.NONE, BufferFaults.NONE))) {
            assertThat(b.lastCommittedSeq()).isEqualTo(1);
            assertThat(b.recovery().truncatedBytes()).isZero();
        }
    }

    @Test
    void keepingTheTornTailLosesTheCommitsAfterIt() throws Exception {
        // The bug switch of the simulator: resume after the partial records instead of cutting them off.
        MemoryLogStorage storage = new MemoryLogStorage();
        BufferFaults bug = new BufferFaults(false, true);
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(Durability.LOCAL, bug))) {
            commit(b, 1, 1);
            fullOnce(storage, RECORD + 100);
            assertThatThrownBy(() -> {
                try (WriteTransaction tx = b.begin()) {
                    tx.writePage(2, page(PS, 2));
                    tx.writePage(3, page(PS, 3));
                    tx.commit(3);
                }
            }).isInstanceOf(BufferFullException.class);
            assertThat(commit(b, 2, 4)).isEqualTo(2); // acknowledged and forced ...
        }
        storage.crash(CrashPolicy.loseAllUnforced());
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(Durability.LOCAL, BufferFaults.NONE))) {
            assertThat(b.lastCommittedSeq()).as("... and lost behind the torn records").isEqualTo(1);
        }
    }

    @Test
    void aFailedFsyncStopsTheBufferAndSaysWhy() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(Durability.LOCAL, BufferFaults.NONE))) {
            commit(b, 1, 1);
            storage.setFaults((op, file) -> op == MemoryLogStorage.Operation.FORCE);
            assertThatThrownBy(() -> commit(b, 2, 2)).isInstanceOf(BufferFailedException.class)
                    .hasMessageContaining("fsync failed").hasMessageContaining("unknown");
            storage.setFaults((op, file) -> false);
            assertThatThrownBy(b::begin).isInstanceOf(BufferFailedException.class).hasMessageContaining("fsync");
            assertThat(b.failureMessage()).contains("fsync failed");
        }
    }

    /**
     * A transaction that passed the full-disk hold's check and then waited for the slot while a rewrite ran short of
     * space is refused once it gets the slot (docs/write-buffer-full-disk.md): it would take space the retry needs.
     */
    @Test
    void aTransactionWaitingForTheSlotWhenTheHoldIsSetIsRefused() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(Durability.LOCAL, BufferFaults.NONE))) {
            long synced = commit(b, 1, 1);
            commit(b, 2, 2);
            WriteTransaction open = b.begin(); // holds the slot
            java.util.concurrent.CompletableFuture<Object> waiter = new java.util.concurrent.CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    WriteTransaction tx = b.begin();
                    tx.rollback();
                    waiter.complete(tx);
                } catch (Throwable e) {
                    waiter.complete(e);
                }
            });
            t.start();
            while (t.getState() != Thread.State.WAITING) { // parked on the slot, past the first check
                Thread.onSpinWait();
            }
            storage.setFullDisk((file, length) -> file.endsWith(".next") ? 0 : -1);
            assertThatThrownBy(() -> b.markSynced(synced, 1, 0)).hasMessageContaining("full disk");
            storage.setFullDisk((file, length) -> -1);
            open.rollback();
            t.join();
            // Before: the waiting transaction began, past the hold.
            assertThat(waiter.get()).isInstanceOf(BufferFullException.class);
            assertThat(((Throwable) waiter.get()).getMessage()).contains("holds new transactions back");
        }
    }
}
