"""Spans of time (or of frames) as `(start, stop)` pairs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T", int, float)


def merged(spans: Iterable[tuple[T, T]]) -> list[tuple[T, T]]:
    """Spans sorted, with those that overlap or touch joined."""
    out: list[tuple[T, T]] = []
    for start, stop in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], stop))
        else:
            out.append((start, stop))
    return out
