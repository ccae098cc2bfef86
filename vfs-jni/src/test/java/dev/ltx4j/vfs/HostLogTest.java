package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LITESTREAM_LOG_LEVEL and LITESTREAM_LOG_FILE route the engine's SLF4J events in a sqlite3 host; unset, silence. */
class HostLogTest {
    @TempDir
    static Path root;
    static HostFixture dist;

    @BeforeAll
    static void layout() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        dist = HostFixture.create(root, true);
    }

    private String writeAndSync(String name) {
        return ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                + ".open file:" + root.resolve(name + ".db") + "?vfs=litestream&write_enabled=true"
                + "&buffer_path=" + root.resolve(name + "-buffer")
                + "&replica_url=" + root.resolve(name + "-replica").toUri() + "\n"
                + "create table t(id integer primary key, v text);\n"
                + "insert into t(v) values ('a'), ('b');\n"
                + "select litestream_sync();\n";
    }

    private static Map<String, String> env() throws Exception {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath()); // the engine, its backends, the host provider
        return env;
    }

    @Test
    void unsetTheHostStaysSilent() throws Exception {
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env(), writeAndSync("quiet"), root);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void debugGoesToStderrWithTheSyncDetails() throws Exception {
        Map<String, String> env = env();
        env.put("LITESTREAM_LOG_LEVEL", "debug");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, writeAndSync("stderr"), root);
        assertThat(r.err()).containsPattern("\\d{4}-\\d\\d-\\d\\dT\\S+ DEBUG dev\\.ltx4j\\.syncer\\.Database database "
                + "\"\\S*stderr\\.db\": synced TXID 0000000000000001 \\(\\d+ pages, \\d+ bytes\\) in \\d+ ms");
        assertThat(r.out()).doesNotContain("DEBUG"); // stdout is the host's
    }

    @Test
    void atTraceAnUnreachableS3ReplicaIsLoggedWithoutItsCredentials() throws Exception {
        int port;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            port = closed.getLocalPort(); // nothing listens there once closed: connections are refused
        }
        Map<String, String> env = env();
        env.put("LITESTREAM_LOG_LEVEL", "trace");
        env.put("AWS_ACCESS_KEY_ID", "AKIDPROBEKEY");
        env.put("AWS_SECRET_ACCESS_KEY", "probe-secret-value");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env,
                ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                        + ".open file:" + root.resolve("s3.db") + "?vfs=litestream"
                        + "&replica_url=s3://bkt/db?endpoint=http://127.0.0.1:" + port + "\n"
                        + "select count(*) from sqlite_schema;\n", root);
        assertThat(r.err()).contains("127.0.0.1:" + port)
                .contains("INFO dev.ltx4j.replica.RetryingReplicaClient replica request failed (attempt 1 of");
        assertThat(r.err()).doesNotContain("probe-secret-value", "AKIDPROBEKEY");
    }

    @Test
    void aLogFileGetsInfoAndAboveWhenNoLevelIsSet() throws Exception {
        Path log = root.resolve("host.log");
        Map<String, String> env = env();
        env.put("LITESTREAM_LOG_FILE", log.toString());
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, writeAndSync("file"), root);
        assertThat(r.err()).isEmpty();
        // The sync itself is debug; a conflict-free run at info logs nothing, and the file is created only on demand.
        assertThat(Files.exists(log) ? Files.readString(log) : "").doesNotContain("DEBUG");
        env.put("LITESTREAM_LOG_LEVEL", "DEBUG");
        run(cmd(SQLITE3, "-batch"), env, writeAndSync("file2"), root);
        assertThat(Files.readString(log)).contains("DEBUG dev.ltx4j.syncer.Database", "synced TXID 0000000000000001");
    }

    /**
     * A compaction outage as an on-call engineer reads it: one warn naming the database when it starts, one info when
     * it ends; not a warn per attempt from the compactor besides (before: both, every attempt, without the name).
     */
    @Test
    void aCompactionOutageIsOneWarnAndOneRecoveryLine() throws Exception {
        Path replica = root.resolve("outage-replica");
        Path level1 = replica.resolve("ltx").resolve("1");
        Map<String, String> env = env();
        env.put("LITESTREAM_LOG_LEVEL", "info");
        String script = ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                + ".open file:" + root.resolve("outage.db") + "?vfs=litestream&write_enabled=true"
                + "&buffer_path=" + root.resolve("outage-buffer") + "&replica_url=" + replica.toUri()
                + "&sync_interval=50ms&compaction_intervals=100ms&snapshot_interval=0&retention=0\n"
                + "create table t(id integer primary key, v text);\n"
                + "select litestream_sync();\n"
                // A file where level 1's directory belongs: every compaction into L1 fails, syncs go on.
                // (again if the compactor made the directory anew between the two commands)
                + ".system until rm -rf " + level1 + " && touch " + level1 + " && test -f " + level1 + "; do :; done\n"
                + "insert into t(v) values ('a');\nselect litestream_sync();\n"
                // Longer than the replica client's retries of one request (a file where a directory belongs is
                // retried as transient: 8 attempts, 6 to 13 s), so a compaction fails at least once.
                + ".system sleep 14\n"
                + "insert into t(v) values ('b');\nselect litestream_sync();\n"
                + ".system sleep 1\n"
                + ".system rm -f " + level1 + "\n"
                + "insert into t(v) values ('c');\nselect litestream_sync();\n"
                + ".system sleep 1\n";
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, script, root);
        String log = r.err();
        assertThat(log).as(log).contains("compaction into L1 works again");
        assertThat(log.lines().filter(l -> l.contains(" WARN ")).toList()).as(log)
                .singleElement().asString()
                .contains("database \"" + root.resolve("outage.db") + "\": compaction into L1 failed:", "retrying when due");
        assertThat(log).doesNotContain("dev.ltx4j.compaction.Compactor");
        assertThat(log.lines().filter(l -> l.contains("RetryingReplicaClient")).count()).as(log).isLessThanOrEqualTo(1);
    }

    /** An unreachable replica at info: the first retry of the streak, not every one (before: a line per attempt). */
    @Test
    void retriesOfAnUnreachableReplicaAreOneInfoLine() throws Exception {
        int port;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            port = closed.getLocalPort();
        }
        Map<String, String> env = env();
        env.put("LITESTREAM_LOG_LEVEL", "info");
        env.put("AWS_ACCESS_KEY_ID", "AKIDPROBEKEY");
        env.put("AWS_SECRET_ACCESS_KEY", "probe-secret-value");
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env,
                ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n"
                        + ".open file:" + root.resolve("s3-info.db") + "?vfs=litestream"
                        + "&replica_url=s3://bkt/db?endpoint=http://127.0.0.1:" + port + "\n"
                        + "select count(*) from sqlite_schema;\n", root);
        String log = r.err();
        assertThat(log.lines().filter(l -> l.contains("RetryingReplicaClient")).toList()).as(log).singleElement()
                .asString().contains("INFO", "attempt 1 of", "127.0.0.1:" + port,
                        "at most once a minute");
        assertThat(log).doesNotContain("probe-secret-value", "AKIDPROBEKEY");
    }
}
