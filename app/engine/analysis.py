"""Level statistics, loudness and the average spectrum of audio lanes over a time range.

What Audacity's Analyze menu (Plot Spectrum, Contrast, Loudness) and RX's Waveform Statistics
give, per lane: peak and RMS level, BS.1770 integrated loudness, DC offset, clipped samples and
the Welch-averaged power spectrum; for a recording's channels, whether they are in step
(`alignment`: each channel's delay and polarity against the first; `delay_track`: whether that
delay drifts, two recorders' clocks parting). Every figure accumulates
block by block (`LaneAnalyser`), so an hour-long recording is analysed in bounded memory and a
job can be cancelled between blocks; the results equal those of pyloudnorm and
scipy.signal.welch on the whole range at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from app.engine.alignment import CLEAR_PEAK, CLEAR_STEP_PEAK, MAX_ARRAY_DELAY_SECONDS, ChannelAligner, ChannelDelay
from app.engine.delay_track import DEFAULT_REACH_S, MAX_REACH_S, Drift, delay_track_job, drift, drifts
from app.engine.errors import ConfigError
from app.engine.files import Span
from app.engine.jobs import Job, Progress
from app.engine.loudness import LoudnessMeter

BLOCK_SECONDS = 2.0                 # audio read per step: cancel within a fraction of a second
SPECTRUM_SECONDS = 0.064            # Welch segment length (rounded up to a power of two in samples)
FULL_SCALE_16BIT = 1.0 - 2.0**-15   # the largest positive 16-bit sample; at or above it counts as clipped


class AudioSource(Protocol):
    """What `Recording` and `ArraySource` both offer: blocks of `(channels, frames)`."""

    sample_rate: int
    name: str

    @property
    def frames(self) -> int: ...

    def read(self, start_frame: int, stop_frame: int, channels: list[int] | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class LaneAnalysis:
    name: str
    sample_rate: int
    frames: int
    peak_dbfs: float          # -inf for digital silence
    rms_dbfs: float           # 20·log10(RMS): a full-scale sine reads -3.01
    loudness_lufs: float      # BS.1770-4 integrated; nan under 400 ms or when every block is gated out
    dc_offset: float          # the mean sample, in full scale
    clipped: int              # samples at 16-bit full scale or beyond
    frequencies: np.ndarray   # Hz; empty when the range is shorter than one spectrum segment
    spectrum_db: np.ndarray   # dB, 10·log10 of twice the power per bin: a sine of amplitude A peaks at 20·log10(A)
    alignment: ChannelDelay | None = None    # a recording's channel against its first (`alignment`); None otherwise
    drift: Drift | None = None               # how fast that delay drifts (`delay_track.drift`); None unmeasured
    drifting: bool = False                   # a drift to name (`delay_track.drifts`)

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate

    @property
    def crest_db(self) -> float:
        """Peak over RMS in dB; a sine reads 3.01."""
        return self.peak_dbfs - self.rms_dbfs if np.isfinite(self.rms_dbfs) else math.nan


def spectrum_segment(sample_rate: int) -> int:
    """Welch segment length: 64 ms rounded up to a power of two (1024 samples at 16 kHz)."""
    return 1 << math.ceil(math.log2(SPECTRUM_SECONDS * sample_rate))


def spectrum_at(audio: np.ndarray, sample_rate: int, centre: int) -> tuple[np.ndarray, np.ndarray]:
    """The spectrum of one Hann window (`spectrum_segment` samples) centred at sample `centre` of
    `audio`, zero beyond its ends: (Hz, dB), scaled as the average spectra are, so a sine of
    amplitude A peaks at 20·log10 A; digital silence reads −inf. What Sonic Visualiser's spectrum
    layer shows at the cursor."""
    length = spectrum_segment(sample_rate)
    start = centre - length // 2
    frame = np.zeros(length)
    lo, hi = max(start, 0), min(start + length, audio.shape[0])
    if hi > lo:
        frame[lo - start:hi - start] = audio[lo:hi]
    window = np.hanning(length + 1)[:length]                  # periodic, as scipy's "hann"
    magnitude = np.abs(np.fft.rfft(frame * window)) * 2 / window.sum()
    with np.errstate(divide="ignore"):
        return np.fft.rfftfreq(length, 1 / sample_rate), 20 * np.log10(magnitude)


def _decibels(power: float) -> float:
    return 10.0 * math.log10(power) if power > 0 else -math.inf


class LaneAnalyser:
    """Accumulates one lane's figures over consecutive blocks; `result()` at the end.

    Loudness accumulates in a `LoudnessMeter`, gated as on the whole range. The spectrum keeps
    the last half segment of each block, so its Welch segments are those of the whole range.
    """

    def __init__(self, name: str, sample_rate: int) -> None:
        self.name, self.sample_rate = name, sample_rate
        self.frames = 0
        self._peak = 0.0
        self._sum = 0.0
        self._squares = 0.0
        self._clipped = 0
        self._loudness = LoudnessMeter(sample_rate)
        self._segment = spectrum_segment(sample_rate)
        self._hop = self._segment // 2
        self._spectrum_tail = np.zeros(0, np.float64)
        self._power_sum: np.ndarray | None = None
        self._segments = 0

    def update(self, block: np.ndarray) -> None:
        x = np.asarray(block, dtype=np.float64)
        if x.size == 0:
            return
        self.frames += x.size
        self._peak = max(self._peak, float(np.abs(x).max()))
        self._sum += float(x.sum())
        self._squares += float(np.dot(x, x))
        self._clipped += int(np.count_nonzero(np.abs(x) >= FULL_SCALE_16BIT))
        self._loudness.update(x)
        self._update_spectrum(x)

    def _update_spectrum(self, x: np.ndarray) -> None:
        import scipy.signal     # most of a second to import: loaded by the first analysis, not at start

        pending = np.concatenate([self._spectrum_tail, x])
        count = (pending.size - self._segment) // self._hop + 1 if pending.size >= self._segment else 0
        if count > 0:
            used = (count - 1) * self._hop + self._segment
            _, power = scipy.signal.welch(pending[:used], self.sample_rate, window="hann", nperseg=self._segment,
                                          noverlap=self._segment - self._hop, detrend=False, scaling="spectrum")
            self._power_sum = power * count if self._power_sum is None else self._power_sum + power * count
            self._segments += count
            pending = pending[count * self._hop:]
        self._spectrum_tail = pending

    def result(self) -> LaneAnalysis:
        n = max(self.frames, 1)
        if self._power_sum is None:
            frequencies, spectrum = np.zeros(0), np.zeros(0)
        else:
            frequencies = np.fft.rfftfreq(self._segment, 1.0 / self.sample_rate)
            with np.errstate(divide="ignore"):
                spectrum = 10.0 * np.log10(2.0 * self._power_sum / self._segments)
        return LaneAnalysis(
            name=self.name, sample_rate=self.sample_rate, frames=self.frames,
            peak_dbfs=20.0 * math.log10(self._peak) if self._peak > 0 else -math.inf,
            rms_dbfs=_decibels(self._squares / n), loudness_lufs=self._loudness.lufs(),
            dc_offset=self._sum / n, clipped=self._clipped, frequencies=frequencies, spectrum_db=spectrum)


@dataclass(frozen=True)
class AnalysisRequest:
    """One source's lanes (a name per channel, in order) over [start, stop) seconds; stop None: the end."""

    source: AudioSource
    names: list[str]
    start_seconds: float = 0.0
    stop_seconds: float | None = None

    def frame_range(self) -> tuple[int, int]:
        """The range in frames, clipped to the source; ConfigError naming the source when nothing is left."""
        rate, frames = self.source.sample_rate, self.source.frames
        start = min(max(0, round(self.start_seconds * rate)), frames)
        stop = frames if self.stop_seconds is None else min(max(start, round(self.stop_seconds * rate)), frames)
        if stop <= start:
            until = "its end" if self.stop_seconds is None else f"{self.stop_seconds:.3f} s"
            raise ConfigError(f"Nothing to analyse in {self.source.name} from {self.start_seconds:.3f} s to {until}: "
                              f"it lasts {frames / rate:.3f} s.")
        return start, stop


