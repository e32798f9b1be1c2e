"""The delay between two microphones over time: a GCC-PHAT correlogram, the spatial picture of an
array recording that a level or a spectrogram does not give.

Each talker reaches the two microphones a fixed delay apart (set by where they stand, at most the
microphones' distance over the speed of sound), so while a talker speaks the whitened cross-
correlation of the pair peaks at that talker's delay: the correlogram draws one line per talker,
lit when each speaks, and a noise source from a fixed place draws one of its own. Its columns say
how many talkers there are and when each speaks before any separation, and they test the channels
themselves: a line that slants is two clocks drifting apart (channels from separate devices), a
line that jumps is a buffer that slipped, and no line at all is two channels that do not hear the
same room.

A column (about a tenth of a second; longer for long spans, so a column count stays bounded) averages
the cross-power spectra of the Hann frames (at least 64 ms, and four times the reach) centred in it,
whitens them (PHAT: Knapp and Carter 1976) and transforms back on a grid four times finer than a
sample. `alignment.ChannelAligner` does the same over a whole range to put channels in step; here
the range is cut into columns, read block by block, so an hour costs the memory of a block.

From the columns: the delays they gather at (`strongest_delays`), how fast the delays drift
(`drift`, `drifts`: measured within each talker's turn, so turns taken at different delays are no
drift), and a label per stretch heard from each delay (`source_labels`).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.engine.activity import ActivitySettings, frames_to_labels, smooth
from app.engine.errors import ConfigError
from app.engine.files import ArraySource, Recording, Span
from app.engine.jobs import Job, Progress
from app.engine.labels import Label

Source = Recording | Span | ArraySource

COLUMN_SECONDS = 0.1        # the shortest column
MOST_COLUMNS = 4000         # a longer span gets longer columns
MIN_FRAME_SECONDS = 0.064
UPSAMPLE = 4                # lags on a grid this much finer than a sample
DEFAULT_REACH_S = 0.001     # 34 cm of path difference: a table-top array, a stereo pair
MAX_REACH_S = 0.25          # channels of separate devices can be this far apart
QUIET_DB = 50.0             # a column this far under the span's loudest has no delay to show
CLEAR_SIGMAS = 3.0          # how far above the highest peak unrelated channels would give a clear one stands
MODE_SHARE = 0.05           # a delay held by fewer of the clear columns than this is not listed
MIN_RUN = 5                 # clear columns in a row on one line: a stretch to measure a slant over
MIN_DRIFT_COLUMNS = 20      # fewer columns in such stretches say nothing of a drift
BLOCK_SAMPLES = 1 << 21     # frame samples transformed at a time, per channel


@dataclass(frozen=True)
class DelayTrack:
    """The correlogram of channel `pair[1]` against `pair[0]` (0-based) from `start` (seconds)."""

    pair: tuple[int, int]
    start: float
    column_seconds: float
    lags: np.ndarray         # (L,) seconds: positive, the second channel hears the sound later
    image: np.ndarray        # (columns, L) float32 whitened cross-correlation, 1 for a pure delay
    peak: np.ndarray         # (columns,) seconds of each column's highest correlation; NaN where quiet
    height: np.ndarray       # (columns,) that correlation, 0–1; 0 where quiet
    floor: float             # the height a peak must reach to be clear (`clear_floor`)

    @property
    def times(self) -> np.ndarray:
        """Each column's centre, in seconds of the recording."""
        return self.start + (np.arange(self.image.shape[0]) + 0.5) * self.column_seconds

    @property
    def clear(self) -> np.ndarray:
        """The columns whose delay is clear: loud enough, and a peak of at least `floor`."""
        return np.isfinite(self.peak) & (self.height >= self.floor)


@dataclass(frozen=True)
class Drift:
    """How fast the delays slant: two channels' clocks parting (every talker's line slants alike)."""

    ppm: float               # delay gained per second, in millionths: positive, the second channel falls behind
    error_ppm: float         # its standard error
    freedom: int             # the error's degrees of freedom: stretches − 1 where they disagree, else columns
    share: float             # the fraction of the clear columns in the stretches it was measured over

    @property
    def clear(self) -> bool:
        """Whether the drift stands clear of zero as three standard errors would of a normal error
        (99.73 %, two-sided), with Student's t for an error from few stretches."""
        from scipy.stats import t

        return abs(self.ppm) > t.ppf(1 - 0.0027 / 2, self.freedom) * self.error_ppm


