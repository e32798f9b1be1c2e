"""Finding and removing clicks, as RX's De-click and Audacity's Click Removal do: a lip smack, a
cable's crackle, a digital glitch, a millisecond or two that stands out of the waveform around it.

Speech is predictable a few milliseconds ahead and a click is not (Vaseghi and Rayner; Godsill and
Rayner's detector): in frames of `FRAME_SECONDS`, an autoregressive model of `ORDER_SECONDS` is
fitted to the signal (the autocorrelation method), and each sample's error in predicting it from the
samples before it (forward) and after it (backward, the same predictor reversed) is compared with
the frame's typical error (its median absolute error, scaled to a standard deviation). A click is
where the error stands `sensitivity` standard deviations above that, and above `FLOOR_DBFS` (where
a recording has no noise at all, as in the digital silence between a synthetic voice's words, the
typical error is nothing and the first sample of a word would stand out). A click starts where the
forward error first rises (it cannot foresee the click) and ends where the backward error last does
(nor can it see it coming from the other side); flagged samples under `MERGE_SECONDS` apart make one
click, and one longer than `max_ms` is a sound (a plosive, a knock), not a click. Each click, with
a quarter of a millisecond either side (its faint edges), is then redrawn from the frame around it
by least-squares autoregressive interpolation (Janssen, Veldhuis and Vries), the de-clickers' classic:
in a trial on the demo talkers while choosing, it came back closer than the cosine thresholding that
Edit ▸ Repair the selection uses (`inpainting`), which left errors a second pass took for clicks,
and a wider margin redrew more of the voice under a click than it removed of the click's edges.

A signal is read a block at a time; each frame's fit depends on its own samples alone, on a grid
fixed from the start, so block by block finds what the whole would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.fft
from scipy.signal import lfilter

from app.engine.clipping import Runs, stretch_labels, touching
from app.engine.documents import Version
from app.engine.errors import ConfigError
from app.engine.declip import DeclipResult, Redrawn, write_redrawn
from app.engine.files import Recording, Span
from app.engine.inpainting import COPY_BLOCK
from app.engine.jobs import Job, Progress
from app.engine.labels import Label
from app.engine.scratch import scratch_zeros

ORDER_SECONDS = 0.002           # the predictor's reach: 32 samples at 16 kHz
FRAME_SECONDS = 0.064           # each predictor is fitted over this much, centred on its hop
HOPS_PER_FRAME = 4
FLOOR_DBFS = -60.0              # no click is quieter than this in prediction error: below any recorder's noise
SUSPECT = 0.75                  # of the sensitivity: samples left out of the second fit
MERGE_SECONDS = 0.002           # flagged samples closer than this belong to one click
MARGIN_SECONDS = 0.00025        # redrawn beyond each click's ends (4 samples at 16 kHz): its faint edges
BLOCK = 1 << 20                 # samples read at a time
FIT_TOGETHER = 256              # frames whose predictors are fitted in one batch
DECLICKED_SUFFIX = " · declicked"


@dataclass(frozen=True)
class ClickSettings:
    sensitivity: float = 10.0   # how far (robust standard deviations) a click's prediction error stands out
    max_ms: float = 5.0         # longer bursts are sounds, not clicks

    def check(self) -> None:
        if not 3 <= self.sensitivity <= 20:
            raise ConfigError(f"A sensitivity of {self.sensitivity:g} is out of range: use 3 (finds the most) to 20.")
        if not 0.1 <= self.max_ms <= 20:
            raise ConfigError(f"Clicks of up to {self.max_ms:g} ms is out of range: use 0.1 to 20 ms.")


@dataclass(frozen=True)
class _Grid:
    order: int
    frame: int
    hop: int
    margin: int

    @staticmethod
    def at(rate: int) -> _Grid:
        frame = max(64, round(FRAME_SECONDS * rate))
        return _Grid(max(4, round(ORDER_SECONDS * rate)), frame, max(1, frame // HOPS_PER_FRAME),
                     max(1, round(MARGIN_SECONDS * rate)))


def _predictor(segment: np.ndarray, order: int) -> np.ndarray:
    """The prediction-error filter [1, -a1, ..., -ap] fitted to `segment` (windowed by the caller) by
    the autocorrelation method; no prediction ([1, 0, ...]) where it holds nothing (digital silence)."""
    return _predictors(segment[None], order)[0]


def _predictors(segments: np.ndarray, order: int) -> np.ndarray:
    """`_predictor` of each row of `segments` (windowed by the caller), all at once: the
    autocorrelations through the FFT and a Levinson–Durbin recursion over every row together,
    rather than a dot product per lag and a Toeplitz solve per frame."""
    size = scipy.fft.next_fast_len(segments.shape[1] + order, real=True)     # no wrap-around within the reach
    spectrum = scipy.fft.rfft(segments, size, axis=1)
    r = scipy.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, size, axis=1)[:, :order + 1]
    silent = r[:, 0] <= 0
    r[silent, 0] = 1.0                                       # no prediction there (set below)
    r[:, 0] *= 1 + 1e-9                                      # white noise correction: always solvable
    a = np.zeros_like(r)
    a[:, 0] = 1.0
    error = r[:, 0].copy()
    for i in range(1, order + 1):
        reflection = -(r[:, i] + np.einsum("fj,fj->f", a[:, 1:i], r[:, i - 1:0:-1])) / error
        a[:, 1:i] += reflection[:, None] * a[:, i - 1:0:-1].copy()
        a[:, i] = reflection
        error = np.maximum(error * (1 - reflection ** 2), np.finfo(float).tiny)
    a[silent, 1:] = 0.0
    return a


def _errors(x: np.ndarray, lo: int, hi: int, first: int, grid: _Grid,
            fit: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward prediction errors of x[lo:hi] (hop-aligned in absolute frames, `x`
    starting at absolute frame `first`), each divided by its frame's robust error scale (never
    below the floor's); each frame's predictor fitted to `fit` (`x` itself by default)."""
    fit = x if fit is None else fit
    floor = 10 ** (FLOOR_DBFS / 20)
    n = hi - lo
    forward, backward = np.zeros(n), np.zeros(n)
    starts = np.arange(lo, hi, grid.hop)
    centres = starts + grid.hop // 2 - first
    below = np.maximum(0, centres - grid.frame // 2)
    sizes = np.minimum(fit.size, np.maximum(0, centres + grid.frame - grid.frame // 2)) - below
    full = sizes == grid.frame                               # the frames inside the signal: fitted together
    filters = np.zeros((starts.size, grid.order + 1))
    window, inside = np.hanning(grid.frame), np.flatnonzero(full)
    for group in np.array_split(inside, -(-inside.size // FIT_TOGETHER)) if inside.size else []:  # bounded memory
        filters[group] = _predictors(fit[below[group, None] + np.arange(grid.frame)] * window, grid.order)
    for k in np.flatnonzero(~full & (sizes > 2 * grid.order)):      # at the signal's ends: a shorter frame
        filters[k] = _predictor(fit[below[k]:below[k] + sizes[k]] * np.hanning(sizes[k]), grid.order)
    for start, coefficients, size in zip(starts, filters, sizes):
        if size <= 2 * grid.order:
            continue
        stop = min(start + grid.hop, hi)
        s, e = start - first, stop - first
        length = e - s + grid.order                              # the hop and the predictor's reach before it
        past, future = x[max(0, s - grid.order):e], x[s:e + grid.order][::-1]
        padded = np.zeros((2, length))                           # silence before the signal's start (or after its end)
        padded[0, length - past.size:], padded[1, length - future.size:] = past, future
        ahead = np.convolve(padded[0], coefficients, "valid")[s - e:]     # the FIR predictor's error over the hop
        behind = np.convolve(padded[1], coefficients, "valid")[s - e:][::-1]
        ahead[:max(0, grid.order - s)] = 0.0                     # no past before the signal's start
        behind[max(0, x.size - grid.order - s):] = 0.0            # nor a future after its end
        forward[start - lo:stop - lo], backward[start - lo:stop - lo] = ahead, behind
    whole = n // grid.hop * grid.hop
    for errors in (forward, backward):                           # each hop's robust scale, all hops at once
        quiet = np.abs(errors) <= floor                          # below any recorder's noise: no click there
        hops = errors[:whole].reshape(-1, grid.hop)
        hops /= np.maximum(1.4826 * np.median(np.abs(hops), axis=1), floor / 1e3)[:, None]
        if whole < n:                                            # a last, shorter hop
            errors[whole:] /= max(1.4826 * float(np.median(np.abs(errors[whole:]))), floor / 1e3)
        errors[quiet] = 0.0
    return forward, backward


def _robust_errors(x: np.ndarray, lo: int, hi: int, first: int, grid: _Grid,
                   sensitivity: float) -> tuple[np.ndarray, np.ndarray]:
    """`_errors` with each predictor fitted again without the samples the first fit found suspect
    (error above `SUSPECT` of the sensitivity, and a margin around them): a loud click holds much of
    its frame's energy and would otherwise whiten the fit that is to find it."""
    a = max(first, lo - grid.frame - grid.order) // grid.hop * grid.hop
    b = min(first + x.size, hi + grid.frame + grid.order)
    forward, backward = _errors(x, a, b, first, grid)
    suspect = (np.abs(forward) > SUSPECT * sensitivity) | (np.abs(backward) > SUSPECT * sensitivity)
    if not suspect.any():
        return forward[lo - a:hi - a], backward[lo - a:hi - a]
    reach = np.convolve(suspect, np.ones(2 * grid.margin + 1), "same") > 0
    fit = x.copy()
    fit[a - first:b - first][reach] = 0.0
    return _errors(x, lo, hi, first, grid, fit)


def _clicks_in(forward: np.ndarray, backward: np.ndarray, offset: int, settings: ClickSettings, rate: int,
               margin: int, core: tuple[int, int]) -> Runs:
    """The clicks (absolute [start, stop)) whose first flagged sample lies in `core`."""
    ahead, behind = np.abs(forward) > settings.sensitivity, np.abs(backward) > settings.sensitivity
    flagged = np.flatnonzero(ahead | behind)
    if not flagged.size:
        return np.zeros((0, 2), np.int64)
    breaks = np.flatnonzero(np.diff(flagged) > max(1, round(MERGE_SECONDS * rate)))
    firsts, lasts = flagged[np.r_[0, breaks + 1]], flagged[np.r_[breaks, flagged.size - 1]]
    longest = settings.max_ms / 1000 * rate
    found = []
    for a, b in zip(firsts, lasts):
        if not core[0] <= a + offset < core[1]:
            continue
        fa, ba = np.flatnonzero(ahead[a:b + 1]), np.flatnonzero(behind[a:b + 1])
        start = a + (fa[0] if fa.size else 0)
        stop = a + (ba[-1] if ba.size else b - a) + 1
        start, stop = min(start, stop - 1), max(stop, start + 1)
        if stop - start <= longest:
            found.append((start + offset - margin, stop + offset + margin))
    return np.array(found, np.int64).reshape(-1, 2)


def find_clicks(read: Callable[[int, int], np.ndarray], frames: int, rate: int,
                settings: ClickSettings = ClickSettings(), stage: str = "find clicks") -> Job[Runs]:
    """The clicks of the signal that `read(lo, hi)` gives (`frames` long, at `rate`): (n, 2)
    [start, stop) in order, apart, each with `MARGIN_SECONDS` either side, within the signal."""
    grid = _Grid.at(rate)
    block = max(grid.hop, BLOCK // grid.hop * grid.hop)
    lookback = round(settings.max_ms / 1000 * rate) + round(MERGE_SECONDS * rate) + 2
    context = 2 * (grid.frame + grid.order) + grid.hop
    found = []
    for done, lo in enumerate(range(0, frames, block)):
        yield Progress(stage, done, -(-frames // block))
        hi = min(lo + block, frames)
        first = max(0, lo - lookback - context) // grid.hop * grid.hop
        x = np.asarray(read(first, min(frames, hi + lookback + context)), np.float64)
        scan = max(0, lo - lookback) // grid.hop * grid.hop
        end = min(frames, first + x.size, -(-(hi + lookback) // grid.hop) * grid.hop)
        forward, backward = _robust_errors(x, scan, end, first, grid, settings.sensitivity)
        found.append(_clicks_in(forward, backward, scan, settings, rate, grid.margin, (lo, hi)))
    runs = np.concatenate(found) if found else np.zeros((0, 2), np.int64)
    runs = np.clip(runs, 0, frames)
    if len(runs) > 1:                                   # margins may make neighbours overlap: one span each
        keep = np.r_[True, runs[1:, 0] >= np.maximum.accumulate(runs[:, 1])[:-1]]
        stops = np.maximum.reduceat(runs[:, 1], np.flatnonzero(keep))
        runs = np.stack([runs[keep, 0], stops], axis=1)
    return runs


def _interpolate(segment: np.ndarray, missing: np.ndarray, order: int) -> np.ndarray:
    """`segment`'s `missing` samples filled by least-squares autoregressive interpolation: the values
    that make the whole segment's prediction error, under the predictor fitted to its other samples,
    smallest (Janssen, Veldhuis and Vries 1986)."""
    if segment.size <= 2 * order:                                 # too little around it to fit: silence
        return np.where(missing, 0.0, segment)
    a = _predictor(np.where(missing, 0.0, segment) * np.hanning(segment.size), order)
    if a.size == 1:                                               # silence all around: silence in it
        return np.where(missing, 0.0, segment)
    unknown = np.flatnonzero(missing)
    rows = segment.size - order
    columns = np.zeros((rows, unknown.size))                  # the prediction errors' dependence on each unknown
    for j, at in enumerate(unknown):
        t = np.arange(max(at, order), min(at + order, segment.size - 1) + 1)
        columns[t - order, j] = a[t - at]
    known_error = lfilter(a, [1.0], np.where(missing, 0.0, segment))[order:]
    out = segment.copy()
    out[unknown] = np.linalg.lstsq(columns, -known_error, rcond=None)[0]
    return out


def redraw_clicks(read: Callable[[int, int], np.ndarray], runs: Runs, rate: int, frames: int,
                  stage: str) -> Job[np.ndarray]:
    """The samples of `runs` (of a signal `frames` long that `read(lo, hi)` gives) redrawn from the
    sound around each (a frame's worth), one run after another in one array; other runs nearby are
    left out of the fit too."""
    grid = _Grid.at(rate)
    half = grid.frame // 2
    out = []
    for k, (a, b) in enumerate(runs):
        if k % 256 == 0:
            yield Progress(stage, k, len(runs))
        lo, hi = max(0, int(a) - half), min(frames, int(b) + half)
        segment = np.asarray(read(lo, hi), np.float64)
        missing = np.zeros(segment.size, bool)
        first, last = np.searchsorted(runs[:, 1], lo, "right"), np.searchsorted(runs[:, 0], hi)
        for c, d in runs[first:last]:
            missing[max(c, lo) - lo:min(d, hi) - lo] = True
        out.append(_interpolate(segment, missing, grid.order)[a - lo:b - lo])
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def declicked_version(version: Version, span: tuple[float, float] | None,
                      settings: ClickSettings = ClickSettings()) -> Job[tuple[Version | None, int]]:
    """A new version of `version` with every click in `span` (seconds; the whole without one) redrawn
    from the sound around it, and how many; (None, 0) when it has none."""
    rate, frames = version.sample_rate, version.audio.shape[0]
    lo, hi = (0, frames) if span is None else (min(max(round(t * rate), 0), frames) for t in span)
    if hi <= lo:
        raise ConfigError(f"The chosen time holds no audio of “{version.name}” to remove clicks from.")

    def read(a: int, b: int) -> np.ndarray:
        return np.asarray(version.audio[max(0, a):max(0, b)], np.float64)

    runs = yield from find_clicks(lambda a, b: read(lo + a, lo + min(b, hi - lo)), hi - lo, rate, settings,
                                  f"find clicks in {version.name}")
    if not len(runs):
        return None, 0
    runs = runs + lo
    redrawn = yield from redraw_clicks(read, runs, rate, frames, f"remove clicks from {version.name}")
    audio = scratch_zeros(version.audio.shape)
    for start in range(0, frames, COPY_BLOCK):
        audio[start:start + COPY_BLOCK] = version.audio[start:start + COPY_BLOCK]
    offsets = np.concatenate(([0], np.cumsum(runs[:, 1] - runs[:, 0])))
    for (a, b), at in zip(runs, offsets[:-1]):
        audio[a:b] = redrawn[at:at + b - a]
    audio.flags.writeable = False
    name = version.name if version.name.endswith(DECLICKED_SUFFIX) else version.name + DECLICKED_SUFFIX
    done = {"clicks_removed": int(version.settings.get("clicks_removed", 0)) + len(runs),
            "click_sensitivity": settings.sensitivity}
    if span is not None:
        done["declicked_seconds"] = [span[0], span[1]]
    return Version(name, version.talker, version.kind, audio, rate, version.model,
                   {**version.settings, "mended_from": version.id, **done}, version.device), len(runs)


def declick_job(versions: list[Version], span: tuple[float, float] | None,
                settings: ClickSettings = ClickSettings()) -> Job[list[tuple[Version | None, int]]]:
    """`declicked_version` of each of `versions`, as a job."""
    settings.check()
    found = []
    for version in versions:
        found.append((yield from declicked_version(version, span, settings)))
    return found


def click_runs(recording: Recording | Span, settings: ClickSettings = ClickSettings()) -> Job[list[Runs]]:
    """Per channel of `recording`, its clicks."""
    found = []
    for channel in range(recording.channels):
        found.append((yield from find_clicks(lambda lo, hi, c=channel: recording.read(lo, hi, [c])[0],
                                             recording.frames, recording.sample_rate, settings,
                                             f"find clicks in channel {channel + 1}")))
    return found


def find_redrawn_clicks(recording: Recording | Span, settings: ClickSettings = ClickSettings(),
                        leave: list[Runs] | None = None) -> Job[list[Redrawn]]:
    """Every click of every channel of `recording`, redrawn (channels without any left out), but for
    those touching the channel's runs in `leave` (damage left as it is, whose edges read as clicks)."""
    found = []
    for channel, runs in enumerate((yield from click_runs(recording, settings))):
        if leave is not None:
            runs = runs[~touching(runs, leave[channel])]
        if len(runs):
            samples = yield from redraw_clicks(lambda lo, hi, c=channel: recording.read(lo, hi, [c])[0], runs,
                                               recording.sample_rate, recording.frames,
                                               f"redraw the clicks of channel {channel + 1}")
            offsets = np.concatenate(([0], np.cumsum(runs[:, 1] - runs[:, 0])))
            found.append(Redrawn(channel, runs[:, 0].copy(), offsets, samples))
    return found


def declick_recording_job(recording: Recording | Span, sink: Callable[[np.ndarray], None],
                          settings: ClickSettings = ClickSettings()) -> Job[DeclipResult]:
    """`recording` with every click of every channel redrawn, handed to `sink` as (channels, frames)
    blocks in order (`meco-studio declick`)."""
    settings.check()
    redrawn = yield from find_redrawn_clicks(recording, settings)
    return (yield from write_redrawn(recording, redrawn, sink))


def clicks_job(recording: Recording, settings: ClickSettings = ClickSettings()) -> Job[list[Label]]:
    """The labels of every click of `recording` ("click ch 2"), as Label clipping labels its runs."""
    runs = yield from click_runs(recording, settings)
    return stretch_labels(runs, recording.sample_rate, "click")
