"""Noise signals (coloured, speech-shaped, babble, hum, transients, recorded) and diffuse fields.

Kinds are drawn per mixture; the out-of-domain set uses kinds kept out of training
(`HUM`, `TRANSIENTS` and the test share of recorded files, issue #4 item 3).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from models.data.audio import CorpusWarning, try_read_audio
from models.data.paths import cache_root
from models.data.rooms import SPEED_OF_SOUND_M_S
from models.data.speech import AUDIO_SUFFIXES, SpeechPool, Split, split_by_hash

log = logging.getLogger(__name__)


class NoiseKind(StrEnum):
    WHITE = "white"
    PINK = "pink"
    BROWN = "brown"
    SPEECH_SHAPED = "speech_shaped"
    BABBLE = "babble"
    HUM = "hum"
    TRANSIENTS = "transients"
    RECORDED = "recorded"


class NoiseField(StrEnum):
    DIFFUSE = "diffuse"  # isotropic: same spectrum, spherical coherence between mics
    POINT = "point"  # one source in the room, convolved with its RIR


@dataclass(frozen=True)
class NoiseFile:
    path: str
    split: Split
    seconds: float


def coloured(frames: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Noise with power spectrum ~ 1/f**exponent (0 white, 1 pink, 2 brown), unit variance."""
    spec = np.fft.rfft(rng.standard_normal(frames))
    freqs = np.fft.rfftfreq(frames)
    freqs[0] = freqs[1] if frames > 1 else 1.0
    x = np.fft.irfft(spec / freqs ** (exponent / 2), n=frames)
    return (x / max(np.std(x), 1e-12)).astype(np.float32)


