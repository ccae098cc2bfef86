package dev.ltx4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.vfs.LitestreamDatabase;
import dev.ltx4j.vfs.LitestreamVfs;
import dev.ltx4j.vfs.testing.ReferenceExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ltx4j compact} and {@code ltx4j retain} through the CLI's entry point on replicas written by our engine and by
 * the reference extension: before compaction, {@code restore --txid} at every TXID gives the ground truth; after
 * compaction and after retention, every TXID that stays restorable restores byte for byte to the same database.
 */
class CompactRetainCommandTest {
    private static final AtomicInteger VFS_NAMES = new AtomicInteger();

    @TempDir
    Path tmp;

    /**
     * Writes {@code transactions} transactions through our engine in write mode, one sync (one L0 file) each, with
     * the writer's own compaction off: the replica an older ltx4j left, which the CLI must compact.
     */
    static void writeWithEngine(String url, Path dir, int transactions) throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(url).writeEnabled(true)
                .compaction(CompactionSettings.off())
                .syncInterval(Duration.ofHours(1)).bufferPath(dir.resolve("buffer"))
                .register("compact-test-" + VFS_NAMES.incrementAndGet());
        try {
            Path db = dir.resolve("app.db");
            try (Connection c = DriverManager.getConnection(vfs.jdbcUrl(db)); Statement s = c.createStatement()) {
                LitestreamDatabase handle = vfs.database(db);
                s.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)");
                handle.syncNow();
                for (int i = 1; i < transactions; i++) {
                    s.execute("INSERT INTO t(v, b) SELECT 'row ' || " + i + " || '-' || value, randomblob(300) FROM "
                            + "json_each('[1,2,3,4,5,6,7,8,9,10]')");
                    if (i % 4 == 0) {
                        s.execute("DELETE FROM t WHERE id % 7 = " + (i % 7));
                    }
                    handle.syncNow();
                }
            }
        } finally {
            vfs.unregister();
        }
    }

    /** Every TXID that ends a file at level 0, restored through the uncompacted chain: the ground truth. */
    private Map<Long, byte[]> groundTruth(String url) throws Exception {
        Map<Long, byte[]> truth = new LinkedHashMap<>();
        for (LtxFileInfo f : list(url, 0)) {
            truth.put(f.maxTxid(), restore(url, f.maxTxid()));
        }
        return truth;
    }

    private byte[] restore(String url, long txid) throws Exception {
        Path out = tmp.resolve("restore-" + Txid.format(txid) + "-" + System.nanoTime() + ".db");
        CliRun run = CliRun.of("restore", url, "-o", out.toString(), "--txid", Txid.format(txid));
        assertThat(run.exitCode()).as("restore --txid %s: %s", Txid.format(txid), run.err()).isZero();
        byte[] bytes = Files.readAllBytes(out);
        assertThat(DemoCommand.integrityCheck(out)).isEqualTo("ok");
        Files.delete(out);
        return bytes;
    }

    private static List<LtxFileInfo> list(String url, int level) throws Exception {
        try (ReplicaClient c = ReplicaClients.open(url)) {
            return c.listFiles(level, 0, false);
        }
    }

    private static int countFiles(String url) throws Exception {
        int n = 0;
        for (int level = 0; level <= 9; level++) {
            n += list(url, level).size();
        }
        return n;
    }

    private static List<Long> txids(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":\\[([^\\]]*)]").matcher(json);
        assertThat(m.find()).as("%s in %s", key, json).isTrue();
        List<Long> out = new ArrayList<>();
        for (String s : m.group(1).split(",")) {
            if (!s.isBlank()) {
                out.add(Txid.parse(s.replace("\"", "")));
            }
        }
        return out;
    }

    private static long number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\":(\\d+)").matcher(json);
        assertThat(m.find()).as("%s in %s", key, json).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** compact, check every TXID; retain dry run (nothing changes), retain with the grace period (nothing due), then
     *  retain --apply with a tiny window: every restore point it reports restores to the ground truth. */
    void compactThenRetainKeepsEveryRetainedState(String url) throws Exception {
        Map<Long, byte[]> truth = groundTruth(url);
        assertThat(truth).hasSizeGreaterThanOrEqualTo(3);
        long latest = truth.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();

        CliRun compact = CliRun.of("compact", url, "--json");
        assertThat(compact.exitCode()).as(compact.err()).isZero();
        assertThat(compact.out()).contains("\"level\":1").contains("\"level\":9").contains("\"files_written\":1");
        assertThat(list(url, 1)).isNotEmpty();
        assertThat(list(url, 9)).singleElement().satisfies(f -> assertThat(f.maxTxid()).isEqualTo(latest));
        for (Map.Entry<Long, byte[]> e : truth.entrySet()) {
            assertThat(restore(url, e.getKey())).as("TXID %s after compact", Txid.format(e.getKey())).isEqualTo(e.getValue());
        }
        CliRun again = CliRun.of("compact", url);
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).contains("nothing to do");

        CliRun ls = CliRun.of("ltx", "ls", url, "--summary");
        assertThat(ls.exitCode()).as(ls.err()).isZero();
        assertThat(ls.out()).contains("L0 (synced)").contains("L1 (compacted)").contains("L9 (snapshots)").contains("total");

        int before = countFiles(url);
        CliRun graced = CliRun.of("retain", url, "--keep", "1ms", "--apply", "--json");
        assertThat(graced.exitCode()).as(graced.err()).isZero();
        assertThat(number(graced.out(), "files_deleted")).as("all files are younger than the 15m grace").isZero();

        CliRun dry = CliRun.of("retain", url, "--keep", "1ms", "--grace", "0s", "--json");
        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("\"applied\":false");
        long toDelete = number(dry.out(), "files_to_delete");
        assertThat(toDelete).as(dry.out()).isPositive();
        assertThat(countFiles(url)).as("a dry run deletes nothing").isEqualTo(before);
        CliRun dryText = CliRun.of("retain", url, "--keep", "1ms", "--grace", "0s");
        assertThat(dryText.out()).contains("dry run: would delete " + toDelete + " files").contains("--apply");

        CliRun apply = CliRun.of("retain", url, "--keep", "1ms", "--grace", "0s", "--apply", "--json");
        assertThat(apply.exitCode()).as(apply.err()).isZero();
        assertThat(number(apply.out(), "files_deleted")).isEqualTo(toDelete);
        assertThat(countFiles(url)).isEqualTo(before - toDelete);
        List<Long> points = txids(apply.out(), "restore_points");
        assertThat(points).contains(latest);
        for (long t : points) {
            assertThat(restore(url, t)).as("restore point %s after retain --apply", Txid.format(t)).isEqualTo(truth.get(t));
        }
        for (long t : truth.keySet()) {
            Path out = tmp.resolve("any-" + t + ".db");
            CliRun r = CliRun.of("restore", url, "-o", out.toString(), "--txid", Txid.format(t));
            if (r.exitCode() == 0) {
                assertThat(Files.readAllBytes(out)).as("TXID %s, still restorable", Txid.format(t)).isEqualTo(truth.get(t));
            } else {
                assertThat(r.err()).as("a deleted state fails clearly").isNotBlank();
            }
        }
    }

    @Test
    void compactAndRetainAReplicaWrittenByOurEngine() throws Exception {
        String url = tmp.resolve("replica").toUri().toString();
        writeWithEngine(url, Files.createDirectories(tmp.resolve("writer")), 12);
        assertThat(list(url, 0)).hasSizeGreaterThanOrEqualTo(12);
        compactThenRetainKeepsEveryRetainedState(url);
    }

    @Test
    void compactAndRetainAReplicaWrittenByTheReference() throws Exception {
        Path extension = ReferenceExtension.install();
        Path replica = tmp.resolve("ref-replica");
        String url = replica.toUri().toString();
        Map<String, String> env = Map.of("LITESTREAM_REPLICA_URL", url, "LITESTREAM_WRITE_ENABLED", "true",
                "LITESTREAM_SYNC_INTERVAL", "100ms", "LITESTREAM_BUFFER_PATH", tmp.resolve("ref-buffer").toString());
        String load = ".load '" + extension + "' sqlite3_litestreamvfs_init\n.open 'file:ref.db?vfs=litestream'\n";
        Sqlite3Cli.run(tmp, env, load + "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n")
                .requireSuccess();
        for (int session = 1; session <= 4; session++) {
            Sqlite3Cli.run(tmp, env, load + "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                    + session * 100 + ") INSERT INTO notes (body) SELECT printf('session " + session
                    + " note %d %s', i, hex(randomblob(20))) FROM n;\nDELETE FROM notes WHERE id % 5 = " + session + ";\n")
                    .requireSuccess();
        }
        assertThat(list(url, 0)).as("the reference wrote one L0 file per session").hasSizeGreaterThanOrEqualTo(3);
        compactThenRetainKeepsEveryRetainedState(url);
        // The reference still reads the replica we compacted and trimmed.
        String check = "SELECT count(*), max(id) FROM notes;\nPRAGMA integrity_check;\n";
        Path latest = tmp.resolve("latest.db");
        assertThat(CliRun.of("restore", url, "-o", latest.toString()).exitCode()).isZero();
        String fromRestore = Sqlite3Cli.run(tmp, Map.of(), ".open '" + latest + "'\n" + check).requireSuccess().stdout();
        String fromReference = Sqlite3Cli.run(tmp, Map.of("LITESTREAM_REPLICA_URL", url), load + check).requireSuccess()
                .stdout();
        assertThat(fromReference).isEqualTo(fromRestore).endsWith("ok\n");
    }

    @Test
    void lsShowsLevelsAndASummary() throws Exception {
        String url = tmp.resolve("replica").toUri().toString();
        writeWithEngine(url, Files.createDirectories(tmp.resolve("writer")), 5);
        CliRun early = CliRun.of("retain", url, "--keep", "1ms", "--grace", "0s");
        assertThat(early.exitCode()).as(early.err()).isZero();
        assertThat(early.out()).contains("would delete 0 files").contains("run 'ltx4j compact ").contains("' first");
        assertThat(CliRun.of("compact", url, "--no-snapshot", "--intervals", "30s").exitCode()).isZero();
        assertThat(list(url, 9)).isEmpty();
        assertThat(list(url, 2)).isEmpty();
        CliRun ls = CliRun.of("ltx", "ls", url);
        assertThat(ls.exitCode()).as(ls.err()).isZero();
        assertThat(ls.out()).contains("L0 (synced)").contains("L1 (compacted)");
        assertThat(ls.out().lines().filter(l -> l.startsWith("1 "))).hasSize(1);
        CliRun json = CliRun.of("ltx", "ls", url, "--json");
        assertThat(json.out()).startsWith("{\"files\":[").contains("\"levels\":[{\"level\":0,\"files\":5")
                .contains("{\"level\":1,\"files\":1");
    }

    @Test
    void badArgumentsAndUnreachableReplicasFailNamingTheUrlWithoutSecrets() throws Exception {
        CliRun noKeep = CliRun.of("retain", tmp.toUri().toString());
        assertThat(noKeep.exitCode()).isNotZero();
        assertThat(noKeep.err()).contains("--keep");
        CliRun zero = CliRun.of("retain", tmp.toUri().toString(), "--keep", "0");
        assertThat(zero.exitCode()).isEqualTo(1);
        assertThat(zero.err()).contains("--keep 0");
        CliRun badGrace = CliRun.of("retain", tmp.toUri().toString(), "--keep", "24h", "--grace", "soon");
        assertThat(badGrace.exitCode()).isEqualTo(1);
        assertThat(badGrace.err()).contains("--grace").contains("soon");
        CliRun badIntervals = CliRun.of("compact", tmp.toUri().toString(), "--intervals", "30s,fast");
        assertThat(badIntervals.exitCode()).isEqualTo(1);
        assertThat(badIntervals.err()).contains("--intervals");

        String secretUrl = "s3://bucket/db?endpoint=http://127.0.0.1:" + dev.ltx4j.conformance.SilentServer.closedPort()
                + "&region=us-east-1&X-Amz-Signature=topsecretvalue";
        System.setProperty("aws.accessKeyId", "probe");
        System.setProperty("aws.secretAccessKey", "probe-secret-key");
        try {
            for (String[] args : List.of(new String[] {"compact", secretUrl},
                    new String[] {"retain", secretUrl, "--keep", "1h"}, new String[] {"ltx", "ls", secretUrl})) {
                CliRun run = CliRun.of(args);
                assertThat(run.exitCode()).as(String.join(" ", args)).isEqualTo(1);
                assertThat(run.err()).as(run.err()).contains("bucket").contains("127.0.0.1")
                        .doesNotContain("topsecretvalue").doesNotContain("probe-secret-key");
                assertThat(run.out()).doesNotContain("topsecretvalue");
            }
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
        Path notADirectory = Files.writeString(tmp.resolve("plain-file"), "x");
        String fileUrl = notADirectory.resolve("replica").toUri().toString();
        CliRun compact = CliRun.of("compact", fileUrl);
        assertThat(compact.exitCode()).isEqualTo(1);
        assertThat(compact.err()).contains("plain-file");
    }
}
