"""Arrays backed by the disk instead of memory, for audio as long as a recording.

An hour's talker at 48 kHz is 0.7 GB of float32; a session's versions, several of them. Such an
array lives in a file that is deleted as soon as it is mapped: the kernel keeps its pages in
memory while there is room and writes them out when there is not, nobody else can change or
shrink the file under the mapping (which would kill the process), and the disk space returns
when the array is gone, however the process ends. The space is reserved up front, so a full
disk is an error naming it, not a crash on a later write.
"""

from __future__ import annotations

import mmap
import os
import tempfile

import numpy as np

from app.engine.errors import ExportError
from app.engine.paths import app_cache_dir

DISK_BACKED_BYTES = 64 * 2**20      # smaller arrays stay in memory


def scratch_zeros(shape: tuple[int, ...], dtype: np.dtype | type = np.float32) -> np.ndarray:
    """Zeros of `shape`: in memory when small, else in a deleted file's mapping (see above)."""
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if size < DISK_BACKED_BYTES:
        return np.zeros(shape, dtype)
    folder = app_cache_dir() / "scratch"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="audio-", dir=folder)
    except OSError as err:
        raise ExportError(f"No scratch space for {size / 2**20:.0f} MB of audio in {folder}: "
                          f"{err.strerror or err}.") from err
    try:
        os.unlink(name)
        os.posix_fallocate(fd, 0, size)
        mapping = mmap.mmap(fd, size)
    except OSError as err:
        raise ExportError(f"No room for {size / 2**20:.0f} MB of audio in {folder}: {err.strerror or err}. "
                          "Free some disk space and run it again.") from err
    finally:
        os.close(fd)
    return np.frombuffer(mapping, dtype=dtype).reshape(shape)
