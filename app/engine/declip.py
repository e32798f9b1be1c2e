"""Redrawing clipped samples, as RX's De-clip and Audacity's Clip Fix do: a microphone array set too
hot holds every loud syllable flat at full scale, which a separator hears as distortion on every
channel at once and a wrong spatial cue. Each run that `clipping.clipped_runs` finds (three or more
samples in a row at 16-bit full scale) is redrawn from the waveform around it, beyond full scale on
its side of zero (`inpainting`).

The redrawn peaks lie beyond full scale, so a repaired copy is written as 32-bit float, or lowered
as a whole until its highest peak sits at -1 dBFS (`lower_to_fit`); or the recording is read
through its redrawn runs (`Repaired`, `separate --declip`). The recording is read a window at a
time to redraw, then a block at a time to write; only the redrawn samples are held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.engine.clipping import Runs, clipped_runs
from app.engine.export import HEADROOM, REDRAWN_PEAKS, copy_job
from app.engine.files import ArraySource, Recording, SourceView, Span
from app.engine.inpainting import REPAIR_WINDOW_SECONDS, redraw_spans, window_frames
from app.engine.jobs import Job, Progress

BLOCK = 1 << 20


@dataclass(frozen=True)
class Redrawn:
    """One channel's clipped runs, redrawn, in order: run k starts at `starts[k]`, its samples are
    `samples[offsets[k]:offsets[k + 1]]` (arrays rather than an object a run: an hour of a loud
    array can clip millions of times)."""

    channel: int
    starts: np.ndarray
    offsets: np.ndarray
    samples: np.ndarray

    @property
    def runs(self) -> int:
        return len(self.starts)


@dataclass(frozen=True)
class DeclipResult:
    runs: int                   # clipped runs redrawn
    samples: int                # samples redrawn
    peak: float                 # the highest redrawn |sample| before any lowering (1.0 when nothing clipped)
    gain: float                 # the whole recording was multiplied by this (1.0 unless lowered to fit)


def redraw_runs(recording: Recording | Span | SourceView, runs: list[Runs],
                missing: bool = False) -> Job[list[Redrawn]]:
    """Each channel's `runs` redrawn, as clipped runs (as `clipped_runs` finds them) or, `missing`,
    as lost samples (dropouts, in Repair's longer windows); channels with none left out."""
    rate = recording.sample_rate
    what = "dropouts" if missing else "clipped runs"
    found = []
    for channel, channel_runs in enumerate(runs):
        if not len(channel_runs):
            continue
        longest = int(np.max(channel_runs[:, 1] - channel_runs[:, 0]))
        size = window_frames(rate, REPAIR_WINDOW_SECONDS, 16 * longest) if missing else window_frames(rate)
        samples = yield from redraw_spans(lambda lo, hi, c=channel: recording.read(lo, hi, [c])[0], channel_runs,
                                          size, missing, f"redraw the {what} of channel {channel + 1}")
        lengths = channel_runs[:, 1] - channel_runs[:, 0]
        found.append(Redrawn(channel, channel_runs[:, 0].copy(), np.concatenate(([0], np.cumsum(lengths))), samples))
    return found


def find_redrawn(recording: Recording) -> Job[list[Redrawn]]:
    """Every clipped run of `recording`, redrawn (per channel)."""
    runs = yield from clipped_runs(recording)
    return (yield from redraw_runs(recording, runs))


class Repaired(SourceView):
    """A recording (or a span of one, or an `ArraySource`) read with its redrawn runs in place of the
    clipped ones (or of the clicks, `clicks`): what `separate --declip` separates, with no copy written."""

    def __init__(self, source: Recording | Span | ArraySource | SourceView, redrawn: list[Redrawn]) -> None:
        super().__init__(source)
        self.redrawn = {r.channel: r for r in redrawn}
        self._longest = {r.channel: int(np.diff(r.offsets).max()) for r in redrawn}

    def read(self, start_frame: int, stop_frame: int, channels: list[int] | None = None) -> np.ndarray:
        block = np.array(self.source.read(start_frame, stop_frame, channels))
        start = max(0, int(start_frame))
        stop = start + block.shape[1]
        for row, channel in enumerate(range(self.channels) if channels is None else channels):
            if channel not in self.redrawn:
                continue
            runs = self.redrawn[channel]
            first, last = np.searchsorted(runs.starts, [start - self._longest[channel], stop])
            for k in range(first, last):
                at, offset = int(runs.starts[k]), int(runs.offsets[k])
                a, b = max(at, start), min(at + int(runs.offsets[k + 1]) - offset, stop)
                if a < b:                       # a shorter run behind a longer one may have ended
                    block[row, a - start:b - start] = runs.samples[offset + a - at:offset + b - at]
        return block


def write_redrawn(recording: Recording, redrawn: list[Redrawn], sink: Callable[[np.ndarray], None],
                  lower_to_fit: bool = False) -> Job[DeclipResult]:
    """`recording` with `redrawn` in place, handed to `sink` as (channels, frames) blocks in order;
    `lower_to_fit`: the whole lowered until the highest redrawn peak sits at -1 dBFS."""
    peak = max((float(np.max(np.abs(r.samples), initial=0.0)) for r in redrawn), default=1.0)
    gain = np.float32(min(1.0, HEADROOM / peak) if lower_to_fit else 1.0)
    repaired = Repaired(recording, redrawn)
    blocks = range(0, recording.frames, BLOCK)
    for done, lo in enumerate(blocks):
        yield Progress("write the repaired copy", done, len(blocks))
        block = repaired.read(lo, lo + BLOCK)
        sink(block * gain if gain != 1.0 else block)
    return DeclipResult(sum(r.runs for r in redrawn), sum(r.samples.size for r in redrawn), peak, float(gain))


def declip_job(recording: Recording, sink: Callable[[np.ndarray], None],
               lower_to_fit: bool = False) -> Job[DeclipResult]:
    """`recording` with its clipped runs redrawn, handed to `sink` as (channels, frames) blocks in
    order (`meco-studio declip`)."""
    redrawn = yield from find_redrawn(recording)
    return (yield from write_redrawn(recording, redrawn, sink, lower_to_fit))


def repaired_copy_job(recording: Recording, target: Path) -> Job[DeclipResult | None]:
    """`recording` with its clipped runs redrawn, written to `target` as 32-bit float WAV, tagged
    with what made it (Process ▸ Repair clipping…); None, and nothing written, when nothing clipped."""
    def fill(write: Callable[[np.ndarray], None]) -> Job[DeclipResult | None]:
        redrawn = yield from find_redrawn(recording)
        return (yield from write_redrawn(recording, redrawn, write)) if redrawn else None

    return (yield from copy_job(recording, target, "the repaired copy", REDRAWN_PEAKS, "clipped runs redrawn", fill))
