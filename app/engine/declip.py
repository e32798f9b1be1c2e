"""Redrawing clipped samples, as RX's De-clip and Audacity's Clip Fix do: a microphone array set too
hot holds every loud syllable flat at full scale, which a separator hears as distortion on every
channel at once and a wrong spatial cue. Each run that `clipping.clipped_runs` finds (three or more
samples in a row at 16-bit full scale) is redrawn from the waveform around it.

Redrawn by consistent iterative hard thresholding (Kitić, Bertin and Gribonval, 2015): in each
window of about 32 ms around a run (half overlapping), the waveform made of the fewest cosine
components (DCT) that agrees with the samples that did not clip and lies beyond full scale, on the
same side of zero, where they did; the components kept grow step by step until the two agree. A
redrawn sample rises at most `MAX_RESTORE_DB` above full scale, and overlapping windows are
cross-faded. Chosen over the cubic spline through the neighbouring samples (Audacity's Clip Fix
interpolates so), which came back less close to the clipped demo talkers (though closer to a
clipped pure tone, which no window of cosines holds in few components). The redrawn
peaks lie beyond full scale, so a repaired copy is written as 32-bit float, or lowered as a whole
until its highest peak sits at -1 dBFS (`lower_to_fit`). The recording is read a window at a time
to redraw, then a block at a time to write; only the redrawn samples are held.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.fft import dct, idct

from app.engine.analysis import FULL_SCALE_16BIT
from app.engine.clipping import clipped_runs
from app.engine.errors import ConfigError
from app.engine.export import HEADROOM, AtomicAudioWriter, ExportSettings, PeakPolicy, SampleFormat
from app.engine.files import ArraySource, Recording, Span
from app.engine.jobs import Job, Progress
from app.engine.provenance import read_tags, with_step

WINDOW_SECONDS = 0.032          # the windows a run is redrawn in: rounded up to a power of two of samples
MAX_RESTORE_DB = 12.0           # a redrawn sample rises at most this far above full scale
STEPS = 100                     # thresholding steps at most
GROWTH = 2 / 256                # components kept, added per step, per sample of window
TOLERANCE = 1e-4                # a window is done when its waveform and its constraints agree this closely
BATCH = 256                     # windows redrawn together
BLOCK = 1 << 20


@dataclass(frozen=True)
class Redrawn:
    """The samples of one clipped run of one channel, redrawn."""

    channel: int
    start: int
    samples: np.ndarray


@dataclass(frozen=True)
class DeclipResult:
    runs: int                   # clipped runs redrawn
    samples: int                # samples redrawn
    peak: float                 # the highest redrawn |sample| before any lowering (1.0 when nothing clipped)
    gain: float                 # the whole recording was multiplied by this (1.0 unless lowered to fit)


def window_frames(rate: int) -> int:
    """The redrawing window at `rate`: 512 samples at 16 kHz, 2048 at 44.1 and 48 kHz."""
    return 1 << math.ceil(math.log2(WINDOW_SECONDS * rate))


def redraw(pieces: np.ndarray, free: np.ndarray) -> np.ndarray:
    """`pieces` (windows, samples) with their samples at full scale redrawn by consistent iterative
    hard thresholding (see above); `free`: samples past the recording's end, unconstrained. Each
    window stops as soon as it agrees with its constraints, so it comes out the same whatever
    windows it is redrawn with."""
    size = pieces.shape[1]
    clipped = (np.abs(pieces) >= FULL_SCALE_16BIT) & ~free
    known = ~clipped & ~free
    side = np.sign(pieces)
    ceiling = 10 ** (MAX_RESTORE_DB / 20)
    grow = max(1, round(GROWTH * size))
    out = pieces.astype(np.float64)
    active = np.arange(pieces.shape[0])
    for step in range(1, STEPS + 1):
        if not active.size:
            break
        z = dct(out[active], norm="ortho", axis=1)
        keep = min(size, grow * step)
        if keep < size:
            kth = -np.partition(-np.abs(z), keep - 1, axis=1)[:, keep - 1:keep]
            z[np.abs(z) < kth] = 0.0
        sparse = idct(z, norm="ortho", axis=1)
        agreed = np.where(known[active], pieces[active], sparse)
        beyond = np.clip(side[active] * sparse, np.abs(pieces[active]), ceiling)     # at least where it clipped
        agreed = np.where(clipped[active], side[active] * beyond, agreed)
        out[active] = agreed
        done = np.linalg.norm(agreed - sparse, axis=1) <= TOLERANCE * np.linalg.norm(agreed, axis=1)
        active = active[~done]
    return out


def redraw_runs(recording: Recording, runs: list[list[tuple[int, int]]]) -> Job[list[Redrawn]]:
    """Every run of `runs` (per channel, as `clipped_runs` finds them) redrawn, in order of start:
    each window on the half-window grid that holds part of a run is redrawn, and each run sample
    is the Hann-weighted mean of the windows that hold it."""
    size = window_frames(recording.sample_rate)
    hop = size // 2
    weights = np.hanning(size + 2)[1:-1]
    grids = [sorted({j * hop for a, b in channel_runs
                     for j in range(max(0, (a - size) // hop + 1), (b - 1) // hop + 1)}) for channel_runs in runs]
    total, done = sum(len(g) for g in grids), 0
    found = []
    for channel, (channel_runs, grid) in enumerate(zip(runs, grids, strict=True)):
        starts = np.array([a for a, _ in channel_runs])
        stops = np.array([b for _, b in channel_runs])
        sums = [np.zeros(b - a) for a, b in channel_runs]
        weighed = [np.zeros(b - a) for a, b in channel_runs]
        for first in range(0, len(grid), BATCH):
            yield Progress("redraw clipped runs", done, total)
            batch = grid[first:first + BATCH]
            pieces, free = np.zeros((len(batch), size)), np.zeros((len(batch), size), bool)
            for row, lo in enumerate(batch):
                got = recording.read(lo, lo + size, [channel])[0]
                pieces[row, :got.size], free[row, got.size:] = got, True
            filled = redraw(pieces, free)
            for row, lo in enumerate(batch):
                for index in range(np.searchsorted(stops, lo, "right"), np.searchsorted(starts, lo + size)):
                    a, b = max(starts[index], lo), min(stops[index], lo + size)
                    where = slice(a - starts[index], b - starts[index])
                    sums[index][where] += weights[a - lo:b - lo] * filled[row, a - lo:b - lo]
                    weighed[index][where] += weights[a - lo:b - lo]
            done += len(batch)
        found += [Redrawn(channel, int(a), (summed / weight).astype(np.float32))
                  for (a, _), summed, weight in zip(channel_runs, sums, weighed, strict=True)]
    return sorted(found, key=lambda r: r.start)


def find_redrawn(recording: Recording) -> Job[list[Redrawn]]:
    """Every clipped run of `recording`, redrawn, in order of start."""
    runs = yield from clipped_runs(recording)
    return (yield from redraw_runs(recording, runs))


class Declipped:
    """A recording (or a span of one, or an `ArraySource`) read with its redrawn runs in place of the
    clipped ones: what `separate --declip` separates, with no copy written."""

    def __init__(self, source: Recording | Span | ArraySource, redrawn: list[Redrawn]) -> None:
        self.source, self.redrawn = source, sorted(redrawn, key=lambda r: r.start)
        self.sample_rate, self.name = source.sample_rate, source.name
        self._starts = np.array([r.start for r in self.redrawn], dtype=np.int64)
        self._longest = max((r.samples.size for r in self.redrawn), default=0)

    @property
    def frames(self) -> int:
        return self.source.frames

    @property
    def channels(self) -> int:
        return self.source.channels

    def read(self, start_frame: int, stop_frame: int, channels: list[int] | None = None) -> np.ndarray:
        block = np.array(self.source.read(start_frame, stop_frame, channels))
        start = max(0, int(start_frame))
        stop = start + block.shape[1]
        rows = {channel: row for row, channel in enumerate(range(self.channels) if channels is None else channels)}
        first, last = np.searchsorted(self._starts, [start - self._longest, stop])
        for run in self.redrawn[first:last]:
            a, b = max(run.start, start), min(run.start + run.samples.size, stop)
            if a < b and run.channel in rows:
                block[rows[run.channel], a - start:b - start] = run.samples[a - run.start:b - run.start]
        return block


def write_redrawn(recording: Recording, redrawn: list[Redrawn], sink: Callable[[np.ndarray], None],
                  lower_to_fit: bool = False) -> Job[DeclipResult]:
    """`recording` with `redrawn` in place, handed to `sink` as (channels, frames) blocks in order;
    `lower_to_fit`: the whole lowered until the highest redrawn peak sits at -1 dBFS."""
    peak = max((float(np.max(np.abs(r.samples))) for r in redrawn), default=1.0)
    gain = np.float32(min(1.0, HEADROOM / peak) if lower_to_fit else 1.0)
    repaired = Declipped(recording, redrawn)
    blocks = range(0, recording.frames, BLOCK)
    for done, lo in enumerate(blocks):
        yield Progress("write the repaired copy", done, len(blocks))
        block = repaired.read(lo, lo + BLOCK)
        sink(block * gain if gain != 1.0 else block)
    return DeclipResult(len(redrawn), sum(r.samples.size for r in redrawn), peak, float(gain))


def declip_job(recording: Recording, sink: Callable[[np.ndarray], None],
               lower_to_fit: bool = False) -> Job[DeclipResult]:
    """`recording` with its clipped runs redrawn, handed to `sink` as (channels, frames) blocks in
    order (`meco-studio declip`)."""
    redrawn = yield from find_redrawn(recording)
    return (yield from write_redrawn(recording, redrawn, sink, lower_to_fit))


def repaired_copy_job(recording: Recording, target: Path) -> Job[DeclipResult | None]:
    """`recording` with its clipped runs redrawn, written to `target` as 32-bit float WAV (replacing
    a file there: the save dialog asked), tagged with what made it (Process ▸ Repair clipping…);
    None, and nothing written, when nothing clipped. The recording's own file is never the target."""
    if Path(target).resolve() == recording.path.resolve():
        raise ConfigError(f"The repaired copy cannot replace {recording.name}, which it is made from; choose "
                          "another name.")
    redrawn = yield from find_redrawn(recording)
    if not redrawn:
        return None
    export = ExportSettings(sample_format=SampleFormat.FLOAT, peak=PeakPolicy.NONE, overwrite=True)
    writer = AtomicAudioWriter(target, recording.sample_rate, recording.channels, export,
                               with_step(read_tags(recording.path), "clipped runs redrawn"))
    with writer:
        result = yield from write_redrawn(recording, redrawn, writer.write)
    writer.commit()
    return result
