package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.vfs.LitestreamVfs;
import dev.ltx4j.vfs.testing.ReferenceExtension;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reproduction with the CLI's own code: {@code ltx4j import} of a checkpointed WAL database (page 1
 * says WAL), opened through the VFS in read and write mode, {@code ltx4j restore} of what we wrote, and the
 * reference extension reading it.
 */
class WalImportTest {
    @TempDir
    Path tmp;

    private static String text(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : null;
        }
    }

    @Test
    void aCheckpointedWalDatabaseImportedByTheCliOpensThroughTheVfsAndRestores() throws Exception {
        Path db = tmp.resolve("w.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("pragma journal_mode=wal");
            s.execute("create table t(x)");
            s.execute("insert into t with recursive n(i) as (select 1 union all select i + 1 from n where i < 100)"
                    + " select i from n");
            s.execute("pragma wal_checkpoint(truncate)");
        }
        byte[] header = new byte[20];
        try (InputStream in = Files.newInputStream(db)) {
            assertThat(in.readNBytes(header, 0, 20)).isEqualTo(20);
        }
        assertThat(new byte[] {header[18], header[19]}).containsExactly(2, 2);
        String url = tmp.resolve("wi").toUri().toString();
        CliRun imp = CliRun.of("import", db.toString(), url);
        assertThat(imp.exitCode()).as(imp.err()).isZero();

        LitestreamVfs.Registration reader = LitestreamVfs.builder().replica(url).register("cli-wal-read");
        try (Connection c = DriverManager.getConnection(reader.jdbcUrl(tmp.resolve("a.db")))) {
            assertThat(text(c, "select count(*) from t")).isEqualTo("100");
            assertThat(text(c, "pragma journal_mode")).isEqualTo("delete");
        }
        LitestreamVfs.Registration writer = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .syncInterval(Duration.ofMillis(100)).bufferPath(tmp.resolve("buffer")).register("cli-wal-write");
        try (Connection c = DriverManager.getConnection(writer.jdbcUrl(tmp.resolve("b.db")));
                Statement s = c.createStatement()) {
            s.execute("insert into t values (101), (102)");
            s.execute("delete from t where x = 1");
            assertThat(text(c, "select litestream_sync()")).isEqualTo("0000000000000002");
        }

        Path out = tmp.resolve("restored.db");
        CliRun restore = CliRun.of("restore", url, "-o", out.toString());
        assertThat(restore.exitCode()).as(restore.err()).isZero();
        try (Connection plain = DriverManager.getConnection("jdbc:sqlite:" + out)) {
            assertThat(text(plain, "pragma integrity_check")).isEqualTo("ok");
            assertThat(text(plain, "select count(*) || '|' || sum(x) from t")).isEqualTo("101|5252");
        }

        Path extension = ReferenceExtension.install();
        String seen = Sqlite3Cli.run(tmp, Map.of("LITESTREAM_REPLICA_URL", url), ".load '" + extension
                + "' sqlite3_litestreamvfs_init\n.open 'file:ref.db?vfs=litestream'\n"
                + "select count(*) || '|' || sum(x) from t;\npragma integrity_check;\n").requireSuccess().stdout();
        assertThat(seen.lines()).containsExactly("101|5252", "ok");
    }
}