def analyse(requests: list[AnalysisRequest]) -> Job[list[LaneAnalysis]]:
    """Every lane of every request, one block of one source per `yield`."""
    spans = [(r, *r.frame_range(), round(BLOCK_SECONDS * r.source.sample_rate)) for r in requests]
    total = sum(math.ceil((stop - start) / block) for _, start, stop, block in spans)
    done, results = 0, []
    for request, start, stop, block in spans:
        analysers = [LaneAnalyser(name, request.source.sample_rate) for name in request.names]
        aligner = ChannelAligner(request.source.sample_rate, len(analysers))
        for at in range(start, stop, block):
            audio = request.source.read(at, min(at + block, stop))
            for analyser, channel in zip(analysers, audio, strict=True):
                analyser.update(channel)
            if len(analysers) > 1:                  # a recording's channels: are they in step?
                aligner.update(audio)
            done += 1
            yield Progress("analyse", done, total)
        delays = aligner.result()
        lanes = [replace(a.result(), alignment=delay) for a, delay in zip(analysers, delays)]
        for channel, delay in enumerate(delays):
            reach = None if delay is None else max(DEFAULT_REACH_S, abs(delay.seconds) + 0.001)
            if delay is not None and delay.peak >= CLEAR_PEAK and reach <= MAX_REACH_S:
                track = yield from delay_track_job(Span(request.source, start, stop), (0, channel), reach)
                moved = drift(track)
                lanes[channel] = replace(lanes[channel], drift=moved, drifting=drifts(track, moved))
        results.extend(lanes)
    return results


