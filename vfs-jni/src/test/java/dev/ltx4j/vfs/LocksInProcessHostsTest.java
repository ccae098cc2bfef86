package dev.ltx4j.vfs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.ltx4j.vfs.HostFixture.PYTHON3;
import static dev.ltx4j.vfs.HostFixture.SQLITE3;
import static dev.ltx4j.vfs.HostFixture.cmd;
import static dev.ltx4j.vfs.HostFixture.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * SQLite's locks of a write-mode database live in the process (docs/group-commit.md, "Locks in the process"), with
 * real processes: Debian's python3 holds the write buffer with two connections; while one of them is inside a write
 * transaction the other gets SQLITE_BUSY (busy_timeout 0), and a connection in locking_mode=EXCLUSIVE keeps writers
 * from committing, exactly as with the lock file. A second process against the same buffer, the sqlite3 CLI or another
 * python3, is refused at open (the buffer is locked), so no lock ever needs to reach another process; and the
 * process holds no descriptor of the lock file at all (the old build kept one per connection and called fcntl on it
 * eight times a commit).
 */
class LocksInProcessHostsTest {
    @TempDir
    Path tmp;
    Path root;
    HostFixture dist;

    @BeforeAll
    static void hosts() {
        assumeTrue(Files.isExecutable(PYTHON3), "no /usr/bin/python3");
        assumeTrue(Files.isExecutable(SQLITE3), "no /usr/bin/sqlite3");
    }

    private Map<String, String> env() {
        Map<String, String> env = HostFixture.baseEnvironment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("LITESTREAM_CLASSPATH", Replicas.engineClassPath());
        env.put("LITESTREAM_WRITE_ENABLED", "true");
        env.put("LITESTREAM_REPLICA_URL", "file://" + root.resolve("replica"));
        env.put("LITESTREAM_SYNC_INTERVAL", "1h");
        return env;
    }

    private static final String PRELUDE = "import sqlite3, sys, subprocess, os\n"
            + "loader = sqlite3.connect(':memory:')\n"
            + "loader.enable_load_extension(True)\n"
            + "loader.load_extension(sys.argv[1])\n"
            + "loader.close()\n"
            + "root = sys.argv[2]\n"
            + "def q(c, sql):\n"
            + "    return c.execute(sql).fetchone()[0]\n"
            + "def connect():\n"
            + "    c = sqlite3.connect(f'file:{root}/app.db?vfs=litestream', uri=True, isolation_level=None)\n"
            + "    c.execute('pragma busy_timeout=0')\n"
            + "    return c\n"
            + "def attempt(c, sql):\n"
            + "    try:\n"
            + "        c.execute(sql)\n"
            + "        return 'ok'\n"
            + "    except sqlite3.OperationalError as e:\n"
            + "        return 'busy' if 'locked' in str(e) else str(e)\n";

    @Test
    void writersOfOneProcessExcludeEachOtherInMemoryAndAnotherProcessIsRefusedAtOpen() throws Exception {
        root = tmp.toRealPath();
        dist = HostFixture.create(root, false);
        Files.createDirectories(root.resolve("replica"));
        Path second = root.resolve("second.py");
        Files.writeString(second, PRELUDE
                + "c = connect()\n"
                + "print(attempt(c, \"insert into t values ('py2')\"))\n");
        Path holder = root.resolve("holder.py");
        Files.writeString(holder, PRELUDE
                + "a = connect(); b = connect()\n"
                + "a.execute('create table t(v)'); a.execute(\"insert into t values ('a')\")\n"
                + "a.execute('begin immediate'); a.execute(\"insert into t values ('a2')\")\n"
                + "print('b while a writes:', attempt(b, \"insert into t values ('b')\"))\n"
                + "print('b reads while a writes:', q(b, 'select count(*) from t'))\n"
                + "cli = subprocess.run(['" + SQLITE3 + "', '-batch'], capture_output=True, text=True,"
                + " input=f\".load {sys.argv[3]} " + LitestreamVfs.ENTRY_POINT + "\\n.open file:{root}/app.db?vfs=litestream\\n"
                + "insert into t values ('cli');\\n\")\n"
                + "print('cli:', 'refused' if 'another process' in cli.stderr else cli.stdout + cli.stderr)\n"
                + "py = subprocess.run([sys.executable, '" + second + "', sys.argv[1], root], capture_output=True, text=True)\n"
                + "print('python:', 'refused' if 'another process' in py.stderr else py.stdout + py.stderr)\n"
                + "a.execute('commit')\n"
                + "print('b after a:', attempt(b, \"insert into t values ('b')\"))\n"
                + "x = connect(); x.execute('pragma locking_mode=exclusive'); q(x, 'select count(*) from t')\n"
                + "print('b beside an exclusive reader:', attempt(b, \"insert into t values ('b2')\"))\n"
                + "x.close()\n"
                + "print('b after it:', attempt(b, \"insert into t values ('b3')\"))\n"
                + "print(q(a, 'select group_concat(v) from t'))\n"
                + "def link(d):\n"
                + "    try:\n"
                + "        return os.readlink(f'/proc/self/fd/{d}')\n"
                + "    except OSError:\n"
                + "        return ''\n" // the descriptor of the listing itself, closed by now
                + "fds = [link(d) for d in os.listdir('/proc/self/fd')]\n"
                + "print('lock file descriptors:', sum(1 for f in fds if f.endswith('.sqlite-lock') or f.endswith('-lock')))\n");
        HostFixture.Result r = run(cmd(PYTHON3, holder, dist.so, root, dist.dist.resolve("litestream-vfs")), env(), "",
                root);
        assertThat(r.out().lines()).as(r.err()).containsExactly(
                "b while a writes: busy",
                "b reads while a writes: 1",
                "cli: refused",
                "python: refused",
                "b after a: ok",
                "b beside an exclusive reader: busy",
                "b after it: ok",
                "a,a2,b,b3",
                "lock file descriptors: 0");
    }
}
