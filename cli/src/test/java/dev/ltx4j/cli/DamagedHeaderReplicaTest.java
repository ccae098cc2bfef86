package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.file.FileReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.PollOutcome;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.vfs.LitestreamVfs;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe round 7 (docs/field-probes.md): a damaged header field of a replica file in the middle of the chain,
 * which a read-mode open used before verifying the file (its checksum covers the header, but only a page read of
 * the file verifies it). Before: Commit 0 read the database as empty pages (SQLITE_CORRUPT, last error naming no
 * file); a minimum TXID of 1 made the file a snapshot that cleared the page map; a Commit grown past the pages held
 * read them as zeros. Now each open, follower poll or read is refused naming the file. A valid file that grows the
 * database without pages SQLite never wrote (freelist leaves) still opens, those pages reading as zeros.
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

    /**
     * The file before the one that seems to lack new pages is the damaged one: 3-3 with its Commit lowered to 2
     * makes 4-4 grow the database without the pages it never changed. Before, 4-4 (intact) was named.
     */
    @Test
    void aCommitLoweredInTheFileBeforeIsBlamedOnThatFile() throws Exception {
        assertRefusedNamingTheFile("commit-lowered", h -> h.putInt(12, 2));
    }

    /**
     * A Commit lowered by one within the pages 3-3 holds (it drops the last page, from TXID 2): 4-4 holds newer
     * images of every page 3-3 holds, so no page of 3-3 is ever read. Session 13 named the intact 4-4 ("grows the
     * database ... but holds only 0 of the new pages"); the growth check now verifies 3-3 first and names it.
     */
    @Test
    void aCommitLoweredWithinThePagesHeldIsRefusedNamingTheFile() throws Exception {
        assertRefusedNamingTheFile("commit-lowered-by-one", h -> h.putInt(12, h.getInt(12) - 1));
    }

    /**
     * The same in the newest file: no later file grows over the dropped page, but the state's first SQL read is page 1,
     * which every file that changes the size holds (its header has the page count), so the file is verified before
     * an answer and the read is refused naming it.
     */
    @Test
    void aCommitLoweredInTheNewestFileIsRefusedAtTheFirstReadNamingIt() throws Exception {
        assertRefusedNamingTheFile("commit-lowered-newest", h -> h.putInt(12, h.getInt(12) - 1),
                "0000000000000004-0000000000000004.ltx");
    }

    /** A follower that holds TXID 2 polls and finds 3-3 with a Commit grown past its pages. Before, it applied it. */
    @Test
    void aFollowerPollRefusesACommitGrownPastThePagesHeldNamingTheFile() throws Exception {
        Path replica = fourFiles();
        Path level0 = replica.resolve("ltx/0");
        Path aside = Files.createDirectory(dir.resolve("aside"));
        String later = "0000000000000004-0000000000000004.ltx";
        Files.move(level0.resolve(NAME), aside.resolve(NAME));
        Files.move(level0.resolve(later), aside.resolve(later));
        try (Database f = Database.open(new FileReplicaClient(replica), "follower",
                EngineOptions.builder().writeEnabled(false).build())) {
            assertThat(f.current().txid()).isEqualTo(2);
            byte[] b = Files.readAllBytes(aside.resolve(NAME));
            ByteBuffer.wrap(b).putInt(12, ByteBuffer.wrap(b).getInt(12) + 3);
            Files.write(level0.resolve(NAME), b);
            Files.move(aside.resolve(later), level0.resolve(later));
            PollOutcome p = f.pollOnce(Instant.now());
            System.out.println("follower poll: " + p + " / " + f.status().lastError());
            assertThat(p.ok()).isFalse();
            assertThat(String.valueOf(p.error())).contains("L0/" + NAME);
            assertThat(f.current().txid()).isEqualTo(2);
        }
    }

    /**
     * The reference VFS's L0 file of a rollback-journal transaction with secure_delete off that grows a 2-page
     * database with a 60000-byte row and deletes it: SQLite writes only a few pages (e.g. 1, 3 and 16; with
     * sqlite-jdbc's build 1, 2 and 3, the file extended by truncation), 4..15 being freelist leaves it never wrote;
     * the reference encodes the dirty pages with Commit 16. It opens; the absent pages read as zeros, as the file
     * SQLite left has them. Before, the open was refused as damaged.
     */
    @Test
    void aGrowingFileWithoutFreelistPagesSqliteNeverWroteOpensAndReadsThemAsZeros() throws Exception {
        Path local = dir.resolve("local.db");
        byte[] before;
        byte[] after;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + local); Statement s = c.createStatement()) {
            s.execute("pragma journal_mode=delete");
            s.execute("pragma secure_delete=off");
            s.execute("create table t(v)");
            before = Files.readAllBytes(local);
            c.setAutoCommit(false);
            s.execute("insert into t values (randomblob(60000))");
            s.execute("delete from t");
            c.commit();
            after = Files.readAllBytes(local);
        }
        int ps = ((before[16] & 0xFF) << 8 | (before[17] & 0xFF)) == 1 ? 65536 : (before[16] & 0xFF) << 8 | (before[17] & 0xFF);
        int was = before.length / ps;
        int now = after.length / ps;
        List<Integer> dirty = new ArrayList<>();
        for (int p = 1; p <= now; p++) {
            byte[] page = Arrays.copyOfRange(after, (p - 1) * ps, p * ps);
            if (p <= was ? !Arrays.equals(page, 0, ps, before, (p - 1) * ps, p * ps) : !Arrays.equals(page, new byte[ps])) {
                dirty.add(p);
            }
        }
        System.out.println("sparse growth: " + was + " -> " + now + " pages, written " + dirty);
        assertThat(now).as("grown").isGreaterThan(was + 2);
        assertThat(dirty).as("pages SQLite wrote").doesNotContain(was + 2, now - 1);
        Path replica = dir.resolve("replica");
        Path level0 = Files.createDirectories(replica.resolve("ltx/0"));
        List<Integer> all = new ArrayList<>();
        for (int p = 1; p <= was; p++) {
            all.add(p);
        }
        writeLtx(level0, 1, before, ps, was, all);
        writeLtx(level0, 2, after, ps, now, dirty);
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(replica.toUri().toString()).register("dh-sparse");
        try (Connection c = r.connect(dir.resolve("r.db")); Statement s = c.createStatement()) {
            assertThat(text(s, "select count(*) from t")).isEqualTo("0");
            assertThat(text(s, "pragma page_count")).isEqualTo(String.valueOf(now));
            assertThat(text(s, "pragma freelist_count")).isEqualTo(String.valueOf(now - was));
            assertThat(text(s, "pragma integrity_check")).isEqualTo("ok");
        } finally {
            r.unregister();
        }
        try (Database d = Database.open(new FileReplicaClient(replica), "sparse",
                EngineOptions.builder().writeEnabled(false).build()); ReadTransaction t = d.beginRead()) {
            byte[] read = new byte[(int) t.sizeBytes()];
            assertThat(t.read(0, read, 0, read.length)).isEqualTo(after.length);
            assertThat(Arrays.equals(read, after)).as("the pages read equal the file SQLite left (absent ones zeros)")
                    .isTrue();
        }
    }

    /** A file of another page size that grows the database says so (before: "holds only 0 of the new pages"). */
    @Test
    void aGrowingFileOfAnotherPageSizeSaysThePageSizeDiffers() throws Exception {
        Path replica = dir.resolve("replica");
        Path level0 = Files.createDirectories(replica.resolve("ltx/0"));
        writeLtx(level0, 1, new byte[2 * 4096], 4096, 2, List.of(1, 2));
        writeLtx(level0, 2, new byte[8192], 8192, 4, List.of(1));
        assertThatThrownBy(() -> Database.open(new FileReplicaClient(replica), "other-size",
                EngineOptions.builder().writeEnabled(false).build()).close())
                .hasMessageContaining("L0/0000000000000002-0000000000000002.ltx")
                .hasMessageContaining("page size 8192 differs from the database's 4096");
    }

    private static String text(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.getString(1);
        }
    }

    /** An L0 file TXID {@code txid} (no database checksums) holding {@code pages} of {@code image}. */
    private static void writeLtx(Path level0, long txid, byte[] image, int ps, int commit, List<Integer> pages)
            throws Exception {
        try (OutputStream out = Files.newOutputStream(level0.resolve(String.format("%016x-%016x.ltx", txid, txid)))) {
            LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, ps, commit, txid, txid,
                    1_700_000_000_000L + txid, 0));
            for (int p : pages) {
                enc.writePage(p, image, (p - 1) * ps);
            }
            enc.finish(0);
        }
    }
}
