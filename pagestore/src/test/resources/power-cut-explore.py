#!/usr/bin/python3
"""Power-cut exploration with real parts (not a CI test): Debian's python3 loads litestream-vfs.so, writes durable
commits (durability local) with its buffer directory created by ltx4j (the default path under java.io.tmpdir) and a
file:// replica, both on the power-cut FUSE file system (power-cut-fuse.py beside this file); the power is cut at a
chosen mutating call (or a random one), the host dies with the machine, and after the reboot:
  * a write-mode open recovers every acknowledged commit (or says clearly why it cannot),
  * after its sync, a read-mode open of the replica (a fresh follower) holds the same rows.
The control is plain SQLite (journal_mode=WAL, synchronous=FULL) doing the same commits on the same mount.

Usage (root, /dev/fuse): power-cut-explore.py <dist dir with litestream-vfs.so and lib/> <scratch dir>
    [--points 1,5,17] [--random N] [--armon 'fsync ltx4j-buffer 2;rename ltx4j-buffer.next'] [--seed S]
    [--commits N] [--torn] [--plain] [--cli | --jdbc <sqlite-jdbc jar>]
Prints one line per cut point and a summary; exit 1 if any acknowledged commit was lost.
"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
JDBC = None  # --jdbc <jar>: the commits from Java through sqlite-jdbc
CLI = False  # --cli: the commits through /usr/bin/sqlite3 instead of python3's sqlite3 module
SCRATCH = None

HOST = r"""
import sqlite3, sys
so, db, n, plain = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "plain"
if plain:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=full")
else:
    loader = sqlite3.connect(":memory:")
    loader.enable_load_extension(True)
    loader.load_extension(so)
    loader.close()
    conn = sqlite3.connect(f"file:{db}?vfs=litestream", uri=True, isolation_level=None)
conn.execute("create table if not exists t(i integer primary key, v text)")
print("ready", flush=True)
for i in range(1, n + 1):
    conn.execute("insert into t values (?, ?)", (i, "x" * 300))
    print("acked", i, flush=True)
    if not plain and i % 4 == 0:
        conn.execute("select litestream_sync()").fetchone()
conn.close()
print("closed", flush=True)
"""

# The same commits from Java through sqlite-jdbc (--jdbc <sqlite-jdbc jar>): the VFS registered from the environment.
HOST_JAVA = r"""
import dev.ltx4j.vfs.LitestreamVfs;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

public class Host {
    public static void main(String[] a) throws Exception {
        String db = a[0];
        int n = Integer.parseInt(a[1]);
        boolean plain = a[2].equals("plain");
        String url;
        if (plain) {
            url = "jdbc:sqlite:" + db;
        } else {
            LitestreamVfs.builder().register("litestream");
            url = "jdbc:sqlite:file:" + db + "?vfs=litestream";
        }
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            if (plain) {
                s.execute("pragma journal_mode=wal");
                s.execute("pragma synchronous=full");
            }
            s.execute("create table if not exists t(i integer primary key, v text)");
            System.out.println("ready");
            for (int i = 1; i <= n; i++) {
                s.execute("insert into t values (" + i + ", printf('%.300c', 'x'))");
                System.out.println("acked " + i);
                System.out.flush();
                if (!plain && i % 4 == 0) {
                    s.executeQuery("select litestream_sync()").close();
                }
            }
        }
        System.out.println("closed");
    }
}
"""

CHECK = r"""
import sqlite3, sys
so, db, plain = sys.argv[1], sys.argv[2], sys.argv[3] == "plain"
if plain:
    conn = sqlite3.connect(db, isolation_level=None)
else:
    loader = sqlite3.connect(":memory:")
    loader.enable_load_extension(True)
    loader.load_extension(so)
    loader.close()
    conn = sqlite3.connect(f"file:{db}?vfs=litestream", uri=True, isolation_level=None)
try:
    rows = conn.execute("select count(*), coalesce(max(i), 0) from t").fetchone()
except sqlite3.OperationalError as e:
    if "no such table" not in str(e):
        raise
    rows = (0, 0)
if not plain and len(sys.argv) > 4:
    conn.execute("select litestream_sync()").fetchone()
