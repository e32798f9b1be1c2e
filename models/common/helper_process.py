"""Calls run in one spawned helper process, for compiled code that holds Python's GIL.

Some libraries' compiled code keeps the GIL for its whole run (PESQ's C code, loading DNSMOS's
ONNX models, librosa's numba-compiled Viterbi decoding): in the desktop app, a worker thread
running it would freeze the event loop for as long. A `HelperProcess`, once enabled, runs such
calls in a process of its own, started by the first call (an app that never needs it starts
none); disabled, or when the helper dies or cannot start, the call runs in this process.

Not `processes.worker_pool`: the kernel ties that pool's parent-death signal to the thread that
starts it, and a helper is started from a short-lived job thread.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class HelperProcess:
    def __init__(self, name: str) -> None:
        self.name = name
        self.enabled = False
        self.pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()        # two jobs calling at once start one helper, not two

    def enable(self, enabled: bool = True) -> None:
        """Run calls in the helper from now on (or again in this process, stopping the helper)."""
        self.enabled = enabled
        if not enabled and self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    def run(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)`, in the helper when enabled; `function` must be importable there."""
        if self.enabled:
            try:
                with self._lock:
                    if self.pool is None:
                        self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
                    pool = self.pool
                return pool.submit(function, *args).result()
            except (BrokenProcessPool, OSError) as err:      # it died, or could not be started
                log.warning("the %s helper process failed (%s); running in this process", self.name, err)
                with self._lock:
                    self.pool = None
        return function(*args)