STATISTICS_COLUMNS = ("Lane", "Seconds", "Peak (dBFS)", "RMS (dBFS)", "Loudness (LUFS)", "Crest (dB)",
                      "DC offset (%)", "Clipped samples", "Delay vs first channel (ms)", "GCC-PHAT peak", "Polarity",
                      "Drift (ppm)")


def statistics_table(lanes: list[LaneAnalysis], decimals: int = 2) -> list[list[str]]:
    """The figures as text, header first (for a table, Copy and CSV); '' where a figure is undefined."""
    def number(value: float, places: int = decimals) -> str:
        return f"{value:.{places}f}" if math.isfinite(value) else ("-inf" if value == -math.inf else "")

    rows = [list(STATISTICS_COLUMNS)]
    for lane in lanes:
        delay = lane.alignment
        aligned = ["", "", ""] if delay is None else [
            number(1000.0 * delay.seconds, 3), number(delay.peak), "inverted" if delay.inverted else "same"]
        moved, named = lane.drift, " drifting" if lane.drifting else ""
        aligned.append("" if moved is None else f"{moved.ppm:+.{decimals}f} ± {moved.error_ppm:.{decimals}f}{named}")
        rows.append([lane.name, number(lane.seconds, 3), number(lane.peak_dbfs), number(lane.rms_dbfs),
                     number(lane.loudness_lufs), number(lane.crest_db), number(100.0 * lane.dc_offset, 4),
                     str(lane.clipped), *aligned])
    return rows


def warnings(lane: LaneAnalysis) -> dict[str, str]:
    """The table's figures that say something is wrong with the recording, by column, with why:
    clipped samples, a channel further from the first than an array allows, one inverted, one
    whose clock drifts (what separation notes before it runs)."""
    found = {}
    if lane.clipped:
        found["Clipped samples"] = "Samples at full scale: the recording clipped here (Process ▸ Repair clipping…)"
    delay = lane.alignment
    if delay is not None and delay.peak >= CLEAR_STEP_PEAK:
        if abs(delay.seconds) > MAX_ARRAY_DELAY_SECONDS:
            found["Delay vs first channel (ms)"] = ("Further from the first channel than an array's microphones lie "
                                                    f"({1000 * MAX_ARRAY_DELAY_SECONDS:g} ms is 69 cm of sound): "
                                                    "were they recorded together?")
        if delay.inverted:
            found["Polarity"] = "Upside down against the first channel: a microphone wired backwards?"
    if lane.drifting:
        found["Drift (ppm)"] = "Two recorders' clocks parting: the Delays panel's Take out the drift… puts it back"
    return found


Curve = tuple[str, np.ndarray, np.ndarray]      # (name, Hz, dB)


def lane_curves(lanes: list[LaneAnalysis]) -> list[Curve]:
    """The lanes' average spectra as curves, for `spectrum_table`."""
    return [(lane.name, lane.frequencies, lane.spectrum_db) for lane in lanes]


def spectrum_table(curves: list[Curve]) -> list[list[str]]:
    """One row per frequency bin and one column per curve (curves at one rate share the bins);
    header first; digital silence reads -inf."""
    with_spectrum = [curve for curve in curves if curve[1].size]
    rows = [["Frequency (Hz)", *(f"{name} (dB)" for name, _, _ in with_spectrum)]]
    grid = np.unique(np.concatenate([hz for _, hz, _ in with_spectrum])) if with_spectrum else []
    for f in grid:
        cells = []
        for _, hz, db in with_spectrum:
            at = np.searchsorted(hz, f)
            cells.append(f"{db[at]:.2f}" if at < hz.size and hz[at] == f else "")
        rows.append([f"{f:.2f}", *cells])
    return rows
