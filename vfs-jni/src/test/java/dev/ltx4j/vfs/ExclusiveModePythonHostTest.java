package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ExclusiveModeCommitsTest} through Debian's python3 and litestream-vfs.so: two connections of one process to a
 * write-mode database, one in locking_mode=EXCLUSIVE committing three times; the other's next commit must keep them
 * (docs/concurrent-readers.md, "Change counter of another state").
 */
class ExclusiveModePythonHostTest {
    @TempDir
    Path tmp;

    @Test
    void theOtherConnectionsCommitKeepsTheExclusiveConnectionsRows() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        Path root = tmp.toRealPath();
        HostFixture dist = HostFixture.create(root, false);
        Files.createDirectories(root.resolve("replica"));
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.engineClassPath());
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.put("LITESTREAM_REPLICA_URL", "file://" + root.resolve("replica"));
        env.put("LITESTREAM_SYNC_INTERVAL", "1h");
        Path script = root.resolve("excl.py");
        Files.writeString(script, "import sqlite3, sys\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "loader.close()\n"
                + "url = f'file:{sys.argv[2]}/app.db?vfs=litestream'\n"
                + "def connect():\n"
                + "    return sqlite3.connect(url, uri=True, isolation_level=None, timeout=5)\n"
                + "def q(c, sql):\n"
                + "    return c.execute(sql).fetchone()[0]\n"
                + "y = connect()\n"
                + "y.execute('create table t(id integer primary key, v text)')\n"
                + "y.execute(\"insert into t(v) values ('y0')\")\n"
                + "x = connect()\n"
                + "x.execute('pragma locking_mode = exclusive')\n"
                + "x.execute(\"insert into t(v) values ('x1')\")\n"
                + "print(q(y, 'select count(*) from t'))\n"
                + "x.execute(\"insert into t(v) values ('x2')\")\n"
                + "x.execute(\"insert into t(v) values ('x3')\")\n"
                + "x.close()\n"
                + "y.execute(\"insert into t(v) values ('y4')\")\n"
                + "print(q(y, 'select count(*) from t'))\n"
                + "z = connect()\n"
                + "print(q(z, \"select group_concat(v, ',') from (select v from t order by id)\"))\n"
                + "print(q(z, 'pragma integrity_check'))\n"
                + "z.close(); y.close()\n");
        HostFixture.Result r = run(cmd(PYTHON3, script, dist.so, root), env, "", root);
        assertThat(r.out().lines()).as(r.err()).containsExactly("2", "5", "y0,x1,x2,x3,y4", "ok");
    }
}
