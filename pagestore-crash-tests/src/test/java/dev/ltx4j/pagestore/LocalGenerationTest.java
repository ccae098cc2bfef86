package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalGenerationTest {
    static final int PS = 1024;

    @Test
    void recordOffsetsLocateEachPagesLastImageAndMatchTheCommittedTransaction() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer buf = WriteBuffer.open(storage, TestSupport.NAME,
                TestSupport.options(PS, Durability.LOCAL, 3))) {
            try (WriteTransaction tx = buf.begin()) {
                tx.writePage(5, TestSupport.page(PS, 1));
                long first = tx.recordOffset(5);
                tx.writePage(7, TestSupport.page(PS, 2));
                tx.writePage(5, TestSupport.page(PS, 3));
                assertThat(tx.recordOffset(5)).isGreaterThan(tx.recordOffset(7)).isGreaterThan(first);
                assertThat(tx.recordOffset(6)).isEqualTo(-1);
                assertThat(tx.recordOffset(0)).isEqualTo(-1);
                assertThat(tx.recordOffset(1L << 32)).isEqualTo(-1);
                tx.commit(7);
                CommittedTransaction committed = buf.transactions().get(0);
                assertThat(committed.pages()).extracting(PageLocation::offset)
                        .containsExactlyInAnyOrder(tx.recordOffset(5), tx.recordOffset(7));
                LocalGeneration gen = LocalGeneration.open(storage, TestSupport.NAME, PS, 1);
                byte[] page = new byte[PS];
                gen.read(tx.recordOffset(5), 5, page);
                assertThat(page).isEqualTo(TestSupport.page(PS, 3));
                gen.release();
            }
        }
    }

    @Test
    void aGenerationKeepsServingItsRecordsAfterTheBufferReplacesTheFile() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        try (WriteBuffer buf = WriteBuffer.open(storage, TestSupport.NAME,
                TestSupport.options(PS, Durability.LOCAL, 3))) {
            long offsetOf2;
            try (WriteTransaction tx = buf.begin()) {
                tx.writePage(1, TestSupport.page(PS, 1));
                tx.writePage(2, TestSupport.page(PS, 2));
                tx.commit(2);
                offsetOf2 = tx.recordOffset(2);
            }
            assertThat(offsetOf2).isPositive();
            LocalGeneration gen = LocalGeneration.open(storage, TestSupport.NAME, PS, 1);
            try (WriteTransaction tx = buf.begin()) {
                tx.writePage(3, TestSupport.page(PS, 3));
                tx.commit(3);
            }
            buf.markSynced(1, 1, 0);
            // The new file starts with the surviving transaction, so the old offset now holds another record.
            List<CommittedTransaction> held = buf.transactions();
            assertThat(held).hasSize(1);
            LocalGeneration next = LocalGeneration.open(storage, TestSupport.NAME, PS, 2);
            byte[] page = new byte[PS];
            gen.read(offsetOf2, 2, page);
            assertThat(page).isEqualTo(TestSupport.page(PS, 2));
            assertThatThrownBy(() -> next.read(offsetOf2, 2, page)).isInstanceOf(IOException.class)
                    .hasMessageContaining("holds no record of page 2");
            next.read(held.get(0).pages().get(0).offset(), 3, page);
            assertThat(page).isEqualTo(TestSupport.page(PS, 3));

            assertThat(gen.retain()).isTrue();
            gen.release();
            assertThat(gen.isClosed()).isFalse();
            gen.release();
            assertThat(gen.isClosed()).isTrue();
            assertThat(gen.retain()).isFalse();
            assertThatThrownBy(() -> gen.read(offsetOf2, 2, page)).isInstanceOf(IOException.class)
                    .hasMessageContaining("closed");
            next.release();
        }
    }
}
