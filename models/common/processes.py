"""Worker processes that end when the process that started them ends, however it ends.

A worker of a `ProcessPoolExecutor` whose parent is killed (`kill PID`, the OOM killer) blocks
for ever writing its last result into a pipe no one reads, holding its memory. On Linux a
worker here asks the kernel for SIGTERM when its parent goes. The kernel ties that to the
*thread* that started the worker, so pools made here belong to a command's main thread (a
helper started from a short-lived thread would be stopped with that thread).

Workers are spawned, not forked: a forked child of a process that already ran torch's thread
pool can hang.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_PR_SET_PDEATHSIG = 1


def _start(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:          # it went before the request took hold
            os._exit(1)
    if initializer is not None:
        initializer(*initargs)


def worker_pool(workers: int, initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """`workers` spawned processes that end with this one; `initializer(*initargs)` runs in each."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                               initargs=(os.getpid(), initializer, initargs))
