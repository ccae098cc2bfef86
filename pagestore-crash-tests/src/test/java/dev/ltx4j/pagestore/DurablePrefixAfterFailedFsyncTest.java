package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.NAME;
import static dev.ltx4j.pagestore.TestSupport.options;
import static dev.ltx4j.pagestore.TestSupport.page;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * After a failed fsync stopped the buffer, a sync still reads the durable prefix (every transaction whose commit's
 * force succeeded), checked against the record checksums, never what follows, and marks it synced in memory only
 * (docs/write-buffer-recovery.md, "After a failed fsync").
 */
class DurablePrefixAfterFailedFsyncTest {
    private static final int PS = 512;

    private static long commit(WriteBuffer b, int pgno, int fill) throws Exception {
        try (WriteTransaction tx = b.begin()) {
            tx.writePage(pgno, page(PS, fill));
            return tx.commit(Math.max(b.commitSize(), pgno));
        }
    }

    private static byte[] read(SyncSnapshot snap, long pgno) throws Exception {
        for (int i = 0; i < snap.pageCount(); i++) {
            if (snap.pgno(i) == pgno) {
                byte[] dst = new byte[PS];
                snap.cursor().read(i, dst);
                return dst;
            }
        }
        throw new AssertionError("page " + pgno + " not in the snapshot");
    }

    /** Three durable commits, then a fourth whose fsync fails. */
    private static WriteBuffer stopped(MemoryLogStorage storage) throws Exception {
        WriteBuffer b = WriteBuffer.open(storage, NAME, options(PS, Durability.LOCAL, 3));
        commit(b, 1, 1);
        commit(b, 2, 2);
        commit(b, 1, 3);
        storage.setFaults((op, file) -> op == MemoryLogStorage.Operation.FORCE);
        assertThatThrownBy(() -> commit(b, 3, 4)).isInstanceOf(BufferFailedException.class)
                .hasMessageContaining("fsync failed");
        storage.setFaults((op, file) -> false); // a retried fsync would now "succeed": it must not be tried
        return b;
    }