def spectrally_shaped(frames: int, template: np.ndarray, rng: np.random.Generator, channels: int = 1) -> np.ndarray:
    """`(channels, frames)` independent random-phase noises with the smoothed long-term spectrum
    of `template` (speech-shaped noise), each with unit variance."""
    _, psd = signal.welch(template, nperseg=512)
    spec = np.fft.rfft(rng.standard_normal((channels, frames)), axis=-1)
    gain = np.interp(np.linspace(0, 1, spec.shape[-1]), np.linspace(0, 1, psd.size), np.sqrt(psd))
    x = np.fft.irfft(spec * gain, n=frames, axis=-1)
    return (x / np.maximum(np.std(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def hum(frames: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum (50 or 60 Hz) with decaying, randomly weighted harmonics and slight drift."""
    base = 50.0 if rng.random() < 0.5 else 60.0
    t = np.arange(frames) / sample_rate
    drift = 1 + 0.002 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t)
    x = np.zeros(frames)
    for k in range(1, 16):
        x += rng.uniform(0.2, 1.0) / k * np.sin(2 * np.pi * base * k * t * drift + rng.uniform(0, 6.3))
    x += 0.05 * rng.standard_normal(frames)
    return (x / np.std(x)).astype(np.float32)


def transients(frames: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Knocks, clicks and clatter: decaying band-passed bursts at Poisson times over a quiet floor."""
    x = 0.02 * rng.standard_normal(frames)
    count = rng.poisson(3.0 * frames / sample_rate) + 1
    for start in rng.integers(0, frames, size=count):
        n = int(rng.uniform(0.01, 0.15) * sample_rate)
        burst = rng.standard_normal(n) * np.exp(-np.arange(n) / (n / rng.uniform(3, 8)))
        low = rng.uniform(100, 2000)
        sos = signal.butter(
            2, [low, min(low * rng.uniform(2, 6), sample_rate / 2 - 100)], "bandpass", fs=sample_rate, output="sos"
        )
        burst = signal.sosfilt(sos, burst) * rng.uniform(0.3, 1.0)
        end = min(frames, start + n)
        x[start:end] += burst[: end - start]
    return (x / np.std(x)).astype(np.float32)


def diffuse_field(sources: np.ndarray, mics_m: np.ndarray, sample_rate: int, grid: int = 257) -> np.ndarray:
    """Mix independent per-mic noises `(mics, frames)` into a spherically isotropic field.

    Per frequency, the coherence between mics i and j is sinc(2 f d_ij / c); the mixing matrix
    is its symmetric square root (Habets & Gannot 2007, "Generating sensor signals in isotropic
    noise fields"). It is computed on a `grid` of frequencies (31 Hz apart at 16 kHz) and applied
    to the nearest bins of one FFT over the whole signal: several times faster than mixing STFT
    frames, with the same long-term coherence.
    Each channel keeps the input's level.
    """
    mics, frames = sources.shape
    if mics == 1:
        return sources.astype(np.float32)
    dist = np.linalg.norm(mics_m[:, :, None] - mics_m[:, None, :], axis=0)
    grid_hz = np.linspace(0.0, sample_rate / 2, grid)
    coherence = np.sinc(2 * grid_hz[:, None, None] * dist[None] / SPEED_OF_SOUND_M_S)  # (G, M, M)
    vals, vecs = np.linalg.eigh(coherence)
    mixing = (vecs * np.sqrt(np.clip(vals, 0, None))[:, None, :]) @ np.swapaxes(vecs, 1, 2)
    spec = np.fft.rfft(sources, axis=-1)  # (M, F)
    nearest = np.rint(np.fft.rfftfreq(frames, 1 / sample_rate) / (sample_rate / 2) * (grid - 1)).astype(int)
    edges = np.searchsorted(nearest, np.arange(grid + 1))  # bins of grid point g: edges[g]:edges[g+1]
    mixed = np.empty_like(spec)
    for g in range(grid):
        a, b = edges[g], edges[g + 1]
        if b > a:
            mixed[:, a:b] = mixing[g] @ spec[:, a:b]
    return np.fft.irfft(mixed, n=frames, axis=-1).astype(np.float32)


class NoisePool:
    """Makes noise of each kind; babble and speech-shaped noise come from `speech` voices other
    than the talkers', recorded noise from `files` (game ambience, DEMAND, MUSAN, WHAM!)."""

    def __init__(self, speech: SpeechPool, files: Sequence[NoiseFile] = (), sample_rate: int = 16000) -> None:
        self.speech = speech
        self.files = list(files)
        self.sample_rate = sample_rate

    @staticmethod
    def file_split(split: Split) -> Split:
        """Recorded noise files are split train/valid/test like voices; real-speech mixtures,
        being evaluation, use the test files."""
        return Split.TEST if split == Split.REAL else split

    def kinds(self, split: Split) -> list[NoiseKind]:
        """Kinds this pool can make for `split` (recorded needs files of its file split)."""
        have_files = any(f.split == self.file_split(split) for f in self.files)
        return [k for k in NoiseKind if k != NoiseKind.RECORDED or have_files]

    def draw(
        self, kind: NoiseKind, split: Split, frames: int, rng: np.random.Generator, exclude_voices: Sequence[str] = ()
    ) -> np.ndarray:
        """One float32 `(frames,)` noise signal of `kind` with unit variance."""
        match kind:
            case NoiseKind.WHITE:
                return coloured(frames, 0.0, rng)
            case NoiseKind.PINK:
                return coloured(frames, 1.0, rng)
            case NoiseKind.BROWN:
                return coloured(frames, 2.0, rng)
            case NoiseKind.SPEECH_SHAPED:
                return spectrally_shaped(frames, self._template(split, frames, rng, exclude_voices), rng)[0]
            case NoiseKind.BABBLE:
                voices = list(exclude_voices)
                total = np.zeros(frames, np.float32)
                available = len(self.speech.voices(split)) - len(voices)
                for _ in range(int(min(rng.integers(4, 9), max(available, 1)))):
                    speech, voice = self.speech.draw(split, rng, frames, voices if available > 0 else ())
                    voices.append(voice)
                    available -= 1
                    total += speech / max(np.std(speech), 1e-6)
                return (total / max(np.std(total), 1e-12)).astype(np.float32)
            case NoiseKind.HUM:
                return hum(frames, self.sample_rate, rng)
            case NoiseKind.TRANSIENTS:
                return transients(frames, self.sample_rate, rng)
            case NoiseKind.RECORDED:
                return self._recorded(split, frames, rng)
        raise ValueError(f"unknown noise kind {kind}")

    def draw_channels(
        self,
        kind: NoiseKind,
        split: Split,
        channels: int,
        frames: int,
        rng: np.random.Generator,
        exclude_voices: Sequence[str] = (),
    ) -> np.ndarray:
        """`(channels, frames)` independent signals of `kind` for a diffuse field; speech-shaped
        channels share one template's spectrum (one Welch estimate instead of one per mic)."""
        if kind == NoiseKind.SPEECH_SHAPED:
            return spectrally_shaped(frames, self._template(split, frames, rng, exclude_voices), rng, channels)
        return np.stack([self.draw(kind, split, frames, rng, exclude_voices) for _ in range(channels)])

    def _template(
        self, split: Split, frames: int, rng: np.random.Generator, exclude_voices: Sequence[str]
    ) -> np.ndarray:
        """Speech whose long-term spectrum shapes the noise; any voice will do when all are talking."""
        others = len(self.speech.voices(split)) > len(set(exclude_voices))
        template, _ = self.speech.draw(split, rng, frames, exclude_voices if others else ())
        return template

    def _recorded(self, split: Split, frames: int, rng: np.random.Generator) -> np.ndarray:
        files = [f for f in self.files if f.split == self.file_split(split)]
        for _ in range(10):
            f = files[rng.integers(len(files))]
            # Read only the segment needed (long ambience files are minutes of Ogg Vorbis).
            start_s = float(rng.uniform(0.0, max(f.seconds - frames / self.sample_rate, 0.0)))
            audio = try_read_audio(Path(f.path), self.sample_rate, start_s=start_s, seconds=frames / self.sample_rate)
            if audio is None or np.std(audio) < 1e-6:
                continue
            if audio.size < frames:  # loop short effects
                audio = np.tile(audio, frames // audio.size + 1)
            seg = audio[:frames]
            return (seg / max(np.std(seg), 1e-12)).astype(np.float32)
        raise RuntimeError(f"no readable {split} noise files; see the warnings")

    @staticmethod
    def scan_folder(root: Path, split: Split | None = None, min_seconds: float = 0.5) -> list[NoiseFile]:
        """Noise files under `root` (DEMAND, MUSAN, WHAM!, extracted game ambience); with `split`
        None each file gets a stable split by hash of its name. Unreadable files are skipped."""
        found = []
        for path in sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
            try:
                seconds = sf.info(str(path)).duration
            except (OSError, RuntimeError) as err:
                warnings.warn(f"skipped {path}: {err}", CorpusWarning, stacklevel=2)
                continue
            if seconds >= min_seconds:
                key = str(path.relative_to(root))
                found.append(
                    NoiseFile(str(path), split or split_by_hash(key, valid_share=0.15, test_share=0.25), seconds)
                )
        return found


def default_noise_files() -> list[NoiseFile]:
    """Recorded noise unpacked by `data-prep` into `<cache>/noise` (game ambience), if any."""
    root = cache_root() / "noise"
    return NoisePool.scan_folder(root) if root.is_dir() else []
