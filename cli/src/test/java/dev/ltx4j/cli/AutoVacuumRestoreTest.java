package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.vfs.LitestreamVfs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Field probe round 9 (docs/field-probes.md, "Round 9: big databases"): databases with {@code auto_vacuum} FULL and
 * INCREMENTAL at page sizes 512 and 65536, written through the VFS, shrink (the file is truncated at commit, or by
 * {@code PRAGMA incremental_vacuum}); {@code ltx4j restore} at every TXID gives the writer's state at that TXID: the
 * rows, the page count, the auto_vacuum mode, integrity_check ok. A read-mode follower sees the latest.
 */
class AutoVacuumRestoreTest {
    @TempDir
    Path dir;

    private static final String STATE = "select (select page_count from pragma_page_count) || '|' || "
            + "(select auto_vacuum from pragma_auto_vacuum) || '|' || (select count(*) || ':' || total(length(v)) || "
            + "':' || coalesce(group_concat(substr(hex(v), 1, 8), ','), '') from t)";

    @ParameterizedTest
    @CsvSource({"FULL, 512", "FULL, 65536", "INCREMENTAL, 512", "INCREMENTAL, 65536"})
    void aShrinkingAutoVacuumDatabaseRestoresAtEveryTxid(String mode, int pageSize) throws Exception {
        Path replica = dir.resolve("replica");
        String url = replica.toUri().toString();
        String tag = mode + pageSize;
        Map<String, String> states = new TreeMap<>();
        LitestreamVfs.Registration w = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).compaction(CompactionSettings.off())
                .bufferPath(dir.resolve("w.buf")).register("autovacuum-w-" + tag);
        int before;
        try (Connection c = w.connect(dir.resolve("app.db")); Statement s = c.createStatement()) {
            s.execute("pragma page_size=" + pageSize);
            s.execute("pragma auto_vacuum=" + mode);
            s.execute("create table t(v)");
            states.put(query(s, "select litestream_sync()"), query(s, STATE));
            s.execute("with recursive n(i) as (select 1 union all select i + 1 from n where i < 40) "
                    + "insert into t select randomblob(" + (2 * pageSize + 100) + ") from n");
            states.put(query(s, "select litestream_sync()"), query(s, STATE));
            before = Integer.parseInt(query(s, "pragma page_count"));
            s.execute("delete from t where rowid % 4 != 0");
            if (mode.equals("INCREMENTAL")) {
                states.put(query(s, "select litestream_sync()"), query(s, STATE));
                s.executeUpdate("pragma incremental_vacuum"); // execute() frees one page only (sqlite-jdbc)
            }
            states.put(query(s, "select litestream_sync()"), query(s, STATE));
            assertThat(Integer.parseInt(query(s, "pragma page_count"))).as(tag + ": the database shrank")
                    .isLessThan(before / 2);
            s.execute("insert into t values (randomblob(" + (pageSize + 1) + "))");
            states.put(query(s, "select litestream_sync()"), query(s, STATE));
        } finally {
            w.unregister();
        }
        assertThat(states).hasSize(mode.equals("INCREMENTAL") ? 5 : 4);
        for (Map.Entry<String, String> e : states.entrySet()) {
            Path out = dir.resolve("at-" + e.getKey() + ".db");
            CliRun restore = CliRun.of("restore", url, "-o", out.toString(), "--txid", e.getKey());
            assertThat(restore.exitCode()).as(tag + " restore at " + e.getKey() + ": " + restore.err()).isZero();
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + out); Statement s = c.createStatement()) {
                assertThat(query(s, STATE)).as(tag + " at " + e.getKey()).isEqualTo(e.getValue());
                assertThat(query(s, "pragma integrity_check")).as(tag + " at " + e.getKey()).isEqualTo("ok");
            }
        }
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(url).register("autovacuum-r-" + tag);
        try (Connection c = r.connect(dir.resolve("follower.db")); Statement s = c.createStatement()) {
            assertThat(query(s, STATE)).isEqualTo(states.get(((TreeMap<String, String>) states).lastKey()));
            assertThat(query(s, "pragma quick_check")).isEqualTo("ok");
        } finally {
            r.unregister();
        }
    }

    private static String query(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
