"""What is written through a temporary name gets the permissions a plain open() would give.

mkstemp and mkdtemp make 0600 files and 0700 folders, private to their owner: right for scratch
space, wrong for what a user exports, saves or shares (a colleague, a web server or a backup job
under another account could not read it). The process's umask decides, as it does for every
other program's files.
"""

from __future__ import annotations

import os
from pathlib import Path


def umask() -> int:
    """The process's umask, read without changing it where Linux reports it (os.umask can only
    read by setting, which another thread creating a file at that instant would see)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def as_created(path: Path) -> None:
    """Give the file or folder `path` the mode open() or mkdir() would have given it. A file
    system without Unix modes (FAT on a USB stick, some network shares) may refuse: it keeps the
    modes it gives, and the write goes on."""
    try:
        os.chmod(path, (0o777 if Path(path).is_dir() else 0o666) & ~umask())
    except OSError:
        pass
