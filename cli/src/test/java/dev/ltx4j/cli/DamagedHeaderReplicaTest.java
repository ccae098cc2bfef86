package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.vfs.LitestreamVfs;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe round 7 (docs/field-probes.md): a damaged header field of a replica file in the middle of the chain,
 * which a read-mode open used before verifying the file (its checksum covers the header, but only a page read of
 * the file verifies it). Before: Commit 0 read the database as empty pages (SQLITE_CORRUPT, last error naming no
 * file); a minimum TXID of 1 made the file a snapshot that cleared the page map; a Commit grown past the pages held
 * read them as zeros. Now each open or read is refused naming the file.
 */
class DamagedHeaderReplicaTest {
    @TempDir
    Path dir;

    private static final String NAME = "0000000000000003-0000000000000003.ltx";

    private Path fourFiles() throws Exception {
        Path replica = dir.resolve("replica");
        LitestreamVfs.Registration w = LitestreamVfs.builder().replica(replica.toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).compaction(CompactionSettings.off()).bufferPath(dir.resolve("buf"))
                .register("damaged-header-writer");
        try (Connection c = w.connect(dir.resolve("w.db")); Statement s = c.createStatement()) {
            s.execute("create table s(x)");
            s.execute("create table t(v)");
            s.executeQuery("select litestream_sync()").close();
            s.execute("insert into t values (randomblob(5000))");
            s.executeQuery("select litestream_sync()").close();
            for (int i = 0; i < 2; i++) { // TXIDs 3 and 4 hold pages 1 and 2 only, not the last page
                s.execute("insert into s values (" + i + ")");
                s.executeQuery("select litestream_sync()").close();
            }
        } finally {
            w.unregister();
        }
        return replica;
    }

    private void assertRefusedNamingTheFile(String tag, Consumer<ByteBuffer> damage) throws Exception {
        assertRefusedNamingTheFile(tag, damage, NAME);
    }

    private void assertRefusedNamingTheFile(String tag, Consumer<ByteBuffer> damage, String name) throws Exception {
        Path replica = fourFiles();
        Path file = replica.resolve("ltx/0/" + name);
        byte[] b = Files.readAllBytes(file);
        damage.accept(ByteBuffer.wrap(b));
        Files.write(file, b);
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(replica.toUri().toString()).register("dh-" + tag);
        String seen;
        try (Connection c = r.connect(dir.resolve("r.db")); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select count(*), sum(length(v)), (select page_count from"
                    + " pragma_page_count) from t")) {
                seen = "read " + rs.getString(1) + " rows, " + rs.getString(2) + " bytes, " + rs.getString(3) + " pages";
            } catch (SQLException e) {
                try (ResultSet rs = s.executeQuery("pragma litestream_last_error")) {
                    seen = "read refused: " + e.getMessage() + " / " + rs.getString(1);
                }
            }
        } catch (SQLException e) {
            seen = "open refused: " + e.getMessage();
        } finally {
            r.unregister();
        }
        System.out.println(tag + ": " + seen);
        assertThat(seen).contains("refused").contains("L0/" + name);
    }

    @Test
    void aCommitOfZeroIsRefusedNamingTheFile() throws Exception {
        assertRefusedNamingTheFile("commit-0", h -> h.putInt(12, 0));
    }

    @Test
    void aMinimumTxidOfOneIsRefusedNamingTheFile() throws Exception {
        assertRefusedNamingTheFile("min-1", h -> h.putLong(16, 1).putLong(40, 0)); // a valid snapshot header
    }

    @Test
    void aMaximumTxidOtherThanTheNameIsRefusedNamingTheFile() throws Exception {
        assertRefusedNamingTheFile("max-5", h -> h.putLong(24, 5));
    }

    @Test
    void aCommitGrownPastThePagesHeldIsRefusedNamingTheFile() throws Exception {
        assertRefusedNamingTheFile("commit-grown", h -> h.putInt(12, h.getInt(12) + 3));
    }
}
