package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SyncSnapshot.Cursor} checks every record it hands out against the buffer's checksum chain, wherever the
 * record sits (first after the header, first of a transaction, inside one, in a rewritten file), and refuses a
 * record damaged on disk, so a sync never uploads bytes other than those committed.
 */
class SyncSnapshotCheckTest {
    @TempDir
    Path dir;

    private static void readAll(SyncSnapshot snap) throws Exception {
        SyncSnapshot.Cursor cursor = snap.cursor();
        byte[] expected = new byte[snap.pageSize()];
        byte[] actual = new byte[snap.pageSize()];
        for (int i = 0; i < snap.pageCount(); i++) {
            snap.readPage(i, expected);
            cursor.read(i, actual);
            assertThat(actual).as("page %d", snap.pgno(i)).isEqualTo(expected);
        }
    }

    @Test
    void everyRecordPositionChecksInFreshAndRewrittenFiles() throws Exception {
        Workload w = Workload.random(9, 512, 60, 9, 80);
        try (WriteBuffer buffer = WriteBuffer.open(dir.resolve("b.db"), options(512, Durability.LOCAL, 9))) {
            w.apply(buffer, 0, 40);
            for (long upTo = 1; upTo <= 40; upTo += 3) {
                readAll(buffer.snapshot(upTo)); // prefixes: the chain of each record up to a commit boundary
            }
            buffer.markSynced(25, 7, 0); // the rest moves to a new file with a fresh salt and chain
            readAll(buffer.snapshot());
            w.apply(buffer, 40, 60);
            readAll(buffer.snapshot());
            buffer.markSynced(buffer.snapshot().upToSeq(), 8, 0);
            w.apply(buffer, 0, 1); // a lone transaction: its first record follows the header
            readAll(buffer.snapshot());
        }
    }

    @Test
    void aCursorReusingAnEarlierWindowReadsTheSameCheckedImages() throws Exception {
        Workload w = Workload.random(11, 512, 60, 9, 80);
        try (WriteBuffer buffer = WriteBuffer.open(dir.resolve("b.db"), options(512, Durability.LOCAL, 11))) {
            w.apply(buffer, 0, 30);
            SyncSnapshot first = buffer.snapshot();
            SyncSnapshot.Cursor c1 = first.cursor();
            byte[] page = new byte[512];
            c1.read(first.pageCount() - 1, page); // the window now holds this snapshot's records
            ByteBuffer kept = c1.window();
            kept.order(java.nio.ByteOrder.LITTLE_ENDIAN); // whatever a previous user left behind
            buffer.markSynced(first.upToSeq(), 3, 0); // a new file: other records at the same offsets
            w.apply(buffer, 30, 60);
            SyncSnapshot second = buffer.snapshot();
            SyncSnapshot.Cursor c2 = second.cursor(kept);
            assertThat(c2.window()).isSameAs(kept);
            byte[] expected = new byte[512];
            for (int i = 0; i < second.pageCount(); i++) {
                second.readPage(i, expected);
                c2.read(i, page);
                assertThat(page).as("page %d", second.pgno(i)).isEqualTo(expected);
            }
            // Not reusable (on the heap, or too small): the cursor reads through a window of its own.
            assertThat(second.cursor(ByteBuffer.allocate(1 << 20)).window().isDirect()).isTrue();
            assertThat(second.cursor(ByteBuffer.allocateDirect(1024)).window().capacity()).isGreaterThan(1024);
        }
    }

    @Test
    void aRecordDamagedOnDiskIsRefusedNamingItsPage() throws Exception {
        Path path = dir.resolve("b.db");
        Workload w = Workload.random(10, 512, 12, 6, 30);
        try (WriteBuffer buffer = WriteBuffer.open(path, options(512, Durability.LOCAL, 10))) {
            w.apply(buffer, 0, 12);
            SyncSnapshot snap = buffer.snapshot();
            int victim = snap.pageCount() / 2;
            long at = snap.recordOffset(victim) + 12 + 100; // a byte of the page image
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.allocate(1);
                ch.read(b, at);
                ch.write(ByteBuffer.wrap(new byte[] {(byte) (b.get(0) ^ 0x10)}), at);
            }
            SyncSnapshot.Cursor cursor = snap.cursor();
            byte[] page = new byte[512];
            for (int i = 0; i < victim; i++) {
                cursor.read(i, page);
            }
            assertThatThrownBy(() -> cursor.read(victim, page)).isInstanceOf(BufferCorruptException.class)
                    .hasMessageContaining("page " + snap.pgno(victim)).hasMessageContaining("checksum");
        }
    }

    /** A cursor made without a window to reuse allocates its own: one taken from the pool would never go back. */
    @Test
    void onlyAPooledCursorTakesItsWindowFromThePool() throws Exception {
        Workload w = Workload.random(12, 512, 60, 9, 80);
        try (WriteBuffer buffer = WriteBuffer.open(dir.resolve("b.db"), options(512, Durability.LOCAL, 12))) {
            w.apply(buffer, 0, 10);
            SyncSnapshot snap = buffer.snapshot();
            java.nio.ByteBuffer pooled = snap.pooledCursor().window();
            DirectBufferPool.give(pooled);
            long idle = DirectBufferPool.idleBytes();
            assertThat(idle).isGreaterThanOrEqualTo(pooled.capacity());
            assertThat(snap.cursor(null).window()).isNotSameAs(pooled);
            assertThat(snap.cursor().window()).isNotSameAs(pooled);
            assertThat(DirectBufferPool.idleBytes()).as("nothing taken from the pool").isEqualTo(idle);
            assertThat(snap.pooledCursor().window()).isSameAs(pooled);
            DirectBufferPool.give(pooled);
        }
    }
}
