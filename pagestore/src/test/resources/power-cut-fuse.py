#!/usr/bin/python3
"""A FUSE file system that forgets what was not made durable, as a power cut does (after LazyFS).

Usage: power-cut-fuse.py <mount point> [<trace file>]. Foreground; ends at unmount. Everything is in memory.

Each file keeps its durable contents (as of its last fsync/fdatasync) beside its current ones and the writes and
truncates since then; each directory keeps its durable entries (as of its last fsync of the directory) beside its
current ones. Strict POSIX, not what ext4's journal happens to do: a new file's or directory's name, a rename and an
unlink last only once their directory is fsynced; a file's bytes, size and mtime only once it is fsynced (fdatasync:
bytes and size only). A torn cut keeps a prefix of a directory's unsynced changes, stricter than Linux, which may keep
any subset. The file system unmounts itself and exits when its stdin closes (the test's JVM died).

Commands, one a line on stdin; each answers one line on stdout:
  cut [torn <seed>]      power cut now: every file and directory goes back to its durable state (with "torn": per file
                         a random prefix of its unsynced writes survives, the last one torn at a random byte; per
                         directory a random prefix of its unsynced changes). Then the machine is dead: every call
                         fails with EIO until "revive", and handles opened before the cut fail for ever.
  arm <n> [torn <seed>]  cut right after the n-th mutating call from now (1 = the next one)
  armon <op> <text> [<skip>] [torn <seed>]  cut right after the (skip+1)-th call <op> (write, fsync, fsyncdir, create,
                         mkdir, rename, unlink, link, truncate, rmdir, utimens, chmod) whose path contains <text>
  revive                 reboot: calls work again (on the state the cut left)
  failsync <text> <n>    the next n fsyncdir calls whose path contains <text> fail with EIO
  status                 "alive <mutating calls so far> <cuts>" or "dead ..."
Answers: "ok ..." or "error ...". A cut by arm/armon prints nothing; "status" shows it.
"""
import errno
import os
import random
import stat
import sys
import threading
import time

import fusepy

LOCK = threading.Lock()


class Inode:
    def __init__(self, mode, is_dir):
        now = time.time()
        self.mode = mode
        self.is_dir = is_dir
        self.mtime = now
        self.d_mtime = now
        self.d_mode = mode
        if is_dir:
            self.entries = {}
            self.d_entries = {}
            self.pending = []  # (name, inode or None), in order, since the last fsync of this directory
        else:
            self.data = bytearray()
            self.d_data = bytes()
            self.pending = []  # ("w", offset, bytes) or ("t", size), since the last fsync of this file

    def sync(self, datasync=False):
        if not datasync:  # fdatasync makes the data and size durable, not mtime or mode (as on Linux)
            self.d_mtime, self.d_mode = self.mtime, self.mode
        if self.is_dir:
            self.d_entries = dict(self.entries)
        else:
            self.d_data = bytes(self.data)
        self.pending = []


