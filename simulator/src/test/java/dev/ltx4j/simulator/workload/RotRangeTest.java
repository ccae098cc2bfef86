package dev.ltx4j.simulator.workload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.CommittedTransaction;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.WriteTransaction;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import org.junit.jupiter.api.Test;

/**
 * The log writer scenario's bit rot stays inside the record it targets: a 'Z' record of a compressible page is far
 * shorter than a version 1 record (12 + page size), and a flip past its end lands in the next record, making the
 * scenario's expectations (which transaction is damaged) wrong.
 */
class RotRangeTest {
    @Test
    void theRotRangeOfACompressedRecordEndsWhereTheNextRecordStarts() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        int ps = LogWriterScenario.PAGE_SIZE;
        try (WriteBuffer b = WriteBuffer.open(storage, "b", WriteBufferOptions.builder().pageSize(ps).build())) {
            WriteTransaction tx = b.begin();
            tx.writePage(1, new byte[ps]); // zeros: a few bytes of LZ4 block
            tx.writePage(2, LogWriterScenario.page(7));
            tx.commit(2);
            CommittedTransaction t = b.transactions().get(0);
            long first = t.pages().get(0).offset();
            long second = t.pages().get(1).offset();
            assertThat(first + LogWriterScenario.recordSize(storage.contents("b"), first)).isEqualTo(second);
            assertThat(12 + ps).as("the version 1 size the scenario assumed").isGreaterThan((int) (second - first));
        }
    }
}
