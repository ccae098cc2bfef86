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
 * Python's sqlite3 picks an exception class from the connection's primary result code. A litestream connection
 * must raise the classes a plain one raises ({@code IntegrityError} for a duplicate key, {@code OperationalError}
 * for a stale snapshot), while {@code sqlite_errorcode} still carries the extended code (1555, 517). The extension
 * once switched its connections to extended result codes, which turned each of these into a bare
 * {@code DatabaseError} (field probes round 9).
 */
class PythonErrorClassesHostTest {
    @TempDir
    Path tmp;

    @Test
    void aLitestreamConnectionRaisesThePlainExceptionClassesWithExtendedCodes() throws Exception {
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
        Path script = root.resolve("errors.py");
        Files.writeString(script, "import sqlite3, sys\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"
                + "loader.close()\n"
                + "def connect(url):\n"
                + "    return sqlite3.connect(url, uri=True, isolation_level=None, timeout=5)\n"
                + "def show(c, sql):\n"
                + "    try:\n"
                + "        c.execute(sql)\n"
                + "        print('no error')\n"
                + "    except sqlite3.Error as e:\n"
                + "        print(type(e).__name__, e.sqlite_errorcode)\n"
                + "for url in (f'{sys.argv[2]}/plain.db', f'file:{sys.argv[2]}/app.db?vfs=litestream'):\n"
                + "    a = connect(url)\n"
                + "    a.execute('create table t(id integer primary key, v text not null)')\n"
                + "    a.execute(\"insert into t values (1, 'a')\")\n"
                + "    show(a, \"insert into t values (1, 'b')\")\n"
                + "    show(a, 'insert into t values (2, null)')\n"
                + "    if 'litestream' in url:\n"
                + "        b = connect(url)\n"
                + "        b.execute('begin')\n"
                + "        b.execute('select count(*) from t').fetchone()\n"
                + "        a.execute(\"insert into t values (3, 'c')\")\n"
                + "        show(b, \"insert into t values (4, 'd')\")\n"
                + "        b.execute('rollback')\n"
                + "        b.close()\n"
                + "    print(a.execute('select count(*) from t').fetchone()[0])\n"
                + "    a.close()\n");
        HostFixture.Result r = run(cmd(PYTHON3, script, dist.so, root), env, "", root);
        // a plain rollback-journal reader would block the writer instead: the stale snapshot is litestream's only
        assertThat(r.out().lines()).as(r.err()).containsExactly(
                "IntegrityError 1555", "IntegrityError 1299", "1",
                "IntegrityError 1555", "IntegrityError 1299", "OperationalError 517", "2");
        // a stale snapshot between connections of the process is no replica conflict: stderr names none
        assertThat(r.err()).doesNotContain("replica conflict");
    }
}
