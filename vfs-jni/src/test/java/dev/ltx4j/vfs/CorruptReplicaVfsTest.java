package dev.ltx4j.vfs;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Arrays;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The reproduction through sqlite-jdbc: a 2,000-row table imported as a snapshot, one byte flipped in the
 * middle of the replica's LTX file. The query must fail with SQLITE_CORRUPT and name the file, never return a
 * different row; a clean copy of the same replica reads correctly.
 */
class CorruptReplicaVfsTest {
    private static final String SNAPSHOT = "L0/0000000000000001-0000000000000001.ltx";
    /**
     * The rows are random, so the flipped byte lands in a different LZ4 sequence each run: either the block still
     * decodes and the page checksum catches it, or the decoder itself rejects the block (CI saw both).
     */
    // The rows are random (randomblob), so the flipped byte lands in different LZ4 data from run to run: any of the
    // decoder's refusals is a right answer (found by a CI run: "LZ4 block decompresses to 4095 bytes, expected 4096").
    private static final String[] FLIP_REASONS = {"checksum", "invalid LZ4 block", "decompresses to"};

    @TempDir
    Path dir;

    private byte[] plainDb;
    private int ps;

    /** A plain database with 2,000 rows of incompressible text, encoded as a NoChecksum snapshot (like an import). */
    private byte[] importedSnapshot() throws Exception {
        Path plain = dir.resolve("source.db");
        try (Connection c = Sql.plain(plain)) {
            exec(c, "create table t(id integer primary key, v text)",
                    "insert into t(v) select hex(randomblob(40)) from " + Sql.series(2000));
        }
        plainDb = Files.readAllBytes(plain);
        ps = ((plainDb[16] & 0xFF) << 8) | (plainDb[17] & 0xFF);
        int pages = plainDb.length / ps;
        return ltx(1, pages, pages);
    }

    /** A NoChecksum file at TXID {@code txid} holding pages 1..{@code upTo} of the plain database. */
    private byte[] ltx(long txid, int upTo, int commit) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, ps, commit, txid, txid,
                1_700_000_000_000L, 0));
        for (int p = 1; p <= upTo; p++) {
            enc.writePage(p, Arrays.copyOfRange(plainDb, (p - 1) * ps, p * ps), 0);
        }
        enc.finish(0);
        return out.toByteArray();
    }

    private String replica(String name, byte[]... files) throws Exception {
        String url = dir.resolve(name).toUri().toString();
        try (ReplicaClient client = ReplicaClients.open(url)) {
            for (int i = 0; i < files.length; i++) {
                client.createFile(0, i + 1, i + 1, LtxBody.of(files[i]));
            }
        }
        return url;
    }

    private static SQLiteErrorCode code(SQLException e) {
        assertThat((Throwable) e).as("a damaged replica file must fail, not answer").isNotNull()
                .isInstanceOf(SQLiteException.class);
        return ((SQLiteException) e).getResultCode();
    }

    @Test
    void aFlippedByteMidFileFailsWithCorruptAndNamesTheFile() throws Exception {
        byte[] snapshot = importedSnapshot();
        byte[] damaged = snapshot.clone();
        damaged[damaged.length / 2] ^= 0x01;
        String query = "select sum(length(v)) + count(*) from t where v not glob '*[^0-9A-F]*'";

        // No false positive: the clean replica reads correctly.
        LitestreamVfs.Registration clean = LitestreamVfs.builder().replica(replica("clean", snapshot))
                .register("corrupt-test-clean");
        try (Connection c = DriverManager.getConnection(clean.jdbcUrl(dir.resolve("clean.db")))) {
            assertThat(number(c, query)).isEqualTo(81L * 2000);
            assertThat(text(c, "pragma integrity_check")).isEqualTo("ok");
            assertThat(text(c, "select litestream_status()")).contains("\"files_verified\":1")
                    .contains("\"failure_count\":0");
        }

        // The case: the only file is damaged. SQLite reads the header while opening, so the open fails.
        LitestreamVfs.Registration bad = LitestreamVfs.builder().replica(replica("damaged", damaged))
                .register("corrupt-test-damaged");
        SQLException e = catchThrowableOfType(SQLException.class, () -> {
            try (Connection c = DriverManager.getConnection(bad.jdbcUrl(dir.resolve("damaged.db")))) {
                number(c, query);
            }
        });
        assertThat(code(e)).isEqualTo(SQLiteErrorCode.SQLITE_CORRUPT);
        assertThat(LitestreamVfs.lastOpenError()).get().asString().contains(SNAPSHOT).contains("corrupt")
                .containsAnyOf(FLIP_REASONS);

        // Header page from a later, intact file: the connection opens, the query fails and PRAGMA tells why.
        LitestreamVfs.Registration mixed = LitestreamVfs.builder()
                .replica(replica("mixed", damaged, ltx(2, 1, plainDb.length / ps))).register("corrupt-test-mixed");
        try (Connection c = DriverManager.getConnection(mixed.jdbcUrl(dir.resolve("mixed.db")))) {
            assertThat(code(catchThrowableOfType(SQLException.class, () -> number(c, query))))
                    .isEqualTo(SQLiteErrorCode.SQLITE_CORRUPT);
            assertThat(text(c, "pragma litestream_last_error")).contains(SNAPSHOT).contains("corrupt")
                    .containsAnyOf(FLIP_REASONS);
            // Every later query fails the same way (no page of the file is served), until refresh or reopen.
            assertThat(code(catchThrowableOfType(SQLException.class, () -> number(c, "select count(*) from t"))))
                    .isEqualTo(SQLiteErrorCode.SQLITE_CORRUPT);
        }
    }
}
