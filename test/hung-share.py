"""A network share that stops answering, for the tests: a FUSE mount of a folder (argv[2] mounted on argv[1]) whose
every call waits for as long as the file argv[3] exists (at most LONGEST_HANG_S), as calls to a hard-mounted share wait once its server is
gone. Run with Debian's python3 and python3-fusepy; it prints "mounted" once the mount answers."""

import errno
import os
import sys
import threading
import time

from fusepy import FUSE, FuseOSError, Operations, _libfuse


# However a test ends, even one whose process is held by the share, nothing waits on it for ever: a hang ends this
# many seconds after the hang file was written.
LONGEST_HANG_S = 60


class HungShare(Operations):
    def __init__(self, folder, hang_file):
        self.folder = folder
        self.hang_file = hang_file

    def _real(self, path):
        # Every call passes here: while the hang file exists, it waits, as a dead share's calls do. A process killed
        # meanwhile is let go (FUSE's "intr"), as a hard NFS mount lets go of one: else the kernel would hold it until
        # the call returns.
        while self._hangs():
            if _libfuse.fuse_interrupted():
                raise FuseOSError(errno.EINTR)
            time.sleep(0.05)
        return os.path.join(self.folder, path.lstrip("/"))

    def _hangs(self):
        try:
            return time.time() - os.path.getmtime(self.hang_file) < LONGEST_HANG_S
        except FileNotFoundError:
            return False

    def _call(self, function, *args):
        try:
            return function(*args)
        except OSError as error:
            raise FuseOSError(error.errno or errno.EIO)

    def getattr(self, path, fh=None):
        st = self._call(os.lstat, self._real(path))
        keys = ("st_mode", "st_nlink", "st_uid", "st_gid", "st_size", "st_atime", "st_mtime", "st_ctime")
        return {key: getattr(st, key) for key in keys}

    def readdir(self, path, fh):
        return [".", ".."] + self._call(os.listdir, self._real(path))

    def statfs(self, path):
        st = self._call(os.statvfs, self._real(path))
        keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_frsize", "f_namemax")
        return {key: getattr(st, key) for key in keys}

    def open(self, path, flags):
        return self._call(os.open, self._real(path), flags)

    def read(self, path, size, offset, fh):
        self._real(path)
        return self._call(os.pread, fh, size, offset)

    def release(self, path, fh):
        return self._call(os.close, fh)


def announce(mount_point):
    while not os.path.ismount(mount_point):
        time.sleep(0.02)
    print("mounted", flush=True)


if __name__ == "__main__":
    mount_point, folder, hang_file = sys.argv[1:4]
    threading.Thread(target=announce, args=(mount_point,), daemon=True).start()
    FUSE(HungShare(folder, hang_file), mount_point, foreground=True, nothreads=False, ro=True, intr=True)
