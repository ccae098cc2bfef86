package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.NAME;
import static dev.ltx4j.pagestore.TestSupport.commit;
import static dev.ltx4j.pagestore.TestSupport.options;
import static dev.ltx4j.pagestore.TestSupport.page;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WriteBufferTest {

    @ParameterizedTest
    @ValueSource(ints = {512, 4096, 65536})
    void roundTripOfManyTransactionsSurvivesReopen(int pageSize) throws Exception {
        int count = pageSize == 65536 ? 20 : 120;
        Workload w = Workload.random(11 + pageSize, pageSize, count, 6, 40);
        MemoryLogStorage storage = new MemoryLogStorage();
        BufferBase base = new BufferBase(7, 0x8000_0000_0000_1234L, 3);
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(pageSize, Durability.LOCAL, 1, base))) {
            assertThat(buffer.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.NEW_FILE);
            List<Long> seqs = w.apply(buffer, 0, count);
            assertThat(seqs).first().isEqualTo(1L);
            assertThat(seqs).last().isEqualTo((long) count);
            w.assertHolds(buffer, 0, count, 1);
            assertThat(buffer.commitSize()).isEqualTo(w.commitSizeAfter(count, 3));
        }
        try (WriteBuffer reopened = WriteBuffer.open(storage, NAME, options(pageSize, Durability.LOCAL, 2))) {
            assertThat(reopened.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.CLEAN_END);
            assertThat(reopened.recovery().transactions()).isEqualTo(count);
            assertThat(reopened.recovery().truncatedBytes()).isZero();
            assertThat(reopened.base()).isEqualTo(base);
            w.assertHolds(reopened, 0, count, 1);
            // Sequence numbers continue after recovery.
            try (WriteTransaction tx = reopened.begin()) {
                tx.writePage(1, page(pageSize, 9));
                assertThat(tx.commit(reopened.commitSize())).isEqualTo(count + 1L);
            }
        }
    }

    @Test
    void ownUncommittedWritesAreVisibleOnlyInsideTheTransaction() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(512, Durability.NONE, 3))) {
            byte[] dst = new byte[512];
            try (WriteTransaction tx = buffer.begin()) {
                tx.writePage(2, page(512, 1));
                tx.writePage(2, page(512, 2));
                assertThat(tx.readPage(2, dst)).isTrue();
                assertThat(dst).isEqualTo(page(512, 2));
                assertThat(buffer.readPage(2, dst)).isFalse();
                tx.commit(2);
            }
            assertThat(buffer.readPage(2, dst)).isTrue();
            assertThat(dst).isEqualTo(page(512, 2));
            assertThat(buffer.transactions().get(0).pages()).extracting(PageLocation::pgno).containsExactly(2L);
        }
    }

    @Test
    void ownWritesAreReadableAfterSpillingPastTheStagingArea() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        WriteBufferOptions small = WriteBufferOptions.builder().pageSize(512).durability(Durability.NONE)
                .stagingBytes(600).random(() -> new java.util.SplittableRandom(4)).build();
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, small)) {
            byte[] dst = new byte[512];
            try (WriteTransaction tx = buffer.begin()) {
                for (int p = 1; p <= 10; p++) {
                    tx.writePage(p, page(512, p));
                }
                for (int p = 1; p <= 10; p++) {
                    assertThat(tx.readPage(p, dst)).isTrue();
                    assertThat(dst).isEqualTo(page(512, p));
                }
                tx.commit(10);
            }
        }
        try (WriteBuffer reopened = WriteBuffer.open(storage, NAME, options(512, Durability.NONE, 5))) {
            assertThat(reopened.transactions()).hasSize(1);
            assertThat(reopened.transactions().get(0).pages()).hasSize(10);
        }
    }

    @Test
    void rollbackDiscardsTheTransactionAndTheLogContinuesCleanly() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        WriteBufferOptions small = WriteBufferOptions.builder().pageSize(512).durability(Durability.LOCAL)
                .stagingBytes(1).random(() -> new java.util.SplittableRandom(4)).build();
        byte[] dst = new byte[512];
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, small)) {
            try (WriteTransaction tx = buffer.begin()) {
                tx.writePage(1, page(512, 1));
                tx.commit(1);
            }
            long sizeAfterFirst = storage.contents(NAME).length;
            try (WriteTransaction tx = buffer.begin()) {
                tx.writePage(1, page(512, 66));
                // Staging of 1 byte still holds one largest record: compressed records spill after a few pages.
                for (int p = 2; p < 100 && storage.contents(NAME).length == sizeAfterFirst; p++) {
                    tx.writePage(p, page(512, 65 + p));
                }
                assertThat(storage.contents(NAME).length).isGreaterThan((int) sizeAfterFirst);
                tx.rollback();
            }
            assertThat(storage.contents(NAME).length).isEqualTo((int) sizeAfterFirst);
            try (WriteTransaction tx = buffer.begin()) {
                tx.writePage(3, page(512, 3));
                // close without commit rolls back as well
            }
            assertThat(buffer.readPage(1, dst)).isTrue();
            assertThat(dst).isEqualTo(page(512, 1));
            assertThat(buffer.readPage(2, dst)).isFalse();
            try (WriteTransaction tx = buffer.begin()) {
                tx.writePage(2, page(512, 2));
                assertThat(tx.commit(2)).isEqualTo(2);
            }
        }
        try (WriteBuffer reopened = WriteBuffer.open(storage, NAME, options(512, Durability.LOCAL, 5))) {
            assertThat(reopened.recovery().tail()).isEqualTo(RecoveryReport.TailStatus.CLEAN_END);
            assertThat(reopened.transactions()).extracting(CommittedTransaction::seq).containsExactly(1L, 2L);
            assertThat(reopened.readPage(1, dst)).isTrue();
            assertThat(dst).isEqualTo(page(512, 1));
        }
    }

    @Test
    void shrinkDropsPagesAboveTheNewSizeAndGrowingDoesNotResurrectThem() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        byte[] dst = new byte[1024];
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(1024, Durability.NONE, 6))) {
            try (WriteTransaction tx = buffer.begin()) {
                for (int p = 1; p <= 8; p++) {
                    tx.writePage(p, page(1024, p));
                }
                tx.commit(8);
            }
            try (WriteTransaction tx = buffer.begin()) {
                tx.writePage(2, page(1024, 22));
                tx.writePage(7, page(1024, 77)); // above the size this transaction commits: dropped
                tx.commit(4);
            }
            assertThat(buffer.commitSize()).isEqualTo(4);
            assertThat(buffer.readPage(6, dst)).isFalse();
            assertThat(buffer.readPage(7, dst)).isFalse();
            assertThat(buffer.transactions().get(1).pages()).extracting(PageLocation::pgno).containsExactly(2L);
            SyncSnapshot snap = buffer.snapshot();
            assertThat(snap.commitSize()).isEqualTo(4);
            assertThat(pgnos(snap)).containsExactly(1L, 2L, 3L, 4L);
            try (WriteTransaction tx = buffer.begin()) {
                tx.writePage(5, page(1024, 55));
                tx.commit(6);
            }
            assertThat(buffer.readPage(6, dst)).isFalse();
            assertThat(pgnos(buffer.snapshot())).containsExactly(1L, 2L, 3L, 4L, 5L);
        }
        try (WriteBuffer reopened = WriteBuffer.open(storage, NAME, options(1024, Durability.NONE, 7))) {
            assertThat(reopened.commitSize()).isEqualTo(6);
            assertThat(reopened.readPage(7, dst)).isFalse();
            assertThat(reopened.readPage(2, dst)).isTrue();
            assertThat(dst).isEqualTo(page(1024, 22));
        }
    }

    private static List<Long> pgnos(SyncSnapshot snap) {
        List<Long> out = new ArrayList<>();
        for (PageImage p : snap) {
            out.add(p.pgno());
        }
        return out;
    }

    @Test
    void snapshotAndMarkSyncedKeepNewerImagesPending() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        byte[] dst = new byte[512];
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(512, Durability.LOCAL, 8))) {
            commit(buffer, 3, new long[] {1, 2, 3}, 10);
            commit(buffer, 3, new long[] {2}, 20);
            SyncSnapshot snap = buffer.snapshot();
            assertThat(snap.upToSeq()).isEqualTo(2);
            assertThat(snap.firstSeq()).isEqualTo(1);
            assertThat(snap.base()).isEqualTo(BufferBase.EMPTY);
            commit(buffer, 3, new long[] {2, 3}, 30); // after the snapshot: must stay pending
            List<PageImage> pages = new ArrayList<>();
            snap.forEach(pages::add);
            assertThat(pages).extracting(PageImage::pgno).containsExactly(1L, 2L, 3L);
            assertThat(pages.get(1).data()).isEqualTo(page(512, 20));
            assertThat(pages.get(2).data()).isEqualTo(page(512, 10));

            buffer.markSynced(snap.upToSeq(), 42, 0x8000_0000_0000_00ffL);
            assertThat(buffer.base()).isEqualTo(new BufferBase(42, 0x8000_0000_0000_00ffL, 3));
            assertThat(buffer.transactions()).extracting(CommittedTransaction::seq).containsExactly(3L);
            assertThat(buffer.readPage(1, dst)).isFalse(); // synced: now the replica's job
            assertThat(buffer.readPage(2, dst)).isTrue();
            assertThat(dst).isEqualTo(page(512, 30));
            assertThatThrownBy(() -> snap.readPage(0, new byte[512])).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no longer valid");
            assertThat(commit(buffer, 3, new long[] {4}, 40)).isEqualTo(4);
        }
        try (WriteBuffer reopened = WriteBuffer.open(storage, NAME, options(512, Durability.LOCAL, 9))) {
            assertThat(reopened.base()).isEqualTo(new BufferBase(42, 0x8000_0000_0000_00ffL, 3));
            assertThat(reopened.transactions()).extracting(CommittedTransaction::seq).containsExactly(3L, 4L);
            assertThat(reopened.readPage(3, dst)).isTrue();
            assertThat(dst).isEqualTo(page(512, 30));
            assertThat(storage.names()).containsExactly(NAME); // no leftover .next generation
        }
    }

    @Test
    void resetDropsEverythingAndKeepsSequenceNumbersIncreasing() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(512, Durability.LOCAL, 10))) {
            long writer = buffer.writerId();
            commit(buffer, 1, new long[] {1}, 1);
            buffer.reset(new BufferBase(9, 0, 1));
            assertThat(buffer.transactions()).isEmpty();
            assertThat(buffer.base()).isEqualTo(new BufferBase(9, 0, 1));
            assertThat(buffer.snapshot().isEmpty()).isTrue();
            assertThat(commit(buffer, 1, new long[] {1}, 2)).isEqualTo(2);
            assertThat(buffer.writerId()).isEqualTo(writer).isNotZero();
        }
    }

    @Test
    void invalidArgumentsNameTheOffendingValue() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(512, Durability.NONE, 11))) {
            try (WriteTransaction tx = buffer.begin()) {
                assertThatThrownBy(() -> tx.writePage(0, new byte[512])).hasMessageContaining("page number 0");
                assertThatThrownBy(() -> tx.writePage(1, new byte[100])).hasMessageContaining("100 bytes");
                assertThatThrownBy(() -> tx.commit(-1)).hasMessageContaining("commit size -1");
                tx.writePage(1, new byte[512]);
                assertThat(tx.commit(1)).isEqualTo(1);
            }
            assertThatThrownBy(() -> buffer.markSynced(5, 1, 0)).hasMessageContaining("markSynced sequence 5");
            assertThatThrownBy(() -> buffer.markSynced(1, 0, 0)).hasMessageContaining("does not advance");
            assertThatThrownBy(() -> buffer.snapshot(9)).hasMessageContaining("snapshot sequence 9");
        }
        assertThatThrownBy(() -> WriteBuffer.open(storage, NAME, options(4096, Durability.NONE, 1)))
                .isInstanceOf(WriteBufferException.class).hasMessageContaining("page size 512");
        assertThatThrownBy(() -> WriteBufferOptions.builder().pageSize(1000))
                .hasMessageContaining("pageSize 1000");
    }

    @Test
    void closeRefusesWhileATransactionIsOpenAndNeverDeletesTheFile() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(512, Durability.NONE, 12));
        WriteTransaction tx = buffer.begin();
        assertThatThrownBy(buffer::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("still open");
        tx.rollback();
        buffer.close();
        assertThat(storage.names()).contains(NAME);
        assertThatThrownBy(buffer::begin).isInstanceOf(WriteBufferException.class).hasMessageContaining("closed");
    }

    @Test
    void secondOpenOfTheSameBufferIsRefused() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(512, Durability.NONE, 13))) {
            assertThatThrownBy(() -> WriteBuffer.open(storage, NAME, options(512, Durability.NONE, 13)))
                    .isInstanceOf(BufferLockedException.class).hasMessageContaining("in use");
            assertThat(buffer.location()).isEqualTo("memory:" + NAME);
        }
        WriteBuffer.open(storage, NAME, options(512, Durability.NONE, 13)).close();
    }
}
