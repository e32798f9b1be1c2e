"""Speech-like signals that need nothing installed: harmonic voices with pitch contours.

They stand in for speech when no corpus is built (tests, CI, a fresh checkout): voiced
syllables at 3-6 Hz with moving vowel formants, a declining and wobbling F0, and unvoiced
fricative bursts, so that level, spectrum and modulation look like speech to the mixer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Vowel formants (F1, F2, F3) in Hz, adult male averages (Peterson & Barney 1952).
_VOWELS = np.array(
    [[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480], [570, 840, 2410], [660, 1720, 2410]]
)
_BANDWIDTHS_HZ = np.array([90.0, 110.0, 170.0])


@dataclass(frozen=True)
class SyntheticVoice:
    """One artificial talker; `f0_hz` 85-250 spans male to child-like voices."""

    f0_hz: float
    formant_scale: float  # vocal tract length: 1.0 male, ~1.17 female
    syllables_per_s: float

    @classmethod
    def from_index(cls, index: int) -> SyntheticVoice:
        """Deterministic voice `index`; even indices low-pitched, odd high-pitched."""
        rng = np.random.default_rng([index, 7919])
        high = index % 2 == 1
        return cls(
            f0_hz=float(rng.uniform(165, 250) if high else rng.uniform(85, 150)),
            formant_scale=float(rng.uniform(1.1, 1.25) if high else rng.uniform(0.9, 1.05)),
            syllables_per_s=float(rng.uniform(3.0, 6.0)),
        )

    def speak(self, seconds: float, sample_rate: int, seed: int) -> np.ndarray:
        """A float32 utterance of `seconds` (peak about 0.5)."""
        rng = np.random.default_rng(seed)
        frames = int(seconds * sample_rate)
        t = np.arange(frames) / sample_rate
        contour = (
            1.0
            + 0.12 * np.sin(2 * np.pi * rng.uniform(0.3, 0.8) * t + rng.uniform(0, 6.3))
            - 0.08 * t / max(seconds, 1e-3)
        )
        f0 = self.f0_hz * contour * (1 + 0.01 * rng.standard_normal(frames).cumsum() / np.sqrt(frames))
        phase = 2 * np.pi * np.cumsum(f0) / sample_rate
        # Syllable plan: each has a vowel, a duration and voicing; gaps carry fricatives.
        bounds = [0]
        while bounds[-1] < frames:
            bounds.append(bounds[-1] + int(sample_rate / self.syllables_per_s * rng.uniform(0.6, 1.4)))
        voiced = np.zeros(frames, np.float32)
        unvoiced = np.zeros(frames, np.float32)
        formants = np.zeros((frames, 3))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            b = min(b, frames)
            n = b - a
            formants[a:b] = _VOWELS[rng.integers(len(_VOWELS))] * self.formant_scale
            if rng.random() < 0.15:  # pause
                continue
            env = np.sin(np.linspace(0, np.pi, n)) ** 0.7
            split = int(n * rng.uniform(0.0, 0.3))
            voiced[a + split : b] = env[split:] * rng.uniform(0.5, 1.0)
            unvoiced[a : a + split] = np.hanning(split) if split > 1 else 0.0
        harmonics = int(min(sample_rate / 2 - 200, 4000) / self.f0_hz)
        out = np.zeros(frames)
        for k in range(1, harmonics + 1):
            freq = k * f0
            gain = np.zeros(frames)
            for i in range(3):
                gain += 1.0 / (1.0 + ((freq - formants[:, i]) / _BANDWIDTHS_HZ[i]) ** 2) / (i + 1)
            out += gain * np.sin(k * phase) / np.sqrt(k)
        out *= voiced
        hiss = np.diff(rng.standard_normal(frames + 1)) * 0.15
        out += hiss * unvoiced
        out /= max(np.max(np.abs(out)), 1e-9) * 2
        return out.astype(np.float32)
