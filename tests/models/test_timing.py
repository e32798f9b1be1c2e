"""Timing on a shared CPU: candidates take turns and each keeps its fastest run."""

from __future__ import annotations

import itertools

from models.common import timing


def test_the_candidates_take_turns_round_after_round():
    calls: list[str] = []
    timing.fastest({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=3)
    assert calls == ["a", "b"] * 3


def test_each_candidate_keeps_its_fastest_round(monkeypatch):
    """A load burst in round 1 slows only that round: the minimum skips it for both."""
    clock = itertools.count()
    durations = iter([5, 7, 1, 2])                      # round 1: a 5, b 7; round 2: a 1, b 2
    now = [0.0]

    def perf_counter() -> float:
        return now[0]

    def work() -> None:
        now[0] += next(durations)

    monkeypatch.setattr(timing.time, "perf_counter", perf_counter)
    monkeypatch.setattr(timing.time, "process_time", lambda: float(next(clock)))
    best = timing.fastest({"a": work, "b": work}, repeats=2)
    assert best["a"][0] == 1 and best["b"][0] == 2
