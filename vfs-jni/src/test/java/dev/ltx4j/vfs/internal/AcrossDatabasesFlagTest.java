package dev.ltx4j.vfs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.vfs.VfsDatabase;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * A phase one across attached databases that SQLite then rolls back (another database refused) must not mark the
 * connection's next, single-database commit as one whose failure SQLite hides (its failure is reported as usual).
 */
class AcrossDatabasesFlagTest {
    @Test
    void aRollbackClearsThePhaseOneMark() throws Exception {
        NativeFile file = new NativeFile(new Stub(), ByteBuffer.allocateDirect(16), "main.db");
        assertThat(file.beforeCommitAcrossDatabases()).isEqualTo(SqliteCodes.OK);
        assertThat(file.commitsAcrossDatabases()).isTrue();
        assertThat(file.rollback()).isEqualTo(SqliteCodes.OK);
        assertThat(file.commitsAcrossDatabases()).as("after the rollback").isFalse();
    }

    /**
     * Opening a file calls nothing of a third party's database beyond what the open needs: the failure path's
     * preload once classified a made-up failure through it (the first NativeFile of the process does the preload).
     */
    @Test
    void theFirstOpenClassifiesNoPhantomFailure() throws Exception {
        Stub db = new Stub();
        new NativeFile(db, ByteBuffer.allocateDirect(16), "main.db");
        assertThat(db.classified).isZero();
    }

    /** A database that accepts everything. */
    private static final class Stub implements VfsDatabase {
        int classified;

        @Override
        public Failure classify(Throwable failure) {
            classified++;
            return Failure.IO;
        }

        @Override public int read(ByteBuffer dst, long offset) { return 0; }
        @Override public void write(ByteBuffer src, long offset) { }
        @Override public void truncate(long size) { }
        @Override public long size() { return 0; }
        @Override public void sync(boolean full) { }
        @Override public void commit() { }
        @Override public void rollback() { }
        @Override public String txid() { return "0"; }
        @Override public String time() { return ""; }
        @Override public long lag() { return 0; }
        @Override public String syncNow() { return ""; }
        @Override public String statusJson() { return "{}"; }
        @Override public void close() { }
    }
}
