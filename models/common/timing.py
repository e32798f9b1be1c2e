"""Timing on a shared machine: run the candidates in turn, round after round, and keep each one's
fastest run, so a burst of load from the neighbours slows every candidate alike, not just one."""

from __future__ import annotations

import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one call.

    On a shared machine wall time swings with the neighbours' load; CPU time counts only the
    work done here, so its ratios (e.g. corrector vs separator) are the stable numbers.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def fastest(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """Min wall and min CPU seconds of each function over `repeats` interleaved rounds."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(timed(fn))
    return {name: (min(t[0] for t in ts), min(t[1] for t in ts)) for name, ts in times.items()}
