"""Classical noise reduction a user would otherwise pick: the spectral gate of Audacity's Noise
Reduction (and of iZotope RX's Spectral De-noise in its simplest form), as a baseline beside the
trained enhancers and as the app's Edit ▸ Reduce noise….

The noise profile is the average power of each frequency bin over frames that hold noise alone:
a span known to (`mean_profile`), or the quietest tenth of the frames that hold any sound
(`quietest_profile`: what a user would select by ear; digital silence left out). A bin of a frame
is taken as sound when the middle of its power in three consecutive frames rises `sensitivity_db`
above the profile; every other bin is lowered by `reduction_db`. The gain then opens ahead of a
sound (`ATTACK_SECONDS`) and closes behind it (`RELEASE_SECONDS`), and is averaged in dB over
`smoothing_bins` bins either side, so onsets and tails stay and the remaining noise does not
twinkle ("musical noise"). Hann windows of 40 to 64 ms (`window_frames`), a quarter apart.

Written here rather than taken from `noisereduce`: that package depends on matplotlib and joblib
and holds the whole signal and its spectrogram in memory, while a track may be hours long; here
`gate` works block by block with enough context that every block gives exactly the samples the
whole would.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

WINDOW_SECONDS = 0.04           # rounded up to a power of two of samples
ATTACK_SECONDS = 0.02           # Audacity's: the gain opens this long before a sound
RELEASE_SECONDS = 0.10          # and closes over this long after it
QUIETEST_SHARE = 0.1            # the share of frames that make a profile found without a span
SOUND_FLOOR = 1e-12             # a frame's mean bin power below this (−120 dBFS) is digital silence
BLOCK = 1 << 20                 # samples resynthesised at a time


@dataclass(frozen=True)
class Gate:
    """Audacity's defaults: 12 dB down, 6 dB of sensitivity, three bins of frequency smoothing."""

    reduction_db: float = 12.0
    sensitivity_db: float = 6.0
    smoothing_bins: int = 3


def window_frames(rate: int) -> int:
    """The transform's window at `rate`: 1024 at 16 kHz, 2048 at 44.1 and 48 kHz."""
    return 1 << math.ceil(math.log2(WINDOW_SECONDS * rate))


