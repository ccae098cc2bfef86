package dev.ltx4j.vfs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Debian's python3 (sqlite3 module, SQLite 3.40) loads litestream-vfs.so; a JVM is booted inside it. */
class PythonHostTest {
    private static final String JDBC_VFS = "pytest";

    @TempDir
    static Path root;
    static HostFixture dist;

    @BeforeAll
    static void layout() throws Exception {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        HostFixture.Result probe = run(cmd(PYTHON3, "-c",
                "import sqlite3; sqlite3.connect(':memory:').enable_load_extension(True); print('ok')"),
                HostFixture.baseEnvironment(), "", Files.createTempDirectory("probe"));
        assumeTrue(probe.out().strip().equals("ok"), "this python3 cannot load extensions");
        dist = HostFixture.create(root, true);
        LitestreamVfs.register(JDBC_VFS, LocalFileDatabase.opener());
    }

    private static String prelude() {
        return "import sqlite3, sys, threading\n"
                + "loader = sqlite3.connect(':memory:')\n"
                + "loader.enable_load_extension(True)\n"
                + "loader.load_extension(sys.argv[1])\n"  // default entry point derived from litestream-vfs.so
                + "loader.close()\n"
                + "db = sys.argv[2]\n";
    }

    @Test
    void pythonWritesFromThreadsAndReadsBack() throws Exception {
        Path db = root.resolve("py.db");
        Path script = root.resolve("app.py");
        Files.writeString(script, prelude()
                + "conn = sqlite3.connect(f'file:{db}?vfs=litestream', uri=True)\n"
                + "conn.execute('create table logs(id integer primary key, thread int, msg text)')\n"
                + "conn.execute('insert into logs(thread, msg) values (?, ?)', (-1, 'Application started'))\n"
                + "conn.commit()\n"
                + "def work(n):\n"
                + "    c = sqlite3.connect(f'file:{db}?vfs=litestream', uri=True, timeout=30)\n"
                + "    for i in range(25):\n"
                + "        c.execute('insert into logs(thread, msg) values (?, ?)', (n, f'm{i}'))\n"
                + "        c.commit()\n"
                + "    c.close()\n"
                + "ts = [threading.Thread(target=work, args=(n,)) for n in range(4)]\n"
                + "[t.start() for t in ts]\n"
                + "[t.join() for t in ts]\n"
                + "print(conn.execute('select count(*) from logs').fetchone()[0])\n"
                + "print(conn.execute('select msg from logs where thread = -1').fetchone()[0])\n"
                + "print(conn.execute('select litestream_txid(), litestream_lag()').fetchone())\n"
                + "print(conn.execute('pragma integrity_check').fetchone()[0])\n");
        HostFixture.Result r = run(cmd(PYTHON3, script, dist.so, db), HostFixture.testEnvironment(), "", root);
        assertThat(r.err()).isEmpty();
        assertThat(r.out().lines()).containsExactly("101", "Application started", "('0000000000000000', -1)", "ok");
        try (Connection plain = Sql.plain(db)) {
            assertThat(Sql.number(plain, "select count(*) from logs")).isEqualTo(101);
        }
    }

