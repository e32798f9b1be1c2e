"""Redrawing samples from the waveform around them: the clipped runs of a recording (`declip`) and a
short stretch of a version the user selects over a click or a dropout (Edit ▸ Repair the selection,
Audacity's Repair).

Consistent iterative hard thresholding (Kitić, Bertin and Gribonval, 2015): in each window (about
32 ms around clipped runs; 128 ms, or longer around a longer gap, where every sample is missing:
the longer view finds the voice's harmonics, measured on gaps in the demo talkers) on a
half-overlapping grid, the waveform made of the fewest
cosine components (DCT) that agrees with the samples that are kept and, where a sample clipped,
lies beyond it on the same side of zero; the components kept grow step by step until the two
agree. A redrawn sample rises at most `MAX_RESTORE_DB` above full scale, and the windows that hold
a sample are cross-faded (Hann weights). Chosen, in a trial, over the cubic spline through the neighbouring
samples (Audacity's Clip Fix and Repair interpolate so), which came back less close to clipped
demo talkers (though closer to a clipped pure tone, which no window of cosines holds in few
components), and over an autoregressive interpolation, which diverged on long runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.fft import dct, idct

from app.engine.analysis import FULL_SCALE_16BIT
from app.engine.documents import Version
from app.engine.errors import ConfigError
from app.engine.jobs import Job, Progress
from app.engine.scratch import scratch_zeros
from app.engine.timecode import format_span

WINDOW_SECONDS = 0.032          # the windows clipped runs are redrawn in: rounded up to a power of two of samples
REPAIR_WINDOW_SECONDS = 0.128   # the windows a gap is redrawn in, or 16 times the gap: a longer view of its pitch
MAX_RESTORE_DB = 12.0           # a redrawn sample rises at most this far above full scale
STEPS = 100                     # thresholding steps at most
GROWTH = 2 / 256                # components kept, added per step, per sample of window
TOLERANCE = 1e-4                # a window is done when its waveform and its constraints agree this closely
BATCH = 256                     # windows redrawn together
MAX_REPAIR_SECONDS = 0.02       # the longest selection Repair redraws: a click, a dropout (`evaluate repair`)
REPAIRED_SUFFIX = " · repaired"
COPY_BLOCK = 1 << 20            # samples of a version copied at a time



def window_frames(rate: int, seconds: float = WINDOW_SECONDS, at_least: int = 2) -> int:
    """The redrawing window: `seconds` at `rate` (512 samples at 16 kHz for clipped runs, 2048 at
    44.1 and 48 kHz), or `at_least`, rounded up to a power of two."""
    return 1 << math.ceil(math.log2(max(seconds * rate, at_least, 2)))


def inpaint(pieces: np.ndarray, missing: np.ndarray, clipped: np.ndarray) -> np.ndarray:
    """`pieces` (windows, samples) with their `missing` samples redrawn freely and their `clipped`
    samples redrawn at least as far from zero as they are, the rest kept (see above). Each window
    stops as soon as it agrees with its constraints, so it comes out the same whatever windows it
    is redrawn with."""
    size = pieces.shape[1]
    known = ~clipped & ~missing
    side = np.sign(pieces)
    ceiling = 10 ** (MAX_RESTORE_DB / 20)
    grow = max(1, round(GROWTH * size))
    out = np.where(missing, 0.0, pieces)
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


def redraw_spans(read: Callable[[int, int], np.ndarray], spans: np.ndarray, size: int, missing: bool,
                 stage: str) -> Job[np.ndarray]:
    """The samples of `spans` ((n, 2) [start, stop) in order, apart) of the signal that `read(lo,
    hi)` gives, redrawn, one span after another in one array (span k's from the sum of the lengths
    before it): as `missing` samples, or else as clipped ones (every sample at full scale in a
    window constrained so). Each window of `size` on the half-window grid that holds part of a span
    is redrawn, and each span sample is the Hann-weighted mean of the windows that hold it."""
    spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    starts, stops = spans[:, 0], spans[:, 1]
    offsets = np.concatenate(([0], np.cumsum(stops - starts)))
    hop = size // 2
    first_window, last_window = np.maximum(0, (starts - size) // hop + 1), (stops - 1) // hop + 1
    counts = last_window - first_window
    every = np.repeat(first_window - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    grid = np.unique(every) * hop
    weights = np.hanning(size + 2)[1:-1]
    sums, weighed = np.zeros(offsets[-1]), np.zeros(offsets[-1])
    for first in range(0, len(grid), BATCH):
        yield Progress(stage, first, len(grid))
        batch = grid[first:first + BATCH]
        pieces, past_end = np.zeros((len(batch), size)), np.zeros((len(batch), size), bool)
        for row, lo in enumerate(batch):
            got = read(int(lo), int(lo) + size)
            pieces[row, :got.size], past_end[row, got.size:] = got, True
        spanned = [range(np.searchsorted(stops, lo, "right"), np.searchsorted(starts, lo + size)) for lo in batch]
        if missing:
            gaps = np.zeros_like(past_end)
            for row, lo in enumerate(batch):
                for index in spanned[row]:
                    gaps[row, max(starts[index], lo) - lo:min(stops[index], lo + size) - lo] = True
            filled = inpaint(pieces, past_end | gaps, np.zeros_like(past_end))
        else:
            filled = inpaint(pieces, past_end, (np.abs(pieces) >= FULL_SCALE_16BIT) & ~past_end)
        for row, lo in enumerate(batch):
            for index in spanned[row]:
                a, b = max(starts[index], lo), min(stops[index], lo + size)
                at = offsets[index] + a - starts[index]
                sums[at:at + b - a] += weights[a - lo:b - lo] * filled[row, a - lo:b - lo]
                weighed[at:at + b - a] += weights[a - lo:b - lo]
    return (sums / weighed).astype(np.float32)


def check_repair_span(span: tuple[float, float]) -> None:
    """ConfigError when `span` (seconds) is longer than Repair redraws."""
    if span[1] - span[0] > MAX_REPAIR_SECONDS + 1e-9:
        raise ConfigError(f"{format_span(*span)} is too long to repair: select at most "
                          f"{1000 * MAX_REPAIR_SECONDS:g} ms over the click or the dropout (zoom in to see it); "
                          "Repair redraws it from the sound either side.")


def repaired_version(version: Version, span: tuple[float, float]) -> Job[Version]:
    """A new version of `version` with the samples of `span` (seconds) redrawn from the sound either
    side, as Audacity's Repair does over a click: ConfigError when the span holds none of its audio
    or is longer than `MAX_REPAIR_SECONDS`."""
    check_repair_span(span)
    rate, frames = version.sample_rate, version.audio.shape[0]
    lo, hi = (min(max(round(t * rate), 0), frames) for t in span)
    if hi <= lo:
        raise ConfigError(f"The chosen time holds no audio of “{version.name}” to repair.")
    redrawn = yield from redraw_spans(lambda a, b: np.asarray(version.audio[a:b], np.float64), np.array([[lo, hi]]),
                                      window_frames(rate, REPAIR_WINDOW_SECONDS, 16 * (hi - lo)), True,
                                      f"repair {version.name}")
    audio = scratch_zeros(version.audio.shape)
    for start in range(0, frames, COPY_BLOCK):
        audio[start:start + COPY_BLOCK] = version.audio[start:start + COPY_BLOCK]
    audio[lo:hi] = redrawn
    audio.flags.writeable = False
    name = version.name if version.name.endswith(REPAIRED_SUFFIX) else version.name + REPAIRED_SUFFIX
    done = [*version.settings.get("repaired_seconds", []), [lo / rate, hi / rate]]
    return Version(name, version.talker, version.kind, audio, rate, version.model,
                   {**version.settings, "mended_from": version.id, "repaired_seconds": done}, version.device)


def repair_job(versions: list[Version], span: tuple[float, float]) -> Job[list[Version]]:
    """`repaired_version` of each of `versions`, as a job."""
    repaired = []
    for version in versions:
        repaired.append((yield from repaired_version(version, span)))
    return repaired
