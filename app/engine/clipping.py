"""Finding where a recording clipped, as Audacity's Find Clipping does: labels over each run of
samples at 16-bit full scale or beyond, so the user can step through them (Alt+→) and hear what a
separator was given. A microphone array set too hot clips on every loud syllable, and a clipped
channel's spatial cues are wrong there.

A run counts once it lasts `MIN_RUN` samples (Audacity's start threshold: a single full-scale
sample is a peak, three in a row are a flat top); runs of one channel closer than `MERGE_SECONDS`
make one label, and overlapping labels of several channels become one naming them all. The
recording is read a block at a time, with runs carried across the blocks' edges.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.engine.analysis import FULL_SCALE_16BIT
from app.engine.files import Recording
from app.engine.jobs import Job, Progress
from app.engine.labels import Label

MIN_RUN = 3
MERGE_SECONDS = 0.01
BLOCK = 1 << 20


Runs = np.ndarray      # (runs, 2) int64: each run's [start, stop) in samples, in order


def _runs(hits: np.ndarray, offset: int, open_start: int | None) -> tuple[Runs, int | None]:
    """The closed runs of True in `hits` (absolute samples, a run open at the last block's end
    continuing from `open_start`), and the start of the run left open at this block's end."""
    edges = np.diff(np.concatenate(([open_start is not None], hits)).astype(np.int8))
    starts = np.flatnonzero(edges == 1) + offset
    stops = np.flatnonzero(edges == -1) + offset
    if open_start is not None:
        starts = np.concatenate(([open_start], starts))
    still_open = int(starts[-1]) if len(starts) > len(stops) else None
    return np.stack([starts[:len(stops)], stops], axis=1).astype(np.int64), still_open


def sample_runs(recording: Recording, hit: Callable[[np.ndarray], np.ndarray], shortest: int, stage: str
                ) -> Job[list[Runs]]:
    """Per channel, the runs of `shortest` or more samples where `hit(block)` (a block of every
    channel) is true, read a block at a time, runs carried across the blocks' edges (the shorter
    ones dropped as they are found: noise crosses zero millions of times an hour). Arrays, not
    lists of pairs: an hour of a loud array can clip millions of times."""
    channels, frames = recording.channels, recording.frames
    found: list[list[Runs]] = [[] for _ in range(channels)]
    open_starts: list[int | None] = [None] * channels
    blocks = range(0, frames, BLOCK)
    for done, lo in enumerate(blocks):
        yield Progress(stage, done, len(blocks))
        block = hit(recording.read(lo, min(lo + BLOCK, frames)))
        for channel in range(channels):
            runs, open_starts[channel] = _runs(block[channel], lo, open_starts[channel])
            found[channel].append(runs[runs[:, 1] - runs[:, 0] >= shortest])
    for channel, start in enumerate(open_starts):
        if start is not None and frames - start >= shortest:
            found[channel].append(np.array([[start, frames]], np.int64))
    return [np.concatenate(parts) if parts else np.zeros((0, 2), np.int64) for parts in found]


def clipped_runs(recording: Recording) -> Job[list[Runs]]:
    """Per channel, the runs of samples at full scale lasting `MIN_RUN` or more."""
    return (yield from sample_runs(recording, lambda block: np.abs(block) >= FULL_SCALE_16BIT, MIN_RUN,
                                   "find clipping"))


def _joined(runs: Runs, gap: float) -> Runs:
    """A channel's runs (in order) with those no more than `gap` samples apart joined."""
    runs = np.asarray(runs, dtype=np.int64).reshape(-1, 2)
    if not len(runs):
        return runs
    breaks = np.flatnonzero(runs[1:, 0] - runs[:-1, 1] > gap) + 1
    return np.stack([runs[np.concatenate(([0], breaks)), 0], runs[np.concatenate((breaks - 1, [len(runs) - 1])), 1]],
                    axis=1)


def touching(runs: Runs, others: Runs) -> np.ndarray:
    """For each of `runs`, whether it overlaps any of `others` (both [start, stop) in order of start)."""
    if not len(others) or not len(runs):
        return np.zeros(len(runs), bool)
    before = np.searchsorted(others[:, 0], runs[:, 1])                # others starting before each run ends
    reach = np.maximum.accumulate(others[:, 1])                       # the furthest any of them ends, so far
    return (before > 0) & (reach[np.maximum(before - 1, 0)] > runs[:, 0])


def stretch_labels(runs: list[Runs], rate: int, what: str) -> list[Label]:
    """One label per stretch ("clipped ch 1, 3" for `what` "clipped"), in time order: each channel's
    runs closer than `MERGE_SECONDS` joined, overlapping stretches of several channels made one."""
    gap = MERGE_SECONDS * rate
    stretches = sorted((int(a), int(b), channel) for channel, found in enumerate(runs) for a, b in _joined(found, gap))
    labels: list[Label] = []
    channels: list[set[int]] = []
    for start, stop, channel in stretches:
        begin, end = start / rate, stop / rate
        if labels and begin <= labels[-1].stop:
            last = labels[-1]
            labels[-1] = Label(last.start, max(last.stop, end), last.text)
            channels[-1].add(channel)
        else:
            labels.append(Label(begin, end))
            channels.append({channel})
    return [Label(label.start, label.stop, f"{what} ch " + ", ".join(str(c + 1) for c in sorted(chans)))
            for label, chans in zip(labels, channels)]


def clipping_job(recording: Recording) -> Job[list[Label]]:
    """The labels of every clipped stretch of `recording`."""
    runs = yield from clipped_runs(recording)
    return stretch_labels(runs, recording.sample_rate, "clipped")
