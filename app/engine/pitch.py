"""The fundamental frequency (F0) of a voice over time: pYIN, as Sonic Visualiser's pitch layer.

librosa's `pyin` (Mauch & Dixon's probabilistic YIN with its Viterbi voicing) gives each 10 ms
frame an F0, or none where the frame is unvoiced. It runs at about a tenth of real time on one
core here, so a lane is tracked in pieces of `PIECE_SECONDS` on a fixed grid from its start: the
window tracks only the pieces in view, and a whole file streams piece by piece in bounded
memory. Each piece is decoded with `CONTEXT_SECONDS` of audio either side, which its Viterbi
path sees but which it does not report, so the frames near a piece's edges are those of a track
of the whole lane (tested against one). The Viterbi decoding is numba-compiled code that holds
the GIL for most of a second per piece, so the desktop app has it run in a helper process
(`pitch_in_helper_process`), as the metrics' PESQ runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import soxr

from app.engine.analysis import AudioSource
from app.engine.errors import ConfigError
from app.engine.jobs import Job, Progress
from models.common.helper_process import HelperProcess

PITCH_RATE = 16_000          # lanes are resampled to this: F0 lives far below 8 kHz
FRAME_LENGTH = 1024          # 64 ms: two periods of the lowest floor (30 Hz) fit
HOP_SECONDS = 0.01           # Praat's and most papers' time step
PIECE_SECONDS = 10.0
CONTEXT_SECONDS = 0.5
MIN_FLOOR_HZ, MAX_CEILING_HZ = 30.0, 2000.0
PITCH_HELPER = HelperProcess("pitch")


def pitch_in_helper_process(enabled: bool = True) -> None:
    """Have pYIN run in a helper process from now on (or again in this one): its Viterbi decoding
    would hold the GIL, and a window's event loop, for most of a second per piece."""
    PITCH_HELPER.enable(enabled)


@dataclass(frozen=True)
class PitchSettings:
    """The F0 range searched; Praat's 75–600 Hz default widened down to 65 Hz for low male voices."""

    floor_hz: float = 65.0
    ceiling_hz: float = 600.0

    def __post_init__(self) -> None:
        if not MIN_FLOOR_HZ <= self.floor_hz < self.ceiling_hz <= MAX_CEILING_HZ:
            raise ConfigError(f"A pitch range of {self.floor_hz:g}–{self.ceiling_hz:g} Hz cannot be tracked: the floor "
                              f"must be at least {MIN_FLOOR_HZ:g} Hz, below the ceiling, and the ceiling at most "
                              f"{MAX_CEILING_HZ:g} Hz.")


@dataclass(frozen=True)
class PitchTrack:
    """F0 per frame: `times` in seconds from the lane's start (frame centres), `f0_hz` NaN where unvoiced."""

    times: np.ndarray
    f0_hz: np.ndarray

    @staticmethod
    def empty() -> PitchTrack:
        return PitchTrack(np.zeros(0), np.zeros(0))

    @staticmethod
    def joined(tracks: list[PitchTrack]) -> PitchTrack:
        if not tracks:
            return PitchTrack.empty()
        return PitchTrack(np.concatenate([t.times for t in tracks]), np.concatenate([t.f0_hz for t in tracks]))

    @property
    def voiced_share(self) -> float:
        """The fraction of frames with an F0; NaN without frames."""
        return float(np.isfinite(self.f0_hz).mean()) if self.f0_hz.size else math.nan

    def percentile_hz(self, q: float) -> float:
        """A percentile of the voiced frames' F0 (50: the median); NaN when none is voiced."""
        voiced = self.f0_hz[np.isfinite(self.f0_hz)]
        return float(np.percentile(voiced, q)) if voiced.size else math.nan

    def at(self, seconds: float) -> float:
        """The F0 of the frame whose 10 ms step holds `seconds`; NaN if unvoiced or not tracked."""
        if not self.times.size:
            return math.nan
        index = int(np.searchsorted(self.times, seconds))
        nearest = min((i for i in (index - 1, index) if 0 <= i < self.times.size),
                      key=lambda i: abs(self.times[i] - seconds))
        return float(self.f0_hz[nearest]) if abs(self.times[nearest] - seconds) <= HOP_SECONDS / 2 else math.nan


def piece_count(frames: int, sample_rate: int) -> int:
    return math.ceil(frames / (PIECE_SECONDS * sample_rate)) if frames > 0 else 0


def piece_range(index: int, frames: int, sample_rate: int) -> tuple[float, float]:
    """The seconds piece `index` reports: [start, stop), the last one cut at the lane's end."""
    start = index * PIECE_SECONDS
    return start, min(start + PIECE_SECONDS, frames / sample_rate)


def track_piece(source: AudioSource, channel: int, index: int, settings: PitchSettings) -> PitchTrack:
    """The F0 of one piece of one lane, decoded with its context either side."""
    rate, frames = source.sample_rate, source.frames
    start, stop = piece_range(index, frames, rate)
    if stop <= start:
        return PitchTrack.empty()
    first = max(0, math.floor((start - CONTEXT_SECONDS) * rate))
    last = min(frames, math.ceil((stop + CONTEXT_SECONDS) * rate))
    audio = np.asarray(source.read(first, last, [channel])[0], dtype=np.float32)
    if rate != PITCH_RATE:
        audio = soxr.resample(audio, rate, PITCH_RATE)
    audio = np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0)
    if audio.size < FRAME_LENGTH:           # too short for one frame: padding it is what pyin would do
        audio = np.pad(audio, (0, FRAME_LENGTH - audio.size))
    f0 = PITCH_HELPER.run(_pyin, audio, settings.floor_hz, settings.ceiling_hz)
    steps = round(first / rate / HOP_SECONDS) + np.arange(f0.size)      # frames on one grid from the lane's start
    keep = (steps >= round(start / HOP_SECONDS)) & (steps * HOP_SECONDS < stop)
    return PitchTrack(steps[keep] * HOP_SECONDS, f0[keep].astype(np.float64))


def _pyin(audio: np.ndarray, floor_hz: float, ceiling_hz: float) -> np.ndarray:
    """F0 per 10 ms frame of 16 kHz audio, NaN where unvoiced; runs here or in the helper process."""
    import librosa          # a second to import: loaded by the first track, not at start

    f0, voiced, _ = librosa.pyin(audio, fmin=floor_hz, fmax=ceiling_hz, sr=PITCH_RATE, frame_length=FRAME_LENGTH,
                                 hop_length=round(HOP_SECONDS * PITCH_RATE), center=True)
    return np.where(voiced, f0, np.nan)


def track_job(source: AudioSource, channel: int, settings: PitchSettings, start_seconds: float = 0.0,
              stop_seconds: float | None = None) -> Job[PitchTrack]:
    """One lane's F0 over [start, stop) seconds, piece by piece (one `Progress` per piece)."""
    rate, frames = source.sample_rate, source.frames
    stop_seconds = frames / rate if stop_seconds is None else min(stop_seconds, frames / rate)
    first = math.floor(max(0.0, start_seconds) / PIECE_SECONDS)
    last = min(piece_count(frames, rate), math.ceil(stop_seconds / PIECE_SECONDS))
    tracks: list[PitchTrack] = []
    for done, index in enumerate(range(first, last), start=1):
        piece = track_piece(source, channel, index, settings)
        keep = (piece.times >= start_seconds) & (piece.times < stop_seconds)
        tracks.append(PitchTrack(piece.times[keep], piece.f0_hz[keep]))
        yield Progress("track pitch", done, last - first)
    return PitchTrack.joined(tracks)