    /**
     * Each Python thread that touches the VFS is attached to the embedded JVM once and detached when it exits
     * (litestreamvfs.c, env_get and its thread-exit destructor): 200 short-lived threads committing once each leave
     * no Java threads behind. Read from the JVM's own counters (jstat reads its perf data file, no attach), which
     * also show the embedded JVM's options (docs/durable-commit-cost.md, "Session 11").
     */
    @Test
    void shortLivedPythonThreadsAreDetachedWhenTheyExit() throws Exception {
        Path jstat = Path.of(System.getProperty("java.home"), "bin", "jstat");
        assumeTrue(Files.isExecutable(jstat), "no jstat in " + jstat.getParent());
        Path db = root.resolve("threads.db");
        Path script = root.resolve("threads.py");
        Files.writeString(script, prelude()
                + "import os, subprocess\n"
                + "conn = sqlite3.connect(f'file:{db}?vfs=litestream', uri=True, isolation_level=None)\n"
                + "conn.execute('create table t(n int)')\n"
                + "def once(n):\n"
                + "    c = sqlite3.connect(f'file:{db}?vfs=litestream', uri=True, isolation_level=None, timeout=30)\n"
                + "    c.execute('insert into t values (?)', (n,))\n"
                + "    c.close()\n"
                + "for b in range(10):\n"
                + "    ts = [threading.Thread(target=once, args=(b * 20 + i,)) for i in range(20)]\n"
                + "    [t.start() for t in ts]\n"
                + "    [t.join() for t in ts]\n"
                + "print(conn.execute('select count(*) from t').fetchone()[0])\n"
                + "snap = subprocess.run([sys.argv[3], '-J-Djstat.showUnsupported=true', '-snap', str(os.getpid())],\n"
                + "                      capture_output=True, text=True)\n"
                + "print(snap.stderr, file=sys.stderr)\n"
                + "for line in snap.stdout.splitlines():\n"
                + "    if line.startswith(('java.threads.live=', 'java.rt.vmArgs=')): print(line)\n");
        HostFixture.Result r = run(cmd(PYTHON3, script, dist.so, db, jstat), HostFixture.testEnvironment(), "", root);
        assertThat(r.err().strip()).isEmpty();
        List<String> out = r.out().lines().toList();
        assertThat(out).hasSize(3).first().isEqualTo("200");
        String live = out.stream().filter(l -> l.startsWith("java.threads.live=")).findFirst().orElseThrow();
        // The JVM's own threads, the engine's, and python's main thread; 200 more if the exited ones stayed attached
        // (a bound near 100: many-core machines run more GC and compiler threads).
        assertThat(Integer.parseInt(live.substring(live.indexOf('=') + 1))).isBetween(1, 100);
        // A host's JVM compiles with C1 early, for short scripts (litestreamvfs.c, boot_thread).
        assertThat(out).anySatisfy(l -> assertThat(l).startsWith("java.rt.vmArgs=")
                .contains("-XX:Tier3InvocationThreshold=20"));
    }

    @Test
    void aWriteLockHeldInAnotherProcessGivesSqliteBusy() throws Exception {
        Path db = root.resolve("shared.db");
        try (Connection c = Sql.open(db, JDBC_VFS)) {
            Sql.exec(c, "create table t(who text)");
        }
        Path script = root.resolve("holder.py");
        Files.writeString(script, prelude()
                + "conn = sqlite3.connect(f'file:{db}?vfs=litestream', uri=True, isolation_level=None)\n"
                + "conn.execute('begin immediate')\n"
                + "conn.execute(\"insert into t values ('python')\")\n"
                + "print('held', flush=True)\n"
                + "sys.stdin.readline()\n"
                + "conn.execute('commit')\n"
                + "print('committed', flush=True)\n");
        ProcessBuilder pb = new ProcessBuilder(cmd(PYTHON3, script, dist.so, db)).directory(root.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().clear();
        pb.environment().putAll(HostFixture.testEnvironment());
        Process holder = pb.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
             OutputStream in = holder.getOutputStream();
             Connection c = Sql.open(db, JDBC_VFS)) {
            assertThat(out.readLine()).isEqualTo("held");
            Sql.exec(c, "pragma busy_timeout=0");
            assertThatThrownBy(() -> Sql.exec(c, "insert into t values ('jdbc')"))
                    .isInstanceOfSatisfying(SQLiteException.class,
                            e -> assertThat(e.getResultCode()).isEqualTo(SQLiteErrorCode.SQLITE_BUSY));
            in.write('\n');
            in.flush();
            assertThat(out.readLine()).isEqualTo("committed");
            Sql.exec(c, "insert into t values ('jdbc')");
            assertThat(Sql.text(c, "select group_concat(who, ',') from t")).isEqualTo("python,jdbc");
        } finally {
            assertThat(holder.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(holder.exitValue()).isZero();
    }
}