@dataclass(frozen=True)
class DelayMode:
    seconds: float           # a delay many columns share: a talker's (or a noise source's) place
    share: float             # the fraction of the clear columns near it


def frame_length(sample_rate: int, reach_s: float) -> int:
    """The Hann frame: a power of two of at least 64 ms and four times the reach."""
    return 1 << math.ceil(math.log2(max(MIN_FRAME_SECONDS, 4 * reach_s) * sample_rate))


def clear_floor(size: int, lags: int) -> float:
    """The height a column's peak must reach to be more than chance. Whitened, two unrelated
    channels' cross-correlation has a standard deviation of about 1/sqrt(frame length) at every lag
    however many frames are summed, and the highest of `lags` independent lags stands about
    sqrt(2 ln lags) deviations up; a clear peak stands `CLEAR_SIGMAS` more."""
    return (math.sqrt(2 * math.log(max(lags, 2))) + CLEAR_SIGMAS) / math.sqrt(size)


def check_pair(channels: int, pair: tuple[int, int], reach_s: float) -> None:
    """ConfigError for a pair the recording does not have, or a reach out of range."""
    first, second = pair
    if channels < 2:
        raise ConfigError("The delay between two microphones needs a recording of at least two channels; "
                          "this one has one.")
    if not (0 <= first < channels and 0 <= second < channels):
        raise ConfigError(f"Channels {first + 1} and {second + 1} are not both in a recording of {channels} channels.")
    if first == second:
        raise ConfigError(f"Channel {first + 1} against itself has no delay: choose two different channels.")
    if not 0 < reach_s <= MAX_REACH_S:
        raise ConfigError(f"A reach of {reach_s * 1000:g} ms is outside 0–{MAX_REACH_S * 1000:g} ms.")


