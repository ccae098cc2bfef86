package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.file.FileReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.vfs.testing.ReferenceExtension;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ltx4j restore} of a replica the real reference extension wrote (npm litestream-vfs-linux-amd64@0.5.17 in the
 * sqlite3 CLI, write mode) through a rollback-journal transaction that grows the database by a 60,000-byte row and
 * deletes it again: SQLite never writes the freelist leaves it allocated and freed (secure_delete off), so the
 * reference's file holds 4 of the 16 pages with Commit 16. Read mode accepted it (session 13); restore refused it with
 * "a grown region is missing pages". Now the restored file equals read mode's pages byte for byte and, at every TXID,
 * the same SQL run on a plain file by the same sqlite3 (docs/time-travel.md, "Sparse growth files"); a page the
 * database needs that no file holds is still refused, naming the file.
 */
class SparseGrowthRestoreTest {
    private static Path extension;

    @TempDir
    Path tmp;

    @BeforeAll
    static void installReference() throws Exception {
        extension = ReferenceExtension.install();
    }

    private static final List<String> SESSIONS = List.of(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);",
            "BEGIN; INSERT INTO t(v) VALUES (replace(hex(zeroblob(30000)), '0', 'a')); DELETE FROM t; COMMIT;",
            "INSERT INTO t(v) VALUES (replace(hex(zeroblob(3000)), '0', 'b'));", // reuses some of the free pages
            "INSERT INTO t(v) VALUES ('last');");

    /** The reference's replica of {@link #SESSIONS}, one L0 file each, and the plain file after each session. */
    private List<byte[]> writeBoth(Path replica) throws Exception {
        Map<String, String> env = Map.of("LITESTREAM_REPLICA_URL", replica.toUri().toString(),
                "LITESTREAM_WRITE_ENABLED", "true", "LITESTREAM_SYNC_INTERVAL", "100ms",
                "LITESTREAM_BUFFER_PATH", tmp.resolve("ref-buffer").toString());
        Path plain = tmp.resolve("plain.db");
        List<byte[]> states = new ArrayList<>();
        for (String sql : SESSIONS) {
            String body = "PRAGMA secure_delete=off;\n" + sql + "\n";
            Sqlite3Cli.run(tmp, env, ".load '" + extension + "' sqlite3_litestreamvfs_init\n"
                    + ".open 'file:ref.db?vfs=litestream'\n" + body).requireSuccess();
            Sqlite3Cli.run(tmp, Map.of(), ".open '" + plain + "'\n" + body).requireSuccess();
            states.add(Files.readAllBytes(plain));
        }
        return states;
    }

    private static Path l0(Path replica, long txid) {
        return replica.resolve("ltx/0").resolve(String.format("%016x-%016x.ltx", txid, txid));
    }

    /** The page numbers an LTX file holds. */
    private static List<Long> pagesOf(Path file) throws Exception {
        List<Long> out = new ArrayList<>();
        try (LtxDecoder d = new LtxDecoder(Files.newInputStream(file), file.toString())) {
            byte[] page = new byte[d.header().pageSize()];
            long p;
            while ((p = d.readPage(page, 0)) != 0) {
                out.add(p);
            }
        }
        return out;
    }

    /** The file change counter and version-valid-for (page 1 bytes 24-27, 92-95) differ between the two writers. */
    private static byte[] withoutCounters(byte[] db) {
        byte[] c = db.clone();
        Arrays.fill(c, 24, 28, (byte) 0);
        Arrays.fill(c, 92, 96, (byte) 0);
        return c;
    }

    private byte[] restore(String url, String txid, String name) throws Exception {
        Path out = tmp.resolve(name);
        CliRun run = txid == null ? CliRun.of("restore", url, "-o", out.toString())
                : CliRun.of("restore", "--txid", txid, url, "-o", out.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(Sqlite3Cli.run(tmp, Map.of(), ".open '" + out + "'\nPRAGMA integrity_check;\n").requireSuccess()
                .stdout()).isEqualTo("ok\n");
        return Files.readAllBytes(out);
    }

    @Test
    void aReplicaWhoseGrowthFileLacksFreelistPagesRestoresAsReadModeAndTheSourceRead() throws Exception {
        Path replica = tmp.resolve("replica");
        String url = replica.toUri().toString();
        List<byte[]> source = writeBoth(replica);
        int ps = 4096;
        assertThat(source.get(1).length / ps).as("pages after the growth").isEqualTo(16);
        List<Long> held = pagesOf(l0(replica, 2));
        System.out.println("reference growth file 2: Commit 16, pages " + held);
        assertThat(held).as("the reference's growth file is sparse").hasSizeLessThan(16 - 2 + 2);
        assertThat(java.util.stream.LongStream.rangeClosed(3, 16).filter(p -> !held.contains(p)).count())
                .as("new pages 3..16 absent from the growth file").isPositive();

        for (int txid = 2; txid <= SESSIONS.size(); txid++) {
            byte[] restored = restore(url, String.format("%016x", txid), "at-" + txid + ".db");
            assertThat(withoutCounters(restored)).as("TXID %d against the plain file", txid)
                    .isEqualTo(withoutCounters(source.get(txid - 1)));
        }
        byte[] latest = restore(url, null, "latest.db");
        try (Database d = Database.open(new FileReplicaClient(replica), "sparse-restore",
                EngineOptions.builder().writeEnabled(false).build()); ReadTransaction t = d.beginRead()) {
            byte[] read = new byte[(int) t.sizeBytes()];
            assertThat(t.read(0, read, 0, read.length)).isEqualTo(read.length);
            assertThat(latest).as("restored latest against read mode, byte for byte").isEqualTo(read);
        }
        String check = "SELECT count(*), group_concat(length(v)) FROM t;\nPRAGMA freelist_count;\n"
                + "PRAGMA integrity_check;\n";
        String viaReference = Sqlite3Cli.run(tmp, Map.of("LITESTREAM_REPLICA_URL", url), ".load '" + extension
                + "' sqlite3_litestreamvfs_init\n.open 'file:ref.db?vfs=litestream'\n" + check).requireSuccess().stdout();
        String fromRestore = Sqlite3Cli.run(tmp, Map.of(), ".open '" + tmp.resolve("latest.db") + "'\n" + check)
                .requireSuccess().stdout();
        assertThat(fromRestore).isEqualTo(viaReference).endsWith("ok\n");
    }

    /**
     * The reference's growth file re-encoded without one of the pages SQLite did write (a valid file, checksum and
     * all: the freelist's trunk page): the state it ends is refused, naming the file; a later state whose own file
     * writes that page again restores.
     */
    @Test
    void aGrowthFileThatLostAPageTheDatabaseNeedsIsRefusedNamingIt() throws Exception {
        Path replica = tmp.resolve("replica");
        String url = replica.toUri().toString();
        writeBoth(replica);
        Path file = l0(replica, 2);
        List<Long> held = pagesOf(file);
        long lost = held.stream().filter(p -> p > 2).findFirst().orElseThrow();
        ByteArrayOutputStream rewritten = new ByteArrayOutputStream();
        try (LtxDecoder d = new LtxDecoder(new ByteArrayInputStream(Files.readAllBytes(file)), file.toString())) {
            LtxHeader h = d.header();
            LtxEncoder enc = new LtxEncoder(rewritten, h);
            byte[] page = new byte[h.pageSize()];
            long p;
            while ((p = d.readPage(page, 0)) != 0) {
                if (p != lost) {
                    enc.writePage(p, page, 0);
                }
            }
            enc.finish(d.summary().postApplyChecksum());
        }
        Files.write(file, rewritten.toByteArray());
        assertThat(CliRun.of("ltx", "verify", file.toString()).exitCode()).as("still a valid file").isZero();

        Path out = tmp.resolve("refused.db");
        CliRun run = CliRun.of("restore", "--txid", "0000000000000002", url, "-o", out.toString());
        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains("L0/0000000000000002-0000000000000002.ltx", "grows from 2 to 16 pages",
                "page " + lost, "is not a free page of the restored database");
        assertThat(out).doesNotExist();
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".ltx4j-restore-"));
        }
        // The next session's file writes that page again: the latest state does not need the lost copy.
        assertThat(pagesOf(l0(replica, 3))).contains(lost);
        restore(url, null, "latest.db");
    }
}
