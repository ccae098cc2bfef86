package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native page view (docs/concurrent-readers.md, "Native page view"): a reader copies whole pages of its snapshot
 * from C memory filled by earlier read transactions. Each commit must end the entries of exactly the pages it changed
 * before it is published; a page whose entry outlived its change would show here as a reader seeing an old row after
 * another connection's commit (its SQLite drops its cache at the commit and reads the pages again, mostly from the
 * view). Rows are compared with a model after every commit, and the view must actually have served pages.
 */
class NativePageViewTest {
    @TempDir
    Path dir;

    private LitestreamVfs.Registration writer(String name) throws Exception {
        return LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1))
                .bufferPath(Files.createDirectories(dir.resolve("buf")).resolve("buffer")).register(name);
    }

    @Test
    void aReaderSeesEveryPageAnotherConnectionChangedWhileItsOtherPagesComeFromTheView() throws Exception {
        LitestreamVfs.Registration vfs = writer("page-view-commits");
        Path db = dir.resolve("app.db");
        TreeMap<Integer, String> model = new TreeMap<>();
        SplittableRandom random = new SplittableRandom(11);
        try (Connection w = vfs.connect(db); Connection r = vfs.connect(db);
             Statement ws = w.createStatement(); Statement rs = r.createStatement()) {
            ws.execute("create table t(id integer primary key, v text not null)");
            ws.execute("begin");
            for (int id = 1; id <= 600; id++) {
                String v = "r" + id + "-" + "x".repeat(150);
                ws.execute("insert into t values (" + id + ", '" + v + "')");
                model.put(id, v);
            }
            ws.execute("commit");
            long hits0 = LitestreamVfs.nativeCounters()[4];
            assertThat(differences(rowsOf(rs), model)).isEmpty();
            for (int round = 1; round <= 60; round++) {
                // In place: the same pages, only their bytes (and page 1's change counter) change.
                int id = model.ceilingKey(1 + random.nextInt(model.lastKey())); // a row that exists
                String v = "u" + round + "-" + "y".repeat(150);
                ws.execute("update t set v = '" + v + "' where id = " + id);
                model.put(id, v);
                assertThat(differences(rowsOf(rs), model)).as("rows after update %d of row %d", round, id).isEmpty();
                assertThat(differences(rowsOf(rs), model)).as("again, from the view").isEmpty();
                if (round % 10 == 0) { // moves rows to new pages and frees others
                    int residue = round / 10;
                    ws.execute("delete from t where id % 7 = " + residue);
                    model.keySet().removeIf(k -> k % 7 == residue);
                    ws.execute("vacuum"); // shrinks the file: every page above the new size is gone
                    assertThat(differences(rowsOf(rs), model)).as("rows after vacuum in round %d", round).isEmpty();
                }
            }
            assertThat(LitestreamVfs.nativeCounters()[4] - hits0).as("pages the view served").isPositive();
            assertThat(stringOf(rs, "pragma integrity_check")).isEqualTo("ok");
        }
    }

    @Test
    void syncsAndARefreshEndTheViewWhileReadersKeepSeeingTheLatestRows() throws Exception {
        LitestreamVfs.Registration vfs = writer("page-view-syncs");
        Path db = dir.resolve("app.db");
        TreeMap<Integer, String> model = new TreeMap<>();
        try (Connection w = vfs.connect(db); Connection r = vfs.connect(db);
             Statement ws = w.createStatement(); Statement rs = r.createStatement()) {
            ws.execute("create table t(id integer primary key, v text not null)");
            for (int i = 1; i <= 30; i++) {
                String v = "s" + i + "-" + "z".repeat(1500);
                ws.execute("insert into t values (" + i + ", '" + v + "')");
                model.put(i, v);
                assertThat(differences(rowsOf(rs), model)).isEmpty();
                if (i % 5 == 0) {
                    stringOf(ws, "select litestream_sync()"); // the buffer is rewritten, pages become remote
                    ws.execute("update t set v = 'after sync " + i + "' where id = 1");
                    model.put(1, "after sync " + i);
                    assertThat(differences(rowsOf(rs), model)).isEmpty();
                }
            }
            stringOf(rs, "pragma litestream_refresh");
            assertThat(differences(rowsOf(rs), model)).isEmpty();
            ws.execute("update t set v = 'after refresh' where id = 2");
            model.put(2, "after refresh");
            assertThat(differences(rowsOf(rs), model)).isEmpty();
        }
    }

    /** {@code ltx4j.vfs.nativeCacheSize=0} (or LITESTREAM_NATIVE_CACHE_SIZE=0): no view, every page from Java. */
    @Test
    void aZeroSizeTurnsTheViewOff() throws Exception {
        String before = System.setProperty("ltx4j.vfs.nativeCacheSize", "0");
        try {
            LitestreamVfs.Registration vfs = writer("page-view-off");
            Path db = dir.resolve("off.db");
            TreeMap<Integer, String> model = new TreeMap<>();
            try (Connection w = vfs.connect(db); Connection r = vfs.connect(db);
                 Statement ws = w.createStatement(); Statement rs = r.createStatement()) {
                ws.execute("create table t(id integer primary key, v text not null)");
                long[] n0 = LitestreamVfs.nativeCounters();
                for (int i = 1; i <= 50; i++) {
                    ws.execute("insert into t values (" + i + ", printf('%.500c', 'o'))");
                    model.put(i, "o".repeat(500));
                    assertThat(differences(rowsOf(rs), model)).isEmpty();
                }
                long[] n1 = LitestreamVfs.nativeCounters();
                assertThat(n1[4] - n0[4]).as("view hits").isZero();
                assertThat(n1[6] - n0[6]).as("view fills").isZero();
            }
        } finally {
            if (before == null) System.clearProperty("ltx4j.vfs.nativeCacheSize");
            else System.setProperty("ltx4j.vfs.nativeCacheSize", before);
        }
    }

    /** The rows that differ from the model, short enough to read in a failure. */
    private static List<String> differences(TreeMap<Integer, String> rows, TreeMap<Integer, String> model) {
        List<String> out = new ArrayList<>();
        TreeSet<Integer> ids = new TreeSet<>(rows.keySet());
        ids.addAll(model.keySet());
        for (int id : ids) {
            String got = rows.get(id), want = model.get(id);
            if (!Objects.equals(got, want)) out.add(id + ": read " + brief(got) + ", committed " + brief(want));
        }
        return out;
    }

    private static String brief(String v) {
        return v == null ? "nothing" : v.substring(0, Math.min(12, v.length()));
    }

    private static TreeMap<Integer, String> rowsOf(Statement s) throws SQLException {
        TreeMap<Integer, String> rows = new TreeMap<>();
        try (ResultSet r = s.executeQuery("select id, v from t order by id")) {
            while (r.next()) rows.put(r.getInt(1), r.getString(2));
        }
        return rows;
    }

    private static String stringOf(Statement s, String sql) throws SQLException {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }
}