def delay_track_job(source: Source, pair: tuple[int, int] = (0, 1),
                    reach_s: float = DEFAULT_REACH_S) -> Job[DelayTrack]:
    """The correlogram of `pair` over all of `source` (a `Span` for a selection: its columns keep the
    recording's time), lags within ±`reach_s`; one progress step per block."""
    check_pair(source.channels, pair, reach_s)
    rate, frames = source.sample_rate, source.frames
    start = source.start / rate if isinstance(source, Span) else 0.0
    size = frame_length(rate, reach_s)
    hop = size // 4
    step = max(1, round(COLUMN_SECONDS * rate / hop), math.ceil(frames / MOST_COLUMNS / hop)) * hop
    per_column = step // hop
    block_columns = max(1, BLOCK_SAMPLES // (per_column * size))
    columns = frames // step
    if columns < 1 or frames < size:
        raise ConfigError(f"{max(step, size) / rate:.2f} s of audio at least are needed for a delay; the range is "
                          f"{frames / rate:.2f} s.")
    reach = min(math.ceil(reach_s * rate * UPSAMPLE), size * UPSAMPLE // 2 - 1)
    window = np.hanning(size)
    image = np.zeros((columns, 2 * reach + 1), np.float32)
    level = np.zeros(columns)
    blocks = range(0, columns, block_columns)
    for done, first in enumerate(blocks):
        yield Progress("track the delay", done, len(blocks))
        last = min(first + block_columns, columns)
        lo, hi = first * step - size // 2, last * step + size // 2        # frames centred in the columns
        audio = _read(source, lo, hi, pair)
        starts = np.arange(0, (last - first) * step, hop)                 # frame centres from the block's start
        frames_ = np.lib.stride_tricks.sliding_window_view(audio, size, axis=1)[:, starts] * window
        spectra = np.fft.rfft(frames_, axis=2)
        cross = np.conj(spectra[0]) * spectra[1]                          # (frames, bins): positive lag = later
        summed = cross.reshape(last - first, per_column, -1).sum(axis=1)
        whitened = summed / np.maximum(np.abs(summed), 1e-30)
        correlation = np.fft.irfft(whitened, size * UPSAMPLE, axis=1) * UPSAMPLE
        image[first:last] = np.concatenate([correlation[:, -reach:], correlation[:, :reach + 1]], axis=1)
        power = np.mean(frames_[0] ** 2, axis=1).reshape(last - first, per_column).mean(axis=1)
        level[first:last] = 10 * np.log10(power + 1e-30)
    lags = np.arange(-reach, reach + 1) / (rate * UPSAMPLE)
    peak, height = _peaks(image, lags)
    quiet = level < level.max() - QUIET_DB
    peak[quiet], height[quiet] = np.nan, 0.0
    return DelayTrack(pair, start, step / rate, lags, image, peak, height, clear_floor(size, 2 * reach // UPSAMPLE + 1))


def _read(source: Source, lo: int, hi: int, pair: tuple[int, int]) -> np.ndarray:
    """Frames [lo, hi) of the pair's channels in double, silence before the start and past the end."""
    out = np.zeros((2, hi - lo))
    got = np.asarray(source.read(max(lo, 0), min(hi, source.frames), list(pair)), np.float64)
    out[:, max(-lo, 0):max(-lo, 0) + got.shape[1]] = got
    return out


def _peaks(image: np.ndarray, lags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's highest correlation and its lag, refined by a parabola through its neighbours."""
    at = np.argmax(image, axis=1)
    rows = np.arange(image.shape[0])
    height = image[rows, at].astype(np.float64)
    inner = np.clip(at, 1, image.shape[1] - 2)
    left, mid, right = (image[rows, inner + d].astype(np.float64) for d in (-1, 0, 1))
    curve = left - 2 * mid + right
    shift = np.where((at == inner) & (curve < 0), 0.5 * (left - right) / np.where(curve < 0, curve, -1), 0.0)
    step = lags[1] - lags[0] if lags.size > 1 else 0.0
    return lags[at] + shift * step, np.clip(height, 0.0, 1.0)


def strongest_delays(track: DelayTrack, most: int = 4) -> list[DelayMode]:
    """The delays the clear columns gather at (each talker's, each fixed noise source's), most
    shared first: peaks of the histogram of the columns' delays, each with the share of the clear
    columns within half the distance to its neighbours; none held by under `MODE_SHARE`."""
    from scipy.signal import find_peaks

    clear = track.peak[track.clear]
    if clear.size == 0:
        return []
    step = track.lags[1] - track.lags[0]
    edges = np.append(track.lags - step / 2, track.lags[-1] + step / 2)
    counts, _ = np.histogram(clear, edges)
    density = np.convolve(counts, np.ones(UPSAMPLE + 1), mode="same")      # half a sample either way
    found, _ = find_peaks(np.pad(density, 1), distance=UPSAMPLE)
    found = found - 1
    index = np.round((clear - track.lags[0]) / step)
    modes = []
    for k, centre in enumerate(found):
        lo = (found[k - 1] + centre) / 2 if k > 0 else -np.inf
        hi = (found[k + 1] + centre) / 2 if k + 1 < len(found) else np.inf
        near = clear[(index > lo) & (index <= hi)]
        if near.size >= MODE_SHARE * clear.size:
            modes.append(DelayMode(float(np.median(near)), near.size / clear.size))
    return sorted(modes, key=lambda m: -m.share)[:most]


def drift(track: DelayTrack) -> Drift | None:
    """How fast the delays slant, from the slope within each stretch of clear columns that follow
    one line (consecutive columns less than half a sample apart: a talker's turn), all stretches
    sharing one slope (a regression with an intercept per stretch). A talker's turn is flat
    however the talkers take turns, while clocks parting slant every stretch alike. None with
    fewer than `MIN_DRIFT_COLUMNS` columns in stretches of at least `MIN_RUN` columns."""
    half = UPSAMPLE / 2 * (track.lags[1] - track.lags[0])
    clear, times, peak = track.clear, track.times, track.peak
    breaks = ~clear[1:] | ~clear[:-1] | (np.abs(np.diff(np.nan_to_num(peak))) > half)
    starts = np.concatenate([[0], np.flatnonzero(breaks) + 1])
    stops = np.append(starts[1:], clear.size)
    runs = [np.arange(lo, hi) for lo, hi in zip(starts, stops) if hi - lo >= MIN_RUN and clear[lo]]
    if sum(run.size for run in runs) < MIN_DRIFT_COLUMNS:
        return None
    t = [times[run] - times[run].mean() for run in runs]
    d = [peak[run] - peak[run].mean() for run in runs]
    weights = np.array([float(x @ x) for x in t])
    slopes = np.array([float(x @ y) for x, y in zip(t, d)]) / weights
    slope = float(weights @ slopes / weights.sum())
    residuals = [y - slope * x for x, y in zip(t, d)]
    square = sum(float(r @ r) for r in residuals)
    columns = sum(run.size for run in runs)
    dof = max(columns - len(runs) - 1, 1)
    # Neighbouring columns wobble together (voices and noise mixing slowly): fewer independent
    # columns than there are, by the residuals' correlation from one column to the next.
    neighbours = sum(float(r[1:] @ r[:-1]) for r in residuals) / max(square, 1e-300)
    inflation = (1 + neighbours) / (1 - neighbours) if 0 < neighbours < 1 else 1.0
    error, freedom = math.sqrt(square / dof / weights.sum() * inflation), max(int(dof / inflation), 1)
    if len(runs) > 1:           # stretches that disagree more than their own scatter says (a turn's edge, two
        spread = math.sqrt(weights @ (slopes - slope) ** 2 / ((len(runs) - 1) * weights.sum()))  # voices merging)
        if spread > error:
            error, freedom = spread, len(runs) - 1
    return Drift(slope * 1e6, error * 1e6, freedom, columns / max(int(clear.sum()), 1))


def drifts(track: DelayTrack, moved: Drift | None) -> bool:
    """Whether `moved` is a drift to name: it parts the delays by a sample or more over the track
    and stands clear of zero."""
    if moved is None:
        return False
    parted = moved.ppm * 1e-6 * track.image.shape[0] * track.column_seconds
    return abs(parted) >= UPSAMPLE * (track.lags[1] - track.lags[0]) and moved.clear


def describe(track: DelayTrack, modes: Sequence[DelayMode], moved: Drift | None = None) -> str:
    """The correlogram in words, for the panel and `meco-studio delays`."""
    a, b = (c + 1 for c in track.pair)
    if not modes:
        return f"Channels {a} and {b}: no clear delay (the two channels do not hear the same sounds clearly)."
    found = ", ".join(f"{m.seconds * 1000:+.3f} ms ({m.share:.0%})" for m in modes)
    text = f"Channel {b} against channel {a}: the clear columns gather at {found}."
    if moved is not None:
        length = track.image.shape[0] * track.column_seconds
        parted = moved.ppm * 1e-6 * length
        sample = UPSAMPLE * (track.lags[1] - track.lags[0])
        if drifts(track, moved):
            text += (f" The delays drift {moved.ppm:+.1f} ± {moved.error_ppm:.1f} ppm ({parted * 1000:+.3f} ms over "
                     f"the {length:.0f} s): two clocks parting, as channels of separate devices do.")
        else:
            text += (f" No drift to see ({moved.ppm:+.1f} ± {moved.error_ppm:.1f} ppm: under a sample, "
                     f"{sample * 1000:.3f} ms, over the {length:.0f} s, or within its error).")
    return text


def source_columns(track: DelayTrack, modes: Sequence[DelayMode]) -> np.ndarray:
    """(modes, columns): where the clear columns sit within a sample of each of `modes` (the
    nearest), pauses shorter than talker activity's bridged and shorter bursts dropped."""
    if not modes:
        return np.zeros((0, track.image.shape[0]), bool)
    centres = np.array([m.seconds for m in modes])
    distance = np.abs(np.nan_to_num(track.peak, nan=np.inf)[:, None] - centres[None, :])
    nearest = np.argmin(distance, axis=1)
    close = track.clear & (distance.min(axis=1) <= UPSAMPLE * (track.lags[1] - track.lags[0]))
    settings = ActivitySettings()
    return np.stack([smooth(close & (nearest == k), track.column_seconds, settings) for k in range(len(modes))])


def source_labels(track: DelayTrack, modes: Sequence[DelayMode]) -> list[Label]:
    """A label per stretch of `source_columns`, named "source k at ±x ms", in time order: who sounds
    from where, and when, without separating."""
    names = [f"source {k + 1} at {m.seconds * 1000:+.3f} ms" for k, m in enumerate(modes)]
    return [Label(label.start + track.start, label.stop + track.start, label.text)
            for label in frames_to_labels(source_columns(track, modes), track.column_seconds, names)]


def delay_csv(track: DelayTrack) -> str:
    """One row per column: its centre (`time_s`), its peak's delay in ms (empty where the column is
    quiet) and the peak's height, as Sonic Visualiser and a spreadsheet read a time series."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time_s", "delay_ms", "peak"])
    for time, delay, height in zip(track.times, track.peak, track.height):
        writer.writerow([f"{time:.3f}", f"{delay * 1000:.4f}" if math.isfinite(delay) else "", f"{height:.3f}"])
    return out.getvalue()
