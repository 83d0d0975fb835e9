"""The model's night on disk, read back a slice at a time (issue 16: memory).

The normalised night the model reads (``NightInput.z``, float16 [16, T] at 128 Hz) is
141 MB for 10 h of 16 channels. Held in the app's own memory it was the largest single
part of the app's peak while the model ran. Here it lives in an anonymous temporary file
(unlinked at once: nothing is left behind, even after a crash) in the user's cache folder
and is read with positioned reads: the kernel keeps it in its page cache while memory is
free and may drop it when memory is short, like the EDF the viewer reads — it is not part
of the app's resident memory.

Where the cache folder is in RAM anyway (tmpfs) or cannot be written (a full disk, a
read-only home), :func:`night_array` gives a plain in-memory array instead: the model
works the same.

``DiskArray`` supports what the engine does with a night: ``shape``/``dtype``, reading a
column range of all rows (``z[:, a:b]``), writing one (``z[:, a:b] = block``), zeroing
rows (``z[mask] = 0``), and ``np.asarray`` of the whole (training, tests).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

MIN_DISK_BYTES = 16 * 2**20  # smaller nights stay in memory: not worth a file
_RAM_FILESYSTEMS = {"tmpfs", "ramfs"}


def cache_dir() -> Path:
    """The user's cache folder for the app (``PEDSLEEP_CACHE_DIR`` overrides it, as
    ``PEDSLEEP_LOG_DIR`` does the log's: engine.logs.log_dir)."""
    env = os.environ.get("PEDSLEEP_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("pedsleep-assist"))


def _filesystem_type(path: Path) -> str:
    """The type of the filesystem holding ``path`` (Linux /proc/mounts; "" elsewhere)."""
    try:
        target = str(path.resolve())
        best, kind = "", ""
        with open("/proc/mounts") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 3:
                    mnt = parts[1].replace("\\040", " ")
                    if (target == mnt or target.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                        best, kind = mnt, parts[2]
        return kind
    except OSError:
        return ""


class DiskArray:
    """A 2-D array [rows, cols] in an unlinked temporary file, row-major."""

    def __init__(self, shape: tuple[int, int], dtype, folder: Path):
        self.shape = (int(shape[0]), int(shape[1]))
        self.dtype = np.dtype(dtype)
        self.ndim = 2
        self.nbytes = self.shape[0] * self.shape[1] * self.dtype.itemsize
        folder.mkdir(parents=True, exist_ok=True)
        self._fh = tempfile.TemporaryFile(dir=folder, prefix="night-")
        self._fd = self._fh.fileno()
        try:
            os.posix_fallocate(self._fd, 0, max(1, self.nbytes))  # a full disk says so now, not mid-write
        except AttributeError:  # not on every platform
            self._fh.truncate(self.nbytes)
        except OSError:
            self._fh.close()
            raise

    def __len__(self) -> int:
        return self.shape[0]

    def close(self) -> None:
        self._fh.close()

    def _rows(self, key) -> np.ndarray:
        idx = np.arange(self.shape[0])[key]
        return np.atleast_1d(idx)

    def _split(self, key) -> tuple[np.ndarray, int, int, bool]:
        """(row indices, col start, col stop, one row asked as an int)."""
        if not isinstance(key, tuple):
            key = (key, slice(None))
        if len(key) != 2:
            raise IndexError("DiskArray takes [rows, column slice]")
        rk, ck = key
        if not isinstance(ck, slice) or ck.step not in (None, 1):
            raise IndexError("DiskArray reads contiguous column ranges only")
        a, b, _ = ck.indices(self.shape[1])
        return self._rows(rk), a, max(a, b), isinstance(rk, (int, np.integer))

    def __getitem__(self, key) -> np.ndarray:
        rows, a, b, single = self._split(key)
        item = self.dtype.itemsize
        out = np.empty((len(rows), b - a), self.dtype)
        for k, r in enumerate(rows):
            want = (b - a) * item
            buf = os.pread(self._fd, want, (int(r) * self.shape[1] + a) * item)
            if len(buf) != want:
                raise OSError(f"the model's night file was cut short ({len(buf)} of {want} bytes)")
            out[k] = np.frombuffer(buf, self.dtype)
        return out[0] if single else out

    def __setitem__(self, key, value) -> None:
        rows, a, b, _ = self._split(key)
        if b <= a or len(rows) == 0:
            return
        v = np.broadcast_to(np.asarray(value, self.dtype), (len(rows), b - a))
        item = self.dtype.itemsize
        step = max(1, (8 * 2**20) // item)  # scalar fills go 8 MB at a time
        for k, r in enumerate(rows):
            for c0 in range(a, b, step):
                c1 = min(b, c0 + step)
                data = np.ascontiguousarray(v[k, c0 - a:c1 - a]).tobytes()
                os.pwrite(self._fd, data, (int(r) * self.shape[1] + c0) * item)

    def __array__(self, dtype=None, copy=None):
        out = self[:, :]
        return out if dtype is None else out.astype(dtype)

    def astype(self, dtype) -> np.ndarray:
        return np.asarray(self).astype(dtype)

    def copy(self) -> np.ndarray:
        return np.asarray(self)


def night_array(shape: tuple[int, int], dtype=np.float16, folder: Path | None = None):
    """A zeroed [rows, cols] array for the model's night: on disk (``DiskArray``) when the
    cache folder is on a real disk and has room, else in memory."""
    nbytes = int(shape[0]) * int(shape[1]) * np.dtype(dtype).itemsize
    folder = folder or cache_dir()
    if nbytes >= MIN_DISK_BYTES and hasattr(os, "pread"):  # positioned reads: POSIX
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if _filesystem_type(folder) not in _RAM_FILESYSTEMS:
                return DiskArray(shape, dtype, folder)
        except OSError:
            pass  # no room, not writable: in memory
    return np.zeros(shape, dtype)