    @Test
    void aStoppedBufferLetsASyncReadItsDurablePrefixAndNothingAfterIt() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer b = stopped(storage)) {
            assertThat(b.stopped()).isTrue();
            assertThat(b.lastCommittedSeq()).as("the failed commit's record was written").isEqualTo(4);
            assertThat(b.uploadableSeq()).isEqualTo(3);
            long mutations = storage.mutationCount();

            SyncSnapshot snap = b.snapshot(3);
            assertThat(snap.upToSeq()).isEqualTo(3);
            assertThat(snap.commitSize()).isEqualTo(2);
            assertThat(read(snap, 1)).isEqualTo(page(PS, 3));
            assertThat(read(snap, 2)).isEqualTo(page(PS, 2));
            assertThat(b.transactionSnapshots(3)).hasSize(3);

            assertThatThrownBy(() -> b.snapshot(4)).isInstanceOf(BufferFailedException.class)
                    .hasMessageContaining("through sequence number 3").hasMessageContaining("reopen");
            assertThatThrownBy(b::snapshot).isInstanceOf(BufferFailedException.class);
            assertThatThrownBy(b::begin).as("writes stay refused").isInstanceOf(BufferFailedException.class);
            assertThat(storage.mutationCount()).as("no fsync retried, nothing written").isEqualTo(mutations);
            assertThat(b.failureMessage()).contains("through sequence number 3").contains("1 transaction(s) after")
                    .contains("reopened");
        }
    }

    /**
     * A transaction larger than the commit staging writes part of its records before its commit record; a write
     * failure then stops the buffer. The sync reads the durable prefix exactly as before the failed transaction.
     */
    @Test
    void aWriteFailureAfterPartOfALargeTransactionWasFlushedLeavesTheDurablePrefixIntact() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(PS, Durability.LOCAL, 3))) {
            commit(b, 1, 1);
            commit(b, 2, 2);
            int[] writes = {0};
            storage.setFaults((op, file) -> op == MemoryLogStorage.Operation.WRITE && ++writes[0] == 2);
            WriteTransaction big = b.begin();
            assertThatThrownBy(() -> {
                for (int p = 1; p <= 60; p++) { // incompressible pages: 60 x 512 bytes overflow the 8 KiB staging
                    byte[] image = new byte[PS];
                    random.nextBytes(image);
                    big.writePage(p, image);
                }
                big.commit(60);
            }).isInstanceOf(BufferFailedException.class);
            big.close();
            storage.setFaults((op, file) -> false);
            assertThat(writes[0]).as("part of the transaction was written before the failure").isEqualTo(2);
            assertThat(b.stopped()).isTrue();
            assertThat(b.uploadableSeq()).isEqualTo(2);
            SyncSnapshot snap = b.snapshot(2);
            assertThat(snap.commitSize()).isEqualTo(2);
            assertThat(snap.pageCount()).isEqualTo(2);
            assertThat(read(snap, 1)).isEqualTo(page(PS, 1));
            assertThat(read(snap, 2)).isEqualTo(page(PS, 2));
            assertThat(b.transactionSnapshots(2)).hasSize(2);
        }
    }

    @Test
    void aForceThatFailsDuringTheTrimsCopyNeitherReplacesTheFileNorMakesTheFailedCommitDurable() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(PS, Durability.LOCAL, 3))) {
            commit(b, 1, 1);
            commit(b, 2, 2);
            WriteTransaction third = b.begin();
            third.writePage(1, page(PS, 3));
            third.commitWritten(2); // written, its force not yet run
            Exception[] forceFailed = new Exception[1];
            storage.setFaults((op, file) -> {
                if (op != MemoryLogStorage.Operation.FORCE) {
                    return false;
                }
                if (file.equals(NAME)) {
                    return true;
                }
                if (forceFailed[0] == null) { // the trim forced its copy: now the third commit's force fails
                    try {
                        third.awaitDurable();
                    } catch (Exception e) {
                        forceFailed[0] = e;
                    }
                }
                return false;
            });
            BufferBase before = b.base();
            b.markSynced(2, before.txid() + 1, 0x1234L);
            storage.setFaults((op, file) -> false);
            assertThat(forceFailed[0]).isInstanceOf(BufferFailedException.class);
            assertThat(b.stopped()).isTrue();
            assertThat(b.uploadableSeq()).as("the failed commit is not durable").isEqualTo(2);
            assertThat(b.base()).as("the upload recorded in memory").isEqualTo(new BufferBase(before.txid() + 1,
                    0x1234L, 2));
            assertThat(b.transactions()).extracting(CommittedTransaction::seq).containsExactly(3L);
            assertThatThrownBy(() -> b.snapshot(3)).isInstanceOf(BufferFailedException.class);
        }
    }

    @Test
    void markingTheDurablePrefixSyncedOnAStoppedBufferIsKeptInMemoryAndTheRestFollowsOnTheNewBase() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer b = stopped(storage)) {
            long mutations = storage.mutationCount();
            BufferBase before = b.base();
            b.markSynced(2, before.txid() + 1, 0x1234L);
            assertThat(storage.mutationCount()).as("no rewrite on the failed disk").isEqualTo(mutations);
            assertThat(b.base()).isEqualTo(new BufferBase(before.txid() + 1, 0x1234L, 2));
            assertThat(b.transactions()).extracting(CommittedTransaction::seq).containsExactly(3L, 4L);
            assertThat(b.failureMessage()).contains("uploaded through 2");

            SyncSnapshot rest = b.snapshot(3);
            assertThat(rest.firstSeq()).isEqualTo(3);
            assertThat(rest.base()).isEqualTo(b.base());
            assertThat(rest.pageCount()).isEqualTo(1);
            assertThat(read(rest, 1)).isEqualTo(page(PS, 3));
            assertThat(b.transactionSnapshots(3)).extracting(SyncSnapshot::firstSeq).containsExactly(3L);
            assertThatThrownBy(() -> b.markSynced(4, before.txid() + 2, 1)).isInstanceOf(BufferFailedException.class);
            b.markSynced(3, before.txid() + 2, 0x5678L);
            assertThat(b.transactions()).extracting(CommittedTransaction::seq).containsExactly(4L);
        }
        // The file was never rewritten: a reopen recovers its old base and the transactions (the syncer adopts the
        // uploads as its own, syncer DurablePrefixSyncTest).
        try (WriteBuffer reopened = WriteBuffer.open(storage, NAME, options(PS, Durability.LOCAL, 3))) {
            assertThat(reopened.base().txid()).isZero();
            assertThat(reopened.transactions()).extracting(CommittedTransaction::seq).startsWith(1L, 2L, 3L);
        }
    }

    @Test
    void aDurableRecordDamagedAfterTheStopIsRefusedByItsChecksum() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer b = stopped(storage)) {
            SyncSnapshot snap = b.snapshot(3);
            int victim = 0;
            long at = snap.recordOffset(victim) + 30; // inside the record's block
            try (LogFile f = storage.open(NAME)) {
                ByteBuffer one = ByteBuffer.allocate(1);
                f.read(at, one);
                f.write(at, ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x10)}));
            }
            byte[] dst = new byte[PS];
            assertThatThrownBy(() -> snap.cursor().read(victim, dst)).isInstanceOf(BufferCorruptException.class)
                    .hasMessageContaining("page " + snap.pgno(victim));
        }
    }

    @Test
    void withDurabilityNoneOnlyWhatTheOpenForcedIsUploadableAfterAStop() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, options(PS, Durability.NONE, 3))) {
            commit(b, 1, 1);
            commit(b, 2, 2); // acknowledged without a force
            storage.setFaults((op, file) -> op == MemoryLogStorage.Operation.WRITE);
            assertThatThrownBy(() -> commit(b, 3, 3)).isInstanceOf(BufferFailedException.class);
            storage.setFaults((op, file) -> false);
            assertThat(b.uploadableSeq()).isZero();
            assertThatThrownBy(() -> b.snapshot(2)).isInstanceOf(BufferFailedException.class)
                    .hasMessageContaining("through sequence number 0");
            assertThat(b.snapshot(0).pageCount()).isZero();
        }
    }

    @Test
    void theBugSwitchLetsASyncReadTheTransactionWhoseForceFailed() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        WriteBufferOptions bug = WriteBufferOptions.builder().pageSize(PS).durability(Durability.LOCAL)
                .faults(new BufferFaults(false, false, false, true)).build();
        try (WriteBuffer b = WriteBuffer.open(storage, NAME, bug)) {
            commit(b, 1, 1);
            storage.setFaults((op, file) -> op == MemoryLogStorage.Operation.FORCE);
            assertThatThrownBy(() -> commit(b, 2, 2)).isInstanceOf(BufferFailedException.class);
            assertThat(b.snapshot(2).pageCount()).isEqualTo(2);
        }
    }
}
