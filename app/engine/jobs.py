"""Long operations as generators: one chunk of work, one `yield Progress`, result via `return`.

`yield` is the only cancel point (superqt's GeneratorWorker semantics), so a chunk takes well
under a second. The CLI and tests drive a job with `drive`; the GUI runs the same generator in a
worker thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

from app.engine.errors import JobCancelled

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    stage: str        # what is running, e.g. "separate", "correct", "export"
    done: int         # units finished (chunks, files)
    total: int
    elapsed_seconds: float = 0.0

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def eta_seconds(self) -> float | None:
        """Remaining time at the rate so far; None before the first unit finishes."""
        if self.done <= 0 or self.total <= 0:
            return None
        return self.elapsed_seconds * (self.total - self.done) / self.done


Job = Generator[Progress, None, T]


def drive(job: Job[T], on_progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> T:
    """Run a job to its result; on stop, close it (its `finally` cleans up) and raise JobCancelled."""
    try:
        while True:
            progress = next(job)
            if on_progress is not None:
                on_progress(progress)
            if should_stop is not None and should_stop():
                job.close()
                log.info("job cancelled at %s %d/%d", progress.stage, progress.done, progress.total)
                raise JobCancelled("Cancelled; nothing was written.")
    except StopIteration as stop:
        return stop.value


class Stopwatch:
    """Elapsed seconds since creation, for Progress.elapsed_seconds."""

    def __init__(self) -> None:
        self._t0 = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self._t0
