package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.storage.FileLogStorage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The buffer opens the engine's read handles itself and says where every held page's latest image is. */
class BufferGenerationTest {
    static final int PS = 1024;

    @TempDir
    Path dir;

    private static void commit(WriteBuffer buf, long commitSize, int... pagesAndFills) throws Exception {
        try (WriteTransaction tx = buf.begin()) {
            for (int i = 0; i < pagesAndFills.length; i += 2) {
                tx.writePage(pagesAndFills[i], TestSupport.page(PS, pagesAndFills[i + 1]));
            }
            tx.commit(commitSize);
        }
    }

    private static byte[] read(BufferGeneration g, PageRecords r, int i) throws Exception {
        byte[] page = new byte[PS];
        g.generation().read(r.offset(i), r.pgno(i), page);
        return page;
    }

    /** A stopped buffer's log also holds the transaction whose commit failed: no version may be built on it. */
    @Test
    void aGenerationCutAtASequenceHoldsNothingAfterIt() throws Exception {
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), TestSupport.NAME,
                TestSupport.options(PS, Durability.LOCAL, 5))) {
            commit(buf, 4, 1, 10, 4, 40);
            commit(buf, 4, 1, 11, 2, 20);
            commit(buf, 6, 5, 50, 6, 60); // grows: the cut must also take its size back
            BufferGeneration g = buf.openGeneration(Runnable::run);
            try {
                assertThat(g.upTo(3)).isSameAs(g);
                BufferGeneration cut = g.upTo(2);
                assertThat(cut.lastSeq()).isEqualTo(2);
                assertThat(cut.commitSize()).isEqualTo(4);
                PageRecords held = cut.latest(cut.lastSeq());
                assertThat(held.pgnos()).containsExactly(1, 2, 4);
                assertThat(read(cut, held, 0)).isEqualTo(TestSupport.page(PS, 11));
                assertThat(g.upTo(0).isEmpty()).isTrue();
                assertThat(g.upTo(0).lastSeq()).isZero();
            } finally {
                g.generation().release();
            }
        }
    }

    @Test
    void latestRecordsFollowEachTransactionAndHonourShrinks() throws Exception {
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), TestSupport.NAME,
                TestSupport.options(PS, Durability.LOCAL, 5))) {
            commit(buf, 4, 1, 10, 4, 40);
            commit(buf, 4, 1, 11, 2, 20);
            commit(buf, 2, 2, 21); // shrink: page 4 leaves the database
            BufferGeneration g = buf.openGeneration(Runnable::run);
            try {
                assertThat(g.lastSeq()).isEqualTo(buf.lastCommittedSeq());
                assertThat(g.isEmpty()).isFalse();
                assertThat(g.commitSize()).isEqualTo(2);

                PageRecords afterFirst = g.latest(1);
                assertThat(afterFirst.pgnos()).containsExactly(1, 4);
                assertThat(read(g, afterFirst, 0)).isEqualTo(TestSupport.page(PS, 10));
                assertThat(read(g, afterFirst, 1)).isEqualTo(TestSupport.page(PS, 40));

                PageRecords all = g.latest(g.lastSeq());
                assertThat(all.pgnos()).containsExactly(1, 2);
                assertThat(read(g, all, 0)).isEqualTo(TestSupport.page(PS, 11));
                assertThat(read(g, all, 1)).isEqualTo(TestSupport.page(PS, 21));
            } finally {
                g.generation().release();
            }
        }
    }

    @Test
    void aRewriteHandsBackWhereTheSurvivingPagesMovedAndTheOldHandleStillServesItsFile() throws Exception {
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), TestSupport.NAME,
                TestSupport.options(PS, Durability.LOCAL, 5))) {
            commit(buf, 3, 1, 1, 2, 2);
            commit(buf, 3, 3, 3);
            BufferGeneration before = buf.openGeneration(Runnable::run);
            PageRecords old = before.latest(before.lastSeq());

            buf.markSynced(1, 1, 0);
            BufferGeneration after = buf.openGeneration(Runnable::run);
            try {
                assertThat(after.generation().id()).isGreaterThan(before.generation().id());
                PageRecords moved = after.latest(after.lastSeq());
                assertThat(moved.pgnos()).containsExactly(3);
                assertThat(read(after, moved, 0)).isEqualTo(TestSupport.page(PS, 3));
                assertThat(moved.offset(0)).isNotEqualTo(old.offset(2)); // the record moved in the new file
                // The replaced file stays readable through the handle opened before the rewrite.
                for (int i = 0; i < old.size(); i++) {
                    assertThat(read(before, old, i)).isEqualTo(TestSupport.page(PS, (int) old.pgno(i)));
                }
            } finally {
                before.generation().release();
                after.generation().release();
            }
        }
    }
}