def transform(rate: int) -> Any:
    """scipy's ShortTimeFFT with the gate's window, a quarter of it apart."""
    from scipy.signal import ShortTimeFFT
    from scipy.signal.windows import hann

    window = window_frames(rate)
    return ShortTimeFFT(hann(window, sym=False), window // 4, rate, mfft=window)


def frame_power(audio: np.ndarray, rate: int) -> np.ndarray:
    """(bins, frames) power of `audio`'s frames that lie wholly inside it."""
    stft = transform(rate)
    spectrum = stft.stft(np.asarray(audio, dtype=np.float64))
    first = stft.lower_border_end[1] - stft.p_min
    last = stft.upper_border_begin(audio.shape[0])[1] - stft.p_min
    return np.abs(spectrum[:, first:last]) ** 2


def mean_profile(audio: np.ndarray, rate: int) -> np.ndarray | None:
    """Per bin, the mean power of `audio`, noise alone; None when it holds no sound."""
    power = frame_power(audio, rate)
    return power.mean(axis=1) if power.shape[1] and power.mean() >= SOUND_FLOOR else None


def quietest_profile(audio: np.ndarray, rate: int, min_frames: int = 1) -> np.ndarray | None:
    """Per bin, the mean power of the quietest tenth of `audio`'s frames that hold any sound; None
    when fewer than `min_frames` frames do."""
    power = frame_power(audio, rate)
    level = power.mean(axis=0)
    sounding = np.flatnonzero(level >= SOUND_FLOOR)
    if sounding.size < max(min_frames, 1):
        return None
    quietest = sounding[np.argsort(level[sounding], kind="stable")[:max(1, round(QUIETEST_SHARE * sounding.size))]]
    return power[:, quietest].mean(axis=1)


def gains(power: np.ndarray, threshold: np.ndarray, floor: float, hop_seconds: float, smoothing: int) -> np.ndarray:
    """(bins, frames) gains: 1 where the middle of three frames' power reaches the threshold, else
    `floor`; opened early and closed late (attack, release); averaged in dB across bins."""
    padded = np.pad(power, ((0, 0), (1, 1)), mode="edge")
    middle = np.median(np.stack([padded[:, :-2], padded[:, 1:-1], padded[:, 2:]]), axis=0)
    out = np.where(middle >= threshold[:, None], 1.0, floor)
    if floor < 1.0:
        attack, release = (-math.log(floor) * hop_seconds / s for s in (ATTACK_SECONDS, RELEASE_SECONDS))
        logs = _decaying_max(np.log(out)[:, ::-1], attack)[:, ::-1]          # opened ahead of a sound
        out = np.exp(_decaying_max(logs, release))                           # and closed behind it
    if smoothing:
        out = np.exp(_moving_mean(np.log(out), smoothing))
    return out


def _decaying_max(logs: np.ndarray, step: float) -> np.ndarray:
    """Along each row, the largest of every earlier value less `step` per frame since it:
    max over s ≤ t of logs[s] − (t − s)·step, the recursion g[t] = max(g[t], g[t−1]·e^−step) in the
    log domain, as a running maximum rather than a Python loop over frames."""
    ramp = step * np.arange(logs.shape[1])
    return np.maximum.accumulate(logs + ramp, axis=1) - ramp


def _moving_mean(values: np.ndarray, reach: int) -> np.ndarray:
    """The mean of each row's `reach` neighbours either side and itself, the edge rows repeated
    beyond the ends (as scipy.ndimage's "nearest"; numpy alone, since importing scipy.ndimage holds
    Python's lock for a fifth of a second)."""
    padded = np.pad(values, ((reach, reach), (0, 0)), mode="edge")
    sums = np.cumsum(np.concatenate([np.zeros((1, values.shape[1])), padded]), axis=0)
    return (sums[2 * reach + 1:] - sums[:-2 * reach - 1]) / (2 * reach + 1)


class BlockGate:
    """The gate over a signal of `frames` samples, a block at a time, for signals that are never
    whole in memory: `blocks` names, for each block, the samples to read (with enough frames around
    the block that the attack, the release and the three-frame middle reach it as in the whole) and
    the samples it gives; `apply` gates one. Only frames centred inside `span` (samples; all of them
    without one) are changed; without a span the blocks give every sample, in order."""

    def __init__(self, frames: int, rate: int, settings: Gate, span: tuple[int, int] | None = None,
                 block: int = BLOCK) -> None:
        self.stft, self.rate, self.settings = transform(rate), rate, settings
        window, hop = self.stft.m_num, self.stft.hop
        start, stop = (0, frames) if span is None else (min(max(s, 0), frames) for s in span)
        self.first, self.last = math.ceil(start / hop) * hop, math.ceil(stop / hop) * hop
        reach = (math.ceil(max(ATTACK_SECONDS, RELEASE_SECONDS) * rate / hop) + 2) * hop + 2 * window
        begin, end = max(0, self.first - window), min(frames, self.last + window)     # the samples that change
        block = max(hop, block // hop * hop)
        self.blocks = [(max(0, core - reach), min(frames, core + block + reach),        # origins on the hop grid
                        max(core, begin), min(core + block, end)) for core in range(begin // hop * hop, end, block)]

    def apply(self, index: int, piece: np.ndarray, profile: np.ndarray) -> np.ndarray:
        """The samples block `index` gives, from `piece` (the samples it reads) and the noise `profile`."""
        origin, _, lo, hi = self.blocks[index]
        stft, hop = self.stft, self.stft.hop
        piece = np.asarray(piece, dtype=np.float64)
        spectrum = stft.stft(piece)
        threshold = profile * 10 ** (self.settings.sensitivity_db / 10)
        floor = 10 ** (-self.settings.reduction_db / 20)
        kept = gains(np.abs(spectrum) ** 2, threshold, floor, hop / self.rate, self.settings.smoothing_bins)
        centres = origin + np.arange(stft.p_min, stft.p_max(piece.shape[0])) * hop
        inside = (centres >= self.first) & (centres < self.last)
        spectrum[:, inside] *= kept[:, inside]
        return stft.istft(spectrum, k1=piece.shape[0])[lo - origin:hi - origin]


def gate(audio: np.ndarray, rate: int, profile: np.ndarray, settings: Gate, out: np.ndarray,
         span: tuple[int, int] | None = None, block: int = BLOCK) -> Generator[tuple[int, int], None, np.ndarray]:
    """Fill `out` (shaped as `audio`) with `audio`, its noise of `profile` reduced in the frames
    centred inside `span` (samples; all of them without one); yields (blocks done, blocks) before
    each block of `block` samples (rounded to the hop); every block gives exactly the samples the
    whole would (`BlockGate`)."""
    blocks = BlockGate(audio.shape[0], rate, settings, span, block)
    out[:] = audio
    for done, (origin, stop, lo, hi) in enumerate(blocks.blocks):
        yield done, len(blocks.blocks)
        out[lo:hi] = blocks.apply(done, audio[origin:stop], profile)
    return out


def reduce_noise(audio: np.ndarray, rate: int, settings: Gate = Gate()) -> np.ndarray:
    """`audio` (a whole utterance in memory) with its noise reduced, the profile from its quietest
    frames: the baseline row of the enhancement tables. Silence comes back as it is."""
    profile = quietest_profile(audio, rate)
    out = np.zeros_like(audio, dtype=np.float32)
    if profile is None:
        out[:] = audio
        return out
    for _ in gate(audio, rate, profile, settings, out):
        pass
    return out
