"""The fundamental frequency (F0) of a voice over time: pYIN, as Sonic Visualiser's pitch layer.

librosa's `pyin` (Mauch & Dixon's probabilistic YIN with its Viterbi voicing) gives each 10 ms
frame an F0, or none where the frame is unvoiced. It is slow beside drawing (`meco-studio bench
pitch`), so a lane is tracked in pieces of `PIECE_SECONDS` on a fixed grid from its start: the
window tracks only the pieces in view, and a whole file streams piece by piece in bounded
memory. Each piece is decoded with `CONTEXT_SECONDS` of audio either side, which its Viterbi
path sees but which it does not report, so the frames near a piece's edges are those of a track
of the whole lane (tested against one). The Viterbi decoding is numba-compiled code that holds
the GIL for most of a second per piece, so the desktop app has it run in a helper process
(`pitch_in_helper_process`), as the metrics' PESQ runs.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from app.engine.analysis import AudioSource
from app.engine.errors import ConfigError
from app.engine.export import write_text_atomically
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


def tracks_job(lanes: list[tuple[AudioSource, int]], settings: PitchSettings, start_seconds: float = 0.0,
               stop_seconds: float | None = None, known: list[dict[int, PitchTrack]] | None = None
               ) -> Job[list[PitchTrack]]:
    """Each lane's (source, channel) F0 over [start, stop) seconds, piece by piece (one `Progress`
    per piece tracked); a piece in the lane's `known` (tracked before with these settings, as the
    window keeps them) is not tracked again."""
    pieces = []
    for source, _ in lanes:
        rate, frames = source.sample_rate, source.frames
        stop = frames / rate if stop_seconds is None else min(stop_seconds, frames / rate)
        first = math.floor(max(0.0, start_seconds) / PIECE_SECONDS)
        pieces.append((range(first, min(piece_count(frames, rate), math.ceil(stop / PIECE_SECONDS))), stop))
    found = [dict(k) for k in known] if known is not None else [{} for _ in lanes]
    total = sum(1 for (indices, _), done in zip(pieces, found) for i in indices if i not in done)
    tracked = 0
    for (source, channel), (indices, _), done in zip(lanes, pieces, found):
        for index in indices:
            if index not in done:
                done[index] = track_piece(source, channel, index, settings)
                tracked += 1
                yield Progress("track pitch", tracked, total)
    tracks = []
    for (indices, stop), done in zip(pieces, found):
        track = PitchTrack.joined([done[i] for i in indices])
        keep = (track.times >= start_seconds) & (track.times < stop)
        tracks.append(PitchTrack(track.times[keep], track.f0_hz[keep]))
    return tracks


def track_job(source: AudioSource, channel: int, settings: PitchSettings, start_seconds: float = 0.0,
              stop_seconds: float | None = None) -> Job[PitchTrack]:
    """One lane's F0 over [start, stop) seconds, piece by piece."""
    (track,) = yield from tracks_job([(source, channel)], settings, start_seconds, stop_seconds)
    return track


def pitch_csv(columns: list[str], tracks: list[PitchTrack]) -> str:
    """`time_s`, then a column per track: one row per 10 ms frame that any track holds, a cell
    empty where that track's frame is unvoiced or beyond its end."""
    steps = [np.round(t.times / HOP_SECONDS).astype(np.int64) for t in tracks]
    present = [s for s in steps if s.size]
    grid = np.arange(min(int(s[0]) for s in present), max(int(s[-1]) for s in present) + 1) if present else []
    table = np.full((len(grid), len(tracks)), np.nan)
    for column, (track, at) in enumerate(zip(tracks, steps)):
        if at.size:
            table[at - grid[0], column] = track.f0_hz
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time_s", *columns])
    for step, row in zip(grid, table):
        writer.writerow([f"{step * HOP_SECONDS:.2f}"] + [f"{v:.2f}" if math.isfinite(v) else "" for v in row])
    return out.getvalue()


def export_job(lanes: list[tuple[AudioSource, int]], columns: list[str], path: Path, settings: PitchSettings,
               start_seconds: float = 0.0, stop_seconds: float | None = None,
               known: list[dict[int, PitchTrack]] | None = None) -> Job[Path]:
    """The lanes' F0 tracks over the range into one CSV at `path` (`pitch_csv`), written whole or not at all."""
    tracks = yield from tracks_job(lanes, settings, start_seconds, stop_seconds, known)
    return write_text_atomically(path, pitch_csv(columns, tracks))
