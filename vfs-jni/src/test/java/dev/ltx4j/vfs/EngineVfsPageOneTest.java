package dev.ltx4j.vfs;

import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.vfs.engine.EngineVfsDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@link EngineVfsDatabase} shows SQLite of a WAL-format page 1, at every offset and length that overlaps
 * the header fields it changes, for pages from the replica, the cache and the write buffer, in read and write
 * mode; and that the engine stores exactly what was written.
 */
class EngineVfsPageOneTest {
    /** (offset, length) pairs: SQLite's header reads (0/100, 24/16, full page) and every kind of partial overlap. */
    private static final int[][] READS = {{0, 100}, {24, 16}, {0, 4096}, {16, 4}, {18, 1}, {19, 1}, {19, 10},
        {17, 2}, {0, 18}, {20, 4}, {20, 10}, {26, 1}, {27, 5}, {0, 28}, {28, 4}, {10, 20}, {4000, 96}};

    @TempDir
    Path dir;

    private byte[] image;

    private String importWal() throws Exception {
        image = DaemonReplica.walDatabase(dir.resolve("src.db"), "create table t(id integer primary key, v text)",
                "insert into t(v) select printf('row %d', value) from " + Sql.series(40));
        String url = dir.resolve("replica").toUri().toString();
        DaemonReplica.importImage(url, image);
        return url;
    }

    private static EngineVfsDatabase open(String url, EngineOptions options) throws Exception {
        return new EngineVfsDatabase(new DatabaseRegistry().acquire("test", "db",
                () -> Database.open(ReplicaClients.open(url, ReplicaEnvironment.system()), "db", options)),
                Clock.systemUTC());
    }

    private static byte[] read(EngineVfsDatabase v, long offset, int len) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(len);
        int n = v.read(b, offset);
        assertThat(n).isEqualTo(len);
        return Arrays.copyOf(b.array(), n);
    }

    /**
     * Reads page 1 every way in {@link #READS}; all agree with one view that differs from {@code stored} only in
     * bytes 18/19 (1 instead of 2) and the change counter 24..27. Returns the counter shown.
     */
    private static int assertRollbackView(EngineVfsDatabase v, byte[] stored) throws Exception {
        byte[] view = read(v, 0, 4096);
        assertThat(new byte[] {view[18], view[19]}).containsExactly(1, 1);
        assertThat(Arrays.copyOfRange(view, 24, 28)).isNotEqualTo(Arrays.copyOfRange(stored, 24, 28));
        byte[] expected = view.clone();
        System.arraycopy(stored, 18, expected, 18, 2);
        System.arraycopy(stored, 24, expected, 24, 4);
        assertThat(expected).as("everything else is stored").isEqualTo(Arrays.copyOf(stored, 4096));
        for (int[] r : READS) {
            assertThat(read(v, r[0], r[1])).as("read of %d bytes at %d", r[1], r[0])
                    .isEqualTo(Arrays.copyOfRange(view, r[0], r[0] + r[1]));
        }
        return ByteBuffer.wrap(view, 24, 4).getInt();
    }

    @Test
    void readModeShowsRollbackFormatAtEveryOffsetFromReplicaAndCache() throws Exception {
        String url = importWal();
        try (EngineVfsDatabase v = open(url, EngineOptions.builder().writeEnabled(false).build())) {
            int unlocked = assertRollbackView(v, image); // no lock: SQLite's header read at open
            v.beginRead();
            assertThat(assertRollbackView(v, image)).isEqualTo(unlocked); // from the replica, then the cache
            assertThat(assertRollbackView(v, image)).isEqualTo(unlocked);
            v.endRead();
        }
    }

    @Test
    void writeModeShowsRollbackFormatFromTheWriteBufferAndStoresWhatIsWritten() throws Exception {
        String url = importWal();
        EngineOptions options = EngineOptions.builder().writeEnabled(true).bufferPath(dir.resolve("buffer")).build();
        try (EngineVfsDatabase v = open(url, options)) {
            v.beginRead();
            int first = assertRollbackView(v, image);
            v.beginWrite();
            assertRollbackView(v, image);
            // A writer that stores a WAL-format page 1 (the backup API copying a WAL database does): page 1 then
            // comes from the write buffer, still shown in rollback format; page 2 changes too.
            byte[] stored = image.clone();
            stored[63] = 7; // user_version: a header field the view leaves alone
            v.write(ByteBuffer.wrap(stored, 0, 4096), 0);
            v.write(ByteBuffer.wrap(stored, 4096, 4096), 4096); // page 2 rewritten as it is
            assertRollbackView(v, stored);
            v.beforeCommit();
            v.commit();
            v.endWrite();
            int afterCommit = assertRollbackView(v, stored); // from the write buffer, a new local version
            assertThat(afterCommit).as("the counter follows the version").isNotEqualTo(first);
            v.endRead();
            assertThat(v.syncNow()).isEqualTo("0000000000000002");
            v.beginRead();
            int afterSync = assertRollbackView(v, stored);
            assertThat(afterSync).isNotEqualTo(afterCommit).isNotEqualTo(first);
            v.endRead();

            // SQLite's own commit writes page 1 in rollback format: stored and shown as written.
            byte[] sqlite = read(v, 0, 4096);
            sqlite[27]++;
            v.beginRead();
            v.beginWrite();
            v.write(ByteBuffer.wrap(sqlite), 0);
            v.beforeCommit();
            v.commit();
            v.endWrite();
            assertThat(read(v, 0, 4096)).isEqualTo(sqlite);
            v.endRead();
            assertThat(v.syncNow()).isEqualTo("0000000000000003");
        }
        // The restore checks every checksum: they were computed over the stored bytes.
        Path out = dir.resolve("restored.db");
        Replicas.restore(url, out);
        byte[] restored = Files.readAllBytes(out);
        assertThat(new byte[] {restored[18], restored[19]}).containsExactly(1, 1);
        try (var plain = Sql.plain(out)) {
            assertThat(Sql.text(plain, "pragma integrity_check")).isEqualTo("ok");
            assertThat(Sql.text(plain, "pragma user_version")).isEqualTo("7");
        }
    }

    @Test
    void aPollThatDoesNotTouchPageOneStillChangesTheCounter() throws Exception {
        String url = importWal();
        try (EngineVfsDatabase v = open(url, EngineOptions.builder().writeEnabled(false).build())) {
            v.beginRead();
            int before = assertRollbackView(v, image);
            v.endRead();
            byte[] next = image.clone();
            next[4096 + 300] ^= 1; // page 2 only, as a WAL-mode commit that leaves page 1 alone
            DaemonReplica.append(url, 2, image, next);
            v.syncNow(); // read mode: one poll
            v.beginRead();
            assertThat(assertRollbackView(v, next)).isNotEqualTo(before);
            v.endRead();
        }
    }
}