class PowerCut(fusepy.Operations):
    def __init__(self, trace=None):
        self.root = Inode(stat.S_IFDIR | 0o755, True)
        self.root.sync()
        self.dead = False
        self.gen = 1
        self.handles = {}  # fh -> (generation, inode)
        self.next_fh = 1
        self.ops = 0
        self.cuts = 0
        self.arm = None  # (remaining count, op or None, text or None, torn seed or None)
        self.failsync = None  # (path text, calls left to fail)
        self.trace = open(trace, "a", buffering=1) if trace else None

    # --- the crash model -----------------------------------------------------------------------------------------

    def cut(self, seed):
        rng = random.Random(seed) if seed is not None else None
        seen = set()
        self._cut(self.root, rng, seen)
        self.dead = True
        self.gen += 1
        self.handles.clear()
        self.cuts += 1
        self.arm = None
        if self.trace:
            self.trace.write("CUT %s\n" % ("torn %d" % seed if seed is not None else "clean"))

    def _cut(self, node, rng, seen):
        if id(node) in seen:
            return
        seen.add(id(node))
        kept = node.pending[:rng.randint(0, len(node.pending))] if rng and node.pending else []
        node.mtime, node.mode = node.d_mtime, node.d_mode
        if node.is_dir:
            node.entries = dict(node.d_entries)
            for name, child in kept:
                if child is None:
                    node.entries.pop(name, None)
                else:
                    node.entries[name] = child
            node.sync()
            for child in list(node.entries.values()):
                self._cut(child, rng, seen)
        else:
            data = bytearray(node.d_data)
            for i, op in enumerate(kept):
                if op[0] == "t":
                    del data[op[1]:]
                    data.extend(bytes(max(0, op[1] - len(data))))
                else:
                    _, off, buf = op
                    if i == len(kept) - 1 and len(buf) > 1:
                        buf = buf[:rng.randint(1, len(buf) - 1)]  # the last write torn, at any byte
                    if off > len(data):
                        data.extend(bytes(off - len(data)))
                    data[off:off + len(buf)] = buf
            node.data = data
            node.sync()

    def mutated(self, op, path):
        self.ops += 1
        if self.trace:
            self.trace.write("%d %s %s\n" % (self.ops, op, path))
        if self.arm is None:
            return
        left, want_op, text, seed = self.arm
        if want_op is not None and (op != want_op or text not in path):
            return
        if left > 1:
            self.arm = (left - 1, want_op, text, seed)
            return
        self.cut(seed)

    # --- helpers -----------------------------------------------------------------------------------------------

    def alive(self):
        if self.dead:
            raise fusepy.FuseOSError(errno.EIO)

    def lookup(self, path):
        node = self.root
        for part in [p for p in path.split("/") if p]:
            if not node.is_dir or part not in node.entries:
                raise fusepy.FuseOSError(errno.ENOENT)
            node = node.entries[part]
        return node

    def parent(self, path):
        head, name = path.rstrip("/").rsplit("/", 1)
        node = self.lookup(head or "/")
        if not node.is_dir:
            raise fusepy.FuseOSError(errno.ENOTDIR)
        return node, name

    def handle(self, fh):
        entry = self.handles.get(fh)
        if entry is None or entry[0] != self.gen:
            raise fusepy.FuseOSError(errno.EIO)  # opened before a cut
        return entry[1]

    def new_fh(self, node):
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = (self.gen, node)
        return fh

    def set_entry(self, d, name, node):
        if node is None:
            del d.entries[name]
        else:
            d.entries[name] = node
        d.pending.append((name, node))
        d.mtime = time.time()

    # --- FUSE ----------------------------------------------------------------------------------------------------

    def __call__(self, op, *args):
        with LOCK:
            return super().__call__(op, *args)

    def getattr(self, path, fh=None):
        self.alive()
        node = self.handle(fh) if fh is not None and fh in self.handles else self.lookup(path)
        size = 4096 if node.is_dir else len(node.data)
        return {"st_mode": node.mode, "st_nlink": 2 if node.is_dir else 1, "st_size": size, "st_uid": os.getuid(),
                "st_gid": os.getgid(), "st_atime": node.mtime, "st_mtime": node.mtime, "st_ctime": node.mtime,
                "st_blocks": (size + 511) // 512}

    def access(self, path, mode):
        self.alive()
        self.lookup(path)

    def statfs(self, path):
        return {"f_bsize": 4096, "f_frsize": 4096, "f_blocks": 1 << 20, "f_bfree": 1 << 19, "f_bavail": 1 << 19,
                "f_files": 1 << 16, "f_ffree": 1 << 15, "f_favail": 1 << 15, "f_namemax": 255}

    def readdir(self, path, fh):
        self.alive()
        return [".", ".."] + list(self.lookup(path).entries)

    def opendir(self, path):
        self.alive()
        node = self.lookup(path)
        return self.new_fh(node)

    def releasedir(self, path, fh):
        self.handles.pop(fh, None)
        return 0

    def fsyncdir(self, path, datasync, fh):
        self.alive()
        if self.failsync and self.failsync[0] in path and self.failsync[1] > 0:
            self.failsync = (self.failsync[0], self.failsync[1] - 1)
            raise fusepy.FuseOSError(errno.EIO)
        self.handle(fh).sync()
        self.mutated("fsyncdir", path)
        return 0

    def mkdir(self, path, mode):
        self.alive()
        d, name = self.parent(path)
        if name in d.entries:
            raise fusepy.FuseOSError(errno.EEXIST)
        self.set_entry(d, name, Inode(stat.S_IFDIR | (mode & 0o7777), True))
        self.mutated("mkdir", path)

    def rmdir(self, path):
        self.alive()
        d, name = self.parent(path)
        node = self.lookup(path)
        if node.entries:
            raise fusepy.FuseOSError(errno.ENOTEMPTY)
        self.set_entry(d, name, None)
        self.mutated("rmdir", path)

    def create(self, path, mode, fi=None):
        self.alive()
        d, name = self.parent(path)
        if name in d.entries:
            node = d.entries[name]
        else:
            node = Inode(stat.S_IFREG | (mode & 0o7777), False)
            self.set_entry(d, name, node)
            self.mutated("create", path)
        return self.new_fh(node)

    def open(self, path, flags):
        self.alive()
        node = self.lookup(path)
        if flags & os.O_TRUNC and node.data:
            self._truncate(node, 0, path)
        return self.new_fh(node)

    def release(self, path, fh):
        self.handles.pop(fh, None)
        return 0

    def flush(self, path, fh):
        return 0

    def read(self, path, size, offset, fh):
        self.alive()
        return bytes(self.handle(fh).data[offset:offset + size])

    def write(self, path, data, offset, fh):
        self.alive()
        node = self.handle(fh)
        if offset > len(node.data):
            node.data.extend(bytes(offset - len(node.data)))
        node.data[offset:offset + len(data)] = data
        node.pending.append(("w", offset, bytes(data)))
        node.mtime = time.time()
        self.mutated("write", path)
        return len(data)

    def _truncate(self, node, length, path):
        if length < len(node.data):
            del node.data[length:]
        else:
            node.data.extend(bytes(length - len(node.data)))
        node.pending.append(("t", length))
        node.mtime = time.time()
        self.mutated("truncate", path)

    def truncate(self, path, length, fh=None):
        self.alive()
        self._truncate(self.handle(fh) if fh is not None else self.lookup(path), length, path)

    def fsync(self, path, datasync, fh):
        self.alive()
        self.handle(fh).sync(datasync)
        self.mutated("fsync", path)
        return 0

    def unlink(self, path):
        self.alive()
        d, name = self.parent(path)
        self.lookup(path)
        self.set_entry(d, name, None)
        self.mutated("unlink", path)

    def rename(self, old, new):
        self.alive()
        od, oname = self.parent(old)
        nd, nname = self.parent(new)
        node = self.lookup(old)
        if nname in nd.entries and nd.entries[nname].is_dir and nd.entries[nname].entries:
            raise fusepy.FuseOSError(errno.ENOTEMPTY)
        self.set_entry(od, oname, None)
        self.set_entry(nd, nname, node)
        self.mutated("rename", old + " -> " + new)

    def link(self, target, source):
        self.alive()
        node = self.lookup(source)
        d, name = self.parent(target)
        if name in d.entries:
            raise fusepy.FuseOSError(errno.EEXIST)
        self.set_entry(d, name, node)
        self.mutated("link", source + " -> " + target)

    def chmod(self, path, mode):
        self.alive()
        node = self.lookup(path)
        node.mode = (node.mode & ~0o7777) | (mode & 0o7777)
        self.mutated("chmod", path)

    def chown(self, path, uid, gid):
        self.alive()

    def utimens(self, path, times=None):
        self.alive()
        node = self.lookup(path)
        node.mtime = times[1] if times else time.time()
        self.mutated("utimens", path)


def commands(fs):
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        seed = None
        if "torn" in words:
            i = words.index("torn")
            seed = int(words[i + 1])
            words = words[:i]
        with LOCK:
            try:
                if words[0] == "cut":
                    fs.cut(seed)
                    answer = "ok cut"
                elif words[0] == "arm":
                    fs.arm = (int(words[1]), None, None, seed)
                    answer = "ok armed"
                elif words[0] == "armon":
                    skip = int(words[3]) if len(words) > 3 else 0
                    fs.arm = (skip + 1, words[1], words[2], seed)
                    answer = "ok armed"
                elif words[0] == "failsync":
                    fs.failsync = (words[1], int(words[2]))
                    answer = "ok failing"
                elif words[0] == "revive":
                    fs.dead = False
                    answer = "ok alive"
                elif words[0] == "status":
                    answer = "ok %s %d %d" % ("dead" if fs.dead else "alive", fs.ops, fs.cuts)
                else:
                    answer = "error unknown command " + words[0]
            except (IndexError, ValueError) as e:
                answer = "error " + str(e)
        print(answer, flush=True)
    # stdin closed: the test's JVM is gone (killed, or done without unmounting); do not leave the mount behind
    os.system("fusermount -u -z '%s'" % sys.argv[1].replace("'", ""))
    os._exit(0)


if __name__ == "__main__":
    fs = PowerCut(sys.argv[2] if len(sys.argv) > 2 else None)
    threading.Thread(target=commands, args=(fs,), daemon=True).start()
    fusepy.FUSE(fs, sys.argv[1], foreground=True, nothreads=True, attr_timeout=0, entry_timeout=0,
                negative_timeout=0, hard_remove=True)
