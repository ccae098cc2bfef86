#!/usr/bin/python3
"""A FUSE pass-through file system that reports no size: statvfs gives 0 blocks, 0 free, 0 available, as several
FUSE and network file systems do. Usage: zero-statfs-fuse.py <backing directory> <mount point> [<quota bytes> [nolocks]].
Foreground; ends at unmount. Used by ZeroSizeFileSystemTest (pagestore): the write buffer's reserve on such a file
system. With a quota: statvfs is the backing directory's (plenty free) and a write that would take the bytes written
through the mount past the quota fails with EDQUOT, as a user's exhausted disk quota does (DiskQuotaMessageTest: the
kernel here has no CONFIG_QUOTA, so no real quota can be set up)."""
import errno
import os
import sys

import fusepy


class PassThrough(fusepy.Operations):
    def __init__(self, root, quota=None):
        self.root = root
        self.quota = quota
        self.written = 0

    def _p(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def access(self, path, mode):
        if not os.access(self._p(path), mode):
            raise fusepy.FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        return os.chmod(self._p(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self._p(path), uid, gid)

    def getattr(self, path, fh=None):
        st = os.lstat(self._p(path))
        return {k: getattr(st, k) for k in ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink",
                                            "st_size", "st_uid", "st_blocks")}

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._p(path))

    def mkdir(self, path, mode):
        return os.mkdir(self._p(path), mode)

    def rmdir(self, path):
        return os.rmdir(self._p(path))

    def unlink(self, path):
        return os.unlink(self._p(path))

    def rename(self, old, new):
        return os.rename(self._p(old), self._p(new))

    def utimens(self, path, times=None):
        return os.utime(self._p(path), times)

    def statfs(self, path):
        if self.quota is not None:
            st = os.statvfs(self.root)
            return {k: getattr(st, k) for k in ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree",
                                                "f_files", "f_flag", "f_frsize", "f_namemax")}
        return {}  # no size known: every field 0, as the file systems this imitates

    def open(self, path, flags):
        return os.open(self._p(path), flags)

    def create(self, path, mode, fi=None):
        return os.open(self._p(path), os.O_RDWR | os.O_CREAT, mode)  # the caller may read what it created

    def read(self, path, length, offset, fh):
        return os.pread(fh, length, offset)

    def write(self, path, data, offset, fh):
        if self.quota is not None:
            if self.written + len(data) > self.quota:
                raise fusepy.FuseOSError(errno.EDQUOT)
            self.written += len(data)
        return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        with open(self._p(path), "r+b") as f:
            f.truncate(length)

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        return os.close(fh)

    def fsync(self, path, datasync, fh):
        return os.fsync(fh)

    def fsyncdir(self, path, datasync, fh):
        return 0


class NoLocks(PassThrough):
    def lock(self, path, fh, cmd, lock):
        raise fusepy.FuseOSError(errno.ENOLCK)  # defining lock makes libfuse ask the kernel to forward POSIX locks


if __name__ == "__main__":
    quota = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "-" else None
    ops = NoLocks if len(sys.argv) > 4 and sys.argv[4] == "nolocks" else PassThrough
    fusepy.FUSE(ops(sys.argv[1], quota), sys.argv[2], foreground=True, nothreads=True)
