package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sqlite3 CLI prints a replica conflict's refusals as {@code database is locked (5)}, the primary code of
 * {@code SQLITE_BUSY_SNAPSHOT} (the extension leaves a host's result-code mode alone: field probes round 9), the same
 * as a plain lock. The extension names each conflict once on stderr, with what to do; a stale snapshot between two
 * connections of the process (normal under concurrency) is not named. Rival writers are other sqlite3 processes with
 * their own buffers, started from the script with {@code .shell}.
 */
class ConflictOnStderrHostTest {
    @TempDir
    Path tmp;

    @Test
    void eachConflictIsNamedOnceOnStderrAndAStaleSnapshotIsNot() throws Exception {
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
        Path root = tmp.toRealPath();
        HostFixture dist = HostFixture.create(root, true);
        Files.createDirectories(root.resolve("replica"));
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.hostClassPath());
        String load = ".load " + dist.dist.resolve("litestream-vfs") + " " + LitestreamVfs.ENTRY_POINT + "\n";
        for (String rival : List.of("rival1", "rival2")) {
            // a new writer each time (its own buffer), starting from the replica as it is then
            Files.writeString(root.resolve(rival + ".sql"), load + open(root, rival)
                    + "insert into t values (100);\n"
                    + "select '" + rival + " synced ' || litestream_sync();\n");
        }
        Path app = root.resolve("app.db");
        String script = load + open(root, "app")
                + "create table t(x);\n"
                + "insert into t values (1);\n"
                + "select 'synced ' || litestream_sync();\n"
                // a stale snapshot: another connection of this process committed after this one began reading
                + ".connection 1\n"
                + open(root, "app")
                + "begin;\n"
                + "select 'reader sees ' || count(*) from t;\n"
                + ".connection 0\n"
                + "insert into t values (2);\n"
                + ".connection 1\n"
                + "insert into t values (3);\n"
                + "rollback;\n"
                + ".connection 0\n"
                + ".connection close 1\n"
                // a replica conflict: a rival synced on the same base; this writer's sync finds it
                + ".shell " + SQLITE3 + " -batch < " + root.resolve("rival1.sql") + "\n"
                + "insert into t values (4);\n"
                + "select litestream_sync();\n"
                + "insert into t values (5);\n"
                + "insert into t values (6);\n"
                + "pragma litestream_refresh;\n"
                + "insert into t values (7);\n"
                + "select 'synced again ' || litestream_sync();\n"
                // a second conflict
                + ".shell " + SQLITE3 + " -batch < " + root.resolve("rival2.sql") + "\n"
                + "insert into t values (8);\n"
                + "select litestream_sync();\n"
                + "insert into t values (9);\n"
                + "select 'rows ' || group_concat(x) from t;\n";
        HostFixture.Result r = run(cmd(SQLITE3, "-batch"), env, script, root);
        String all = r.out() + "\n" + r.err();
        assertThat(r.out()).as(all).contains("reader sees 1", "rival1 synced", "synced again", "rival2 synced");
        // the stale snapshot and three refused inserts: SQLite says no more than this
        assertThat(r.err().split("database is locked \\(5\\)", -1)).as(all).hasSize(5);
        List<String> named = r.err().lines().filter(l -> l.startsWith("litestream: " + app + ": replica conflict: "))
                .toList();
        assertThat(named).as(all).hasSize(2);
        for (String line : named) {
            assertThat(line).as(all).contains("database is locked", "SQLITE_BUSY_SNAPSHOT", "extended result code 517",
                    "conflict detected", "saved to", "PRAGMA litestream_refresh", "run the refused transactions again");
        }
        assertThat(named.get(0)).as("two conflicts, two lines").isNotEqualTo(named.get(1));
        assertThat(r.err()).as(all).doesNotContain("another connection committed after this transaction");
        // rows 2 and 4 lost the first conflict (saved under conflicts/, dropped by the refresh); no refresh after the
        // second: this writer still sees its unsynced row 8
        assertThat(r.out()).as(all).contains("rows 1,100,7,8");
    }

    private static String open(Path root, String name) {
        return ".open file:" + root.resolve(name + ".db") + "?vfs=litestream&write_enabled=true&sync_interval=1h"
                + "&buffer_path=" + root.resolve(name + "-buffer") + "&replica_url=" + root.resolve("replica").toUri()
                + "\n";
    }
}
