package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.ltx.LtxCompactor;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-mode connections through the VFS survive compaction and retention run by another process (issue 10): the
 * L0 files they read from are merged into an L1 file and deleted; every page still reads. A read transaction whose
 * TXID no file can rebuild any more fails with an error naming the TXID and {@code retention}; a new transaction
 * reads the latest state.
 */
class ReadersSurviveCompactionVfsTest {
    private static final String SUMMARY = "select count(*) || '|' || sum(length(v)) || '|' || max(id) from t";

    @TempDir
    Path dir;

    private LitestreamVfs.Registration writer(String url, String name) throws Exception {
        return LitestreamVfs.builder().replica(url).writeEnabled(true).syncInterval(Duration.ofHours(1))
                .compaction(CompactionSettings.off())
                .bufferPath(Files.createDirectories(dir.resolve(name)).resolve("buffer")).register(name);
    }

    /** Merges every file of level 0 with TXID in [min, max] into one file at {@code into} (another compactor). */
    private static void compact(ReplicaClient client, long min, long max, int into) throws Exception {
        List<LtxSource> inputs = new ArrayList<>();
        for (LtxFileInfo f : client.listFiles(0, min, false)) {
            if (f.maxTxid() <= max) {
                inputs.add(LtxSource.of(f.toString(), () -> client.openFile(0, f.minTxid(), f.maxTxid(), 0, 0)));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxCompactor.compact(inputs, out, 0);
        client.createFile(into, min, max, LtxBody.of(out.toByteArray()));
    }

    @Test
    void everyPageReadsAfterTheL0FilesAreCompactedAndDeleted() throws Exception {
        String url = dir.resolve("replica").toUri().toString();
        LitestreamVfs.Registration w = writer(url, "survivew");
        String expected;
        long txid;
        try (Connection c = Sql.open(dir.resolve("w.db"), "survivew")) {
            exec(c, "create table t(id integer primary key, v text)");
            for (int i = 0; i < 20; i++) {
                exec(c, "insert into t(v) select printf('%0*d', 300 + value % 700, value) from " + Sql.series(40));
                txid = Long.parseLong(text(c, "select litestream_sync()"), 16);
            }
            expected = text(c, SUMMARY);
            txid = Long.parseLong(text(c, "select litestream_txid()"), 16);
        }
        w.unregister();
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(url).cacheSize(0)
                .pollInterval(Duration.ofHours(1)).register("surviver");
        try (Connection first = Sql.open(dir.resolve("r.db"), "surviver");
                ReplicaClient files = ReplicaClients.open(url)) {
            assertThat(text(first, "select count(*) from t")).isNotEmpty(); // open: page map over the L0 files
            compact(files, 1, txid, 1);
            files.deleteFiles(files.listFiles(0, 0, false));
            // A new connection shares the engine's page map, which points at deleted files: every page is read.
            try (Connection second = Sql.open(dir.resolve("r.db"), "surviver")) {
                assertThat(text(second, SUMMARY)).isEqualTo(expected);
                assertThat(text(second, "pragma integrity_check")).isEqualTo("ok");
            }
            assertThat(text(first, SUMMARY)).isEqualTo(expected);
        } finally {
            r.unregister();
        }
    }

    @Test
    void aReadTransactionWhoseTxidRetentionRemovedFailsAndANewOneReadsTheLatest() throws Exception {
        String url = dir.resolve("replica").toUri().toString();
        LitestreamVfs.Registration w = writer(url, "gonew");
        LitestreamVfs.Registration r = LitestreamVfs.builder().replica(url).cacheSize(0)
                .pollInterval(Duration.ofHours(1)).register("goner");
        try (Connection c = Sql.open(dir.resolve("w.db"), "gonew");
                ReplicaClient files = ReplicaClients.open(url)) {
            exec(c, "create table t(id integer primary key, v text)", "create table big(v text)");
            exec(c, "insert into big(v) select printf('%0*d', 2000, value) from " + Sql.series(200));
            exec(c, "insert into t(v) values ('a')");
            text(c, "select litestream_sync()");
            try (Connection reader = Sql.open(dir.resolve("r.db"), "goner", Map.of("write_enabled", "false"))) {
                exec(reader, "begin");
                assertThat(text(reader, "select count(*) from t")).isEqualTo("1"); // pins this TXID
                exec(c, "insert into t(v) values ('b')");
                long latest = Long.parseLong(text(c, "select litestream_sync()"), 16);
                // Another process compacts across the pinned TXID and retention deletes the L0 files.
                compact(files, 1, latest, 1);
                files.deleteFiles(files.listFiles(0, 0, false));
                assertThatThrownBy(() -> text(reader, "select sum(length(v)) from big")).isInstanceOf(Exception.class);
                assertThat(text(reader, "pragma litestream_last_error")).contains("is no longer on the replica")
                        .contains("retention").contains("new read transaction");
                // SQLite ended the read transaction on the I/O error; the next one starts at the latest state.
                text(reader, "select litestream_sync()"); // the follower's poll: it moves to the latest TXID
                assertThat(text(reader, "select count(*) from t")).isEqualTo("2");
                assertThat(text(reader, "select sum(length(v)) from big")).isEqualTo("400000");
            }
        } finally {
            w.unregister();
            r.unregister();
        }
    }
}
