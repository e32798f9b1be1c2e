"""Small signal helpers shared by the data engine: reading, resampling, levels, fades."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

log = logging.getLogger(__name__)

EPS = 1e-12


class CorpusWarning(UserWarning):
    """A file in a corpus was missing or unreadable and was skipped; the message names it."""


def read_audio(
    path: Path, sample_rate: int, mono: bool = True, start_s: float = 0.0, seconds: float | None = None
) -> np.ndarray:
    """Read `path` (or `seconds` of it from `start_s`) as float32 at `sample_rate`:
    `(frames,)` when `mono`, else `(channels, frames)`.

    Raises `soundfile.LibsndfileError`/`OSError` for unreadable files; callers that read user
    corpora use `try_read_audio` so one bad file never stops a run.
    """
    with sf.SoundFile(str(path)) as f:
        rate = f.samplerate
        if start_s > 0:
            f.seek(min(int(start_s * rate), max(f.frames - 1, 0)))
        data = f.read(-1 if seconds is None else int(np.ceil(seconds * rate)), dtype="float32", always_2d=True)
    data = data.T
    if mono:
        data = data.mean(axis=0)
    if rate != sample_rate:
        data = resample(data, rate, sample_rate)
    return np.ascontiguousarray(data, dtype=np.float32)


def try_read_audio(
    path: Path, sample_rate: int, mono: bool = True, start_s: float = 0.0, seconds: float | None = None
) -> np.ndarray | None:
    """`read_audio`, but a missing or corrupt file gives a `CorpusWarning` naming it and None."""
    try:
        data = read_audio(path, sample_rate, mono, start_s, seconds)
    except (OSError, RuntimeError, ValueError) as err:
        warnings.warn(f"skipped {path}: {err}", CorpusWarning, stacklevel=2)
        return None
    if data.size == 0 or not np.all(np.isfinite(data)):
        warnings.warn(f"skipped {path}: empty or not finite", CorpusWarning, stacklevel=2)
        return None
    return data


def write_flac(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Write `(frames,)` or `(channels, frames)` audio as 16-bit FLAC, atomically (temp + rename),
    so an interrupted build never leaves a truncated file behind a manifest line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.flac")
    sf.write(tmp, audio.T if audio.ndim == 2 else audio, sample_rate, subtype="PCM_16", compression_level=1.0)
    os.replace(tmp, path)


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample along the last axis with soxr (high quality, fast on CPU)."""
    if rate_in == rate_out:
        return x.astype(np.float32, copy=False)
    if x.ndim == 1:
        return soxr.resample(x, rate_in, rate_out).astype(np.float32)
    return soxr.resample(x.T, rate_in, rate_out).T.astype(np.float32)


def power(x: np.ndarray) -> float:
    """Mean square over all samples."""
    return float(np.mean(np.square(x, dtype=np.float64))) if x.size else 0.0


def db_to_gain(level_db: float) -> float:
    return float(10.0 ** (level_db / 20.0))


def gain_for_ratio_db(signal: np.ndarray, other: np.ndarray, ratio_db: float) -> float:
    """Gain for `other` so that power(signal) / power(gain*other) equals `ratio_db`."""
    return float(np.sqrt(power(signal) / (max(power(other), EPS) * 10.0 ** (ratio_db / 10.0))))


def trim_silence(x: np.ndarray, sample_rate: int, threshold_db: float = -45.0, pad_seconds: float = 0.05) -> np.ndarray:
    """Cut leading and trailing silence below `threshold_db` re the peak, keeping a short pad.

    Kokoro puts about 0.5 s of silence at both ends (DATA-SOURCES.md); the pad keeps onsets.
    """
    if x.size == 0:
        return x
    level = np.abs(x)
    above = np.flatnonzero(level > level.max() * db_to_gain(threshold_db))
    if above.size == 0:
        return x[:0]
    pad = int(pad_seconds * sample_rate)
    return x[max(0, above[0] - pad) : above[-1] + pad + 1]


def fade_edges(x: np.ndarray, frames: int) -> np.ndarray:
    """Raised-cosine fade-in and fade-out of `frames` samples on the last axis (in place)."""
    n = min(frames, x.shape[-1] // 2)
    if n > 0:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float32))
        x[..., :n] *= ramp
        x[..., -n:] *= ramp[::-1]
    return x