print("rows", rows[0], rows[1], conn.execute("pragma integrity_check").fetchone()[0], flush=True)
conn.close()
"""


class Fs:
    def __init__(self, mnt, trace):
        self.mnt = mnt
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "power-cut-fuse.py"), mnt, trace],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(200):
            if (" %s " % mnt) in open("/proc/self/mounts").read():
                return
            time.sleep(0.05)
        raise SystemExit("the FUSE file system did not mount at " + mnt)

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if not answer.startswith("ok"):
            raise SystemExit("FUSE command %r answered %r" % (line, answer))
        return answer

    def ops(self):
        return int(self.cmd("status").split()[2])

    def dead(self):
        return self.cmd("status").split()[1] == "dead"

    def close(self):
        subprocess.call(["fusermount", "-u", "-z", self.mnt])
        self.proc.wait(10)


def durable_dir(path):
    os.makedirs(path, exist_ok=True)
    fd = os.open(os.path.dirname(path), os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def env_for(run, write):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITESTREAM_")}
    env.update({"LITESTREAM_REPLICA_URL": "file://" + os.path.join(run, "replica"),
                "LITESTREAM_WRITE_ENABLED": "true" if write else "false",
                "LITESTREAM_DURABILITY": "local", "LITESTREAM_SYNC_INTERVAL": "1h",
                "LITESTREAM_COMPACTION_INTERVALS": "1s", "LITESTREAM_RETENTION": "0",
                # the default buffer path: <tmpdir>/ltx4j-<user>/, a directory ltx4j creates itself
                "LITESTREAM_JVM_OPTS": "-Djava.io.tmpdir=" + os.path.join(run, "tmp" if write else "tmp-follower")})
    return env


def cli_script(so, db, n, plain, acks):
    """The same commits through the sqlite3 CLI; each acknowledgement is appended to a file off the mount."""
    lines = [] if plain else [".load " + so]
    lines.append(".open " + (db if plain else "file:%s?vfs=litestream" % db))
    if plain:
        lines += ["pragma journal_mode=wal;", "pragma synchronous=full;"]
    lines.append("create table if not exists t(i integer primary key, v text);")
    for i in range(1, n + 1):
        lines.append("insert into t values (%d, printf('%%.300c', 'x'));" % i)
        lines.append(".system echo acked %d >> %s" % (i, acks))
        if not plain and i % 4 == 0:
            lines.append("select litestream_sync();")
    return "\n".join(lines) + "\n"


def host(so, db, n, plain, env, fs):
    """Runs the host until it ends or the machine dies; returns the acknowledged count and its output."""
    if JDBC:
        source = os.path.join(SCRATCH, "Host.java")
        with open(source, "w") as f:
            f.write(HOST_JAVA)
        cp = os.path.join(os.path.dirname(so), "lib", "*") + ":" + JDBC
        tmp = env["LITESTREAM_JVM_OPTS"].split("=", 1)[1]
        p = subprocess.Popen(["java", "-Djava.io.tmpdir=" + tmp, "-cp", cp, source, db, str(n),
                              "plain" if plain else "vfs"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    elif CLI:
        acks = os.path.join(SCRATCH, "acks")
        open(acks, "w").close()
        p = subprocess.Popen(["/usr/bin/sqlite3", "-bail"], env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p.stdin.write(cli_script(so, db, n, plain, acks))
        p.stdin.close()
    else:
        p = subprocess.Popen(["/usr/bin/python3", "-c", HOST, so, db, str(n), "plain" if plain else "vfs"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(p.stdout), daemon=True)
    reader.start()
    while p.poll() is None and not fs.dead():
        time.sleep(0.02)
    if p.poll() is None:
        time.sleep(0.05)
        p.send_signal(signal.SIGKILL)  # the host dies with the machine
    p.wait()
    reader.join(5)
    if CLI:
        lines = open(os.path.join(SCRATCH, "acks")).readlines()
    acked = max([int(l.split()[1]) for l in lines if l.startswith("acked ")] or [0])
    return acked, "".join(lines) + (p.stderr.read() or "")


def check(so, db, plain, env, sync=False):
    args = ["/usr/bin/python3", "-c", CHECK, so, db, "plain" if plain else "vfs"] + (["sync"] if sync else [])
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    for line in r.stdout.splitlines():
        if line.startswith("rows "):
            _, count, top, integrity = line.split()
            return int(count), int(top), integrity, r.stderr
    return None, None, None, (r.stdout + r.stderr).strip()


def run_point(fs, so, base, name, arm, commits, plain):
    run = os.path.join(base, name)
    durable_dir(run)
    durable_dir(os.path.join(run, "tmp"))
    durable_dir(os.path.join(run, "tmp-follower"))
    db = os.path.join(run, "plain.db") if plain else "app.db"
    before = fs.ops()
    if arm:
        fs.cmd(arm)
    acked, out = host(so, db, commits, plain, env_for(run, True), fs)
    calls = fs.ops() - before
    if not fs.dead():
        fs.cmd("cut")
    fs.cmd("revive")
    count, top, integrity, err = check(so, db, plain, env_for(run, True), sync=not plain)
    lost = count is None or top < acked or integrity != "ok"
    line = "%s %s: acked %d, after reopen rows %s (max %s) %s" % (name, arm or "end", acked, count, top, integrity)
    if count is None:
        line += " REOPEN FAILED: " + err[-600:]
    if not plain and count is not None:
        fcount, ftop, fint, ferr = check(so, db, False, env_for(run, False))
        line += "; follower rows %s (max %s)" % (fcount, ftop)
        if fcount is None and count == 0 and "creates it" in ferr:
            line += " (no replica yet: nothing was synced)"
        elif fcount != count or ftop != top:
            lost = True
            line += " REPLICA DIFFERS " + ferr[-300:]
    return lost, line, calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dist")
    ap.add_argument("scratch")
    ap.add_argument("--points", default="")
    ap.add_argument("--random", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--commits", type=int, default=10)
    ap.add_argument("--torn", action="store_true")
    ap.add_argument("--armon", default="", help="targeted cuts, ';'-separated: '<op> <path text> [<skip>]', e.g."
                    " 'fsync ltx4j-buffer 2' (after the third fsync of the buffer: its second commit)")
    ap.add_argument("--plain", action="store_true", help="the control: plain SQLite WAL/FULL")
    ap.add_argument("--jdbc", default=None, help="the host is Java with this sqlite-jdbc jar (the checks stay in python3)")
    ap.add_argument("--cli", action="store_true", help="the host is /usr/bin/sqlite3 (the checks stay in python3)")
    a = ap.parse_args()
    global CLI, SCRATCH, JDBC
    CLI, SCRATCH, JDBC = a.cli, os.path.abspath(a.scratch), a.jdbc
    so = os.path.join(os.path.abspath(a.dist), "litestream-vfs.so")
    mnt = os.path.join(a.scratch, "mnt")
    os.makedirs(mnt, exist_ok=True)
    fs = Fs(mnt, os.path.join(a.scratch, "trace"))
    failures = 0
    try:
        base = os.path.join(mnt, "runs")
        durable_dir(base)
        _, line, calls = run_point(fs, so, base, "count", None, a.commits, a.plain)
        print(line, "(%d mutating calls by the host)" % calls, flush=True)
        rng = random.Random(a.seed)
        points = [int(p) for p in a.points.split(",") if p] + [rng.randint(1, calls) for _ in range(a.random)]
        for i, k in enumerate(points):
            torn = " torn %d" % (a.seed * 1000 + k) if a.torn else ""
            lost, line, _ = run_point(fs, so, base, "cut-%d-%d" % (k, i), "arm %d%s" % (k, torn), a.commits, a.plain)
            failures += lost
            print(("LOST " if lost else "ok   ") + line, flush=True)
        for i, spec in enumerate([p.strip() for p in a.armon.split(";") if p.strip()]):
            lost, line, _ = run_point(fs, so, base, "on-%d" % i, "armon " + spec, a.commits, a.plain)
            failures += lost
            points.append(spec)
            print(("LOST " if lost else "ok   ") + line, flush=True)
    finally:
        fs.close()
    print("%d of %d cut points lost an acknowledged commit or differed" % (failures, len(points)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
