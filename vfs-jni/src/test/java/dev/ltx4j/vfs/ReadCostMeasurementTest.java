package dev.ltx4j.vfs;

import dev.ltx4j.vfs.internal.NativeBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Prints what a page read through Java costs next to SQLite's own unix VFS on the same file (a measurement,
 * not a speed assertion; JMH benchmarks belong in the bench module). Scale with -Dltx4j.vfs.measure.rounds.
 */
class ReadCostMeasurementTest {
    private static final String VFS = "measure";
    private static final int ROWS = 2000;

    @TempDir
    Path dir;

    @Test
    void pagerBoundScanAndCrossingsPerInsert() throws Exception {
        LitestreamVfs.register(VFS, LocalFileDatabase.opener());
        Path db = dir.resolve("scan.db");
        try (Connection c = Sql.open(db, VFS)) {
            Sql.exec(c, "create table t(v blob)",
                    "insert into t select randomblob(3000) from " + Sql.series(ROWS));
        }
        int rounds = Integer.getInteger("ltx4j.vfs.measure.rounds", 10);
        String scan = "select sum(length(v)) from t";
        try (Connection ls = Sql.open(db, VFS); Connection unix = Sql.plain(db)) {
            Sql.exec(ls, "pragma cache_size=10");
            Sql.exec(unix, "pragma cache_size=10");
            for (int i = 0; i < 10; i++) {         // warm-up of both paths (JIT)
                Sql.number(ls, scan);
                Sql.number(unix, scan);
            }
            long reads0 = NativeBridge.counters()[0];
            long t0 = System.nanoTime();
            for (int i = 0; i < rounds; i++) assertThat(Sql.number(ls, scan)).isEqualTo(3000L * ROWS);
            long lsNanos = System.nanoTime() - t0;
            long reads = NativeBridge.counters()[0] - reads0;
            t0 = System.nanoTime();
            for (int i = 0; i < rounds; i++) assertThat(Sql.number(unix, scan)).isEqualTo(3000L * ROWS);
            long unixNanos = System.nanoTime() - t0;
            assertThat(reads).as("every scan re-reads the table through xRead").isGreaterThanOrEqualTo((long) rounds * ROWS);
            System.out.printf("MEASURE scan with cache_size=10: %d xRead via Java; litestream %.0f ns/read, unix %.0f ns/read,"
                            + " JNI+Java overhead %.0f ns/read (JVM %s)%n", reads, (double) lsNanos / reads,
                    (double) unixNanos / reads, (double) (lsNanos - unixNanos) / reads, System.getProperty("java.version"));
        }
        try (Connection c = Sql.open(db, VFS)) {
            Sql.exec(c, "create table i(x)", "insert into i values (0)");
            long[] before = NativeBridge.counters();
            for (int k = 0; k < 100; k++) Sql.exec(c, "insert into i values (" + k + ")");
            long[] after = NativeBridge.counters();
            assertThat(after[2] - before[2]).isGreaterThan(100);
            System.out.printf("MEASURE DELETE-mode autocommit INSERT: %.1f Java crossings, %.1f xRead, %.1f xWrite per transaction%n",
                    (after[2] - before[2]) / 100.0, (after[0] - before[0]) / 100.0, (after[1] - before[1]) / 100.0);
        }
    }
}
