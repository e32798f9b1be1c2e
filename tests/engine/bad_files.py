"""Generated bad-input fixtures: each builder writes one broken file into a folder.

`BAD_FILES` maps a case name to (builder, words the error message must contain). Shared by the
engine tests and the GUI tests, so every case is checked at both edges.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 16_000


def tone(seconds: float = 0.5, channels: int = 2, rate: int = RATE) -> np.ndarray:
    """(frames, channels) float32 sines, one pitch per channel."""
    t = np.arange(int(seconds * rate)) / rate
    return np.stack([0.3 * np.sin(2 * np.pi * (220 + 110 * c) * t) for c in range(channels)], axis=1).astype(np.float32)


def write_valid(path: Path, fmt: str = "WAV", subtype: str | None = None, channels: int = 2) -> Path:
    sf.write(path, tone(channels=channels), RATE, format=fmt, subtype=subtype)
    return path


def _data_chunk_offset(raw: bytes) -> int:
    return raw.index(b"data")


def truncated(folder: Path) -> Path:
    path = write_valid(folder / "truncated.wav")
    raw = path.read_bytes()
    path.write_bytes(raw[: _data_chunk_offset(raw) + 8 + 1000])
    return path


def lying_header(folder: Path) -> Path:
    """The data chunk claims 100x the bytes the file holds."""
    path = write_valid(folder / "lying.wav", subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    off = _data_chunk_offset(raw)
    (size,) = struct.unpack_from("<I", raw, off + 4)
    struct.pack_into("<I", raw, off + 4, size * 100)
    path.write_bytes(bytes(raw))
    return path


def not_audio(folder: Path) -> Path:
    path = folder / "notes.wav"
    path.write_text("Meeting notes, not a recording.\n" * 50)
    return path


def empty_bytes(folder: Path) -> Path:
    path = folder / "empty.wav"
    path.write_bytes(b"")
    return path


def zero_frames(folder: Path) -> Path:
    path = folder / "zero_frames.wav"
    sf.write(path, np.zeros((0, 2), np.float32), RATE)
    return path


def one_frame(folder: Path) -> Path:
    path = folder / "one_frame.wav"
    sf.write(path, np.zeros((1, 2), np.float32), RATE)
    return path


def nan_samples(folder: Path) -> Path:
    audio = tone()
    audio[100:110, 0] = np.nan
    path = folder / "nan.wav"
    sf.write(path, audio, RATE, subtype="FLOAT")
    return path


def inf_samples(folder: Path) -> Path:
    audio = tone()
    audio[200, 1] = np.inf
    path = folder / "inf.wav"
    sf.write(path, audio, RATE, subtype="FLOAT")
    return path


def zero_hz(folder: Path) -> Path:
    path = write_valid(folder / "zero_hz.wav", subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    struct.pack_into("<I", raw, 24, 0)        # fmt chunk: sample rate
    struct.pack_into("<I", raw, 28, 0)        # byte rate
    path.write_bytes(bytes(raw))
    return path


def too_slow_rate(folder: Path) -> Path:
    path = folder / "4khz.wav"
    sf.write(path, tone(rate=4000), 4000)
    return path


def too_many_channels(folder: Path) -> Path:
    path = folder / "33ch.wav"
    sf.write(path, np.zeros((1000, 33), np.float32), RATE)
    return path


def directory(folder: Path) -> Path:
    path = folder / "takes.wav"
    path.mkdir()
    return path


def missing(folder: Path) -> Path:
    return folder / "never_recorded.wav"


# Cut-short WAVs still open (a crashed recorder's take is worth seeing); they carry a notice.
TRUNCATED_FILES: dict[str, Callable[[Path], Path]] = {
    "truncated": truncated,
    "lying_header": lying_header,
}

BAD_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "not_audio": (not_audio, "could not be read as audio"),
    "empty_bytes": (empty_bytes, "empty"),
    "zero_frames": (zero_frames, "no audio frames"),
    "one_frame": (one_frame, "single audio frame"),
    "nan_samples": (nan_samples, "NaN or infinite"),
    "inf_samples": (inf_samples, "NaN or infinite"),
    "zero_hz": (zero_hz, "0 Hz"),
    "too_slow_rate": (too_slow_rate, "4000 Hz"),
    "too_many_channels": (too_many_channels, "33 channels"),
    "directory": (directory, "folder"),
    "missing": (missing, "does not exist"),
}
