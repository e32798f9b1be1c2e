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

For noise that changes (a fan switching on, a passing car, a separator's residue that follows the
other talker) one profile is wrong somewhere: `tracked_noise` follows it instead, each frame's
noise the least smoothed power in the two seconds around it, corrected for the bias of a minimum
(Martin's minimum statistics, as RX's adaptive mode and speech codecs' noise suppressors do).

Written here rather than taken from `noisereduce`: that package depends on matplotlib and joblib
and holds the whole signal and its spectrogram in memory, while a track may be hours long; here
`gate` works block by block with enough context that every block gives exactly the samples the
whole would.
"""

from __future__ import annotations

import functools
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
TRACK_SECONDS = 2.0             # tracked noise: the least smoothed power within this window, centred
TRACK_SMOOTHING_FRAMES = 2      # the power averaged over this many frames either side before the minimum


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
    """(bins, frames) gains: 1 where the middle of three frames' power reaches the threshold (per
    bin, or per bin and frame), else `floor`; opened early and closed late (attack, release);
    averaged in dB across bins."""
    padded = np.pad(power, ((0, 0), (1, 1)), mode="edge")
    middle = np.median(np.stack([padded[:, :-2], padded[:, 1:-1], padded[:, 2:]]), axis=0)
    out = np.where(middle >= (threshold if threshold.ndim == 2 else threshold[:, None]), 1.0, floor)
    if floor < 1.0:
        attack, release = (-math.log(floor) * hop_seconds / s for s in (ATTACK_SECONDS, RELEASE_SECONDS))
        logs = _decaying_max(np.log(out)[:, ::-1], attack)[:, ::-1]          # opened ahead of a sound
        out = np.exp(_decaying_max(logs, release))                           # and closed behind it
    if smoothing:
        out = np.exp(_moving_mean(np.log(out), smoothing))
    return out


def track_frames(rate: int) -> int:
    """Frames either side of a frame that its tracked noise is the least of."""
    return math.ceil(TRACK_SECONDS / 2 * rate / (window_frames(rate) // 4))


def _least_smoothed(power: np.ndarray, rate: int) -> np.ndarray:
    """Per bin and frame, the least of the power averaged over `TRACK_SMOOTHING_FRAMES` either side,
    within `track_frames` either side; digital silence left out (+inf where there is nothing else)."""
    smoothed = _moving_mean(power.T, TRACK_SMOOTHING_FRAMES).T
    smoothed[:, power.mean(axis=0) < SOUND_FLOOR] = np.inf
    return _sliding_min(smoothed, track_frames(rate))


@functools.cache
def minimum_bias(rate: int) -> float:
    """How far the mean power of noise alone lies above `_least_smoothed` of it, with this rate's
    frames: measured once on a minute of white noise (a fixed seed), since every bin of any steady
    noise has the same spread of powers about its mean."""
    noise = np.random.default_rng(0).standard_normal(60 * rate)
    power = frame_power(noise, rate)
    return float(power.mean() / _least_smoothed(power, rate).mean())


def tracked_noise(power: np.ndarray, rate: int) -> np.ndarray:
    """(bins, frames) noise power followed over time, for noise that changes: per bin the least
    smoothed power within `TRACK_SECONDS` centred on each frame, raised by its bias on noise alone
    (Martin's minimum statistics, centred since the whole signal is at hand). A pause of the
    talkers once in the window is enough; continuous sound for longer is taken as noise."""
    return _least_smoothed(power, rate) * minimum_bias(rate)


def _sliding_min(values: np.ndarray, reach: int) -> np.ndarray:
    """Along each row, the least of each value's `reach` neighbours either side and itself (fewer at
    the ends): van Herk and Gil-Werman's running minimum, prefix and suffix minima of blocks as wide
    as the window, in numpy."""
    rows, n = values.shape
    width = 2 * reach + 1
    padded = np.pad(values, ((0, 0), (reach, reach + (-(n + 2 * reach)) % width)), constant_values=np.inf)
    blocks = padded.reshape(rows, -1, width)
    prefix = np.minimum.accumulate(blocks, axis=2).reshape(rows, -1)
    suffix = np.minimum.accumulate(blocks[:, :, ::-1], axis=2)[:, :, ::-1].reshape(rows, -1)
    return np.minimum(suffix[:, :n], prefix[:, width - 1:width - 1 + n])


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


def context_samples(rate: int, tracked: bool) -> int:
    """The samples either side of a stretch that its gains depend on: the attack, the release, the
    three-frame middle, the frames that overlap its ends and, `tracked`, the tracked noise's window."""
    window = window_frames(rate)
    hop = window // 4
    frames_around = math.ceil(max(ATTACK_SECONDS, RELEASE_SECONDS) * rate / hop) + 2
    if tracked:
        frames_around += track_frames(rate) + TRACK_SMOOTHING_FRAMES
    return frames_around * hop + 2 * window


class BlockGate:
    """The gate over a signal of `frames` samples, a block at a time, for signals that are never
    whole in memory: `blocks` names, for each block, the samples to read (with enough frames around
    the block that the attack, the release, the three-frame middle and, planned `tracked`, the
    tracked noise's window reach it as in the whole) and the samples it gives; `apply` gates one.
    Only frames centred inside `span` (samples; all of them without one) are changed; without a span
    the blocks give every sample, in order."""

    def __init__(self, frames: int, rate: int, settings: Gate, span: tuple[int, int] | None = None,
                 block: int = BLOCK, tracked: bool = False) -> None:
        self.stft, self.rate, self.settings = transform(rate), rate, settings
        window, hop = self.stft.m_num, self.stft.hop
        start, stop = (0, frames) if span is None else (min(max(s, 0), frames) for s in span)
        self.first, self.last = math.ceil(start / hop) * hop, math.ceil(stop / hop) * hop
        reach = context_samples(rate, tracked)
        begin, end = max(0, self.first - window), min(frames, self.last + window)     # the samples that change
        block = max(hop, block // hop * hop)
        self.blocks = [(max(0, core - reach), min(frames, core + block + reach),        # origins on the hop grid
                        max(core, begin), min(core + block, end)) for core in range(begin // hop * hop, end, block)]

    def apply(self, index: int, piece: np.ndarray, profile: np.ndarray | None) -> np.ndarray:
        """The samples block `index` gives, from `piece` (the samples it reads) and the noise `profile`
        (None: the noise tracked over time, `tracked_noise`, for blocks planned `tracked`)."""
        origin, _, lo, hi = self.blocks[index]
        stft, hop = self.stft, self.stft.hop
        piece = np.asarray(piece, dtype=np.float64)
        spectrum = stft.stft(piece)
        power = np.abs(spectrum) ** 2
        noise = tracked_noise(power, self.rate) if profile is None else profile
        threshold = noise * 10 ** (self.settings.sensitivity_db / 10)
        floor = 10 ** (-self.settings.reduction_db / 20)
        kept = gains(power, threshold, floor, hop / self.rate, self.settings.smoothing_bins)
        centres = origin + np.arange(stft.p_min, stft.p_max(piece.shape[0])) * hop
        inside = (centres >= self.first) & (centres < self.last)
        spectrum[:, inside] *= kept[:, inside]
        return stft.istft(spectrum, k1=piece.shape[0])[lo - origin:hi - origin]


def gate(audio: np.ndarray, rate: int, profile: np.ndarray | None, settings: Gate, out: np.ndarray,
         span: tuple[int, int] | None = None, block: int = BLOCK) -> Generator[tuple[int, int], None, np.ndarray]:
    """Fill `out` (shaped as `audio`) with `audio`, its noise of `profile` (None: tracked) reduced in the frames
    centred inside `span` (samples; all of them without one); yields (blocks done, blocks) before
    each block of `block` samples (rounded to the hop); every block gives exactly the samples the
    whole would (`BlockGate`)."""
    blocks = BlockGate(audio.shape[0], rate, settings, span, block, tracked=profile is None)
    out[:] = audio
    for done, (origin, stop, lo, hi) in enumerate(blocks.blocks):
        yield done, len(blocks.blocks)
        out[lo:hi] = blocks.apply(done, audio[origin:stop], profile)
    return out


def reduce_noise(audio: np.ndarray, rate: int, settings: Gate = Gate(), tracked: bool = False) -> np.ndarray:
    """`audio` (a whole utterance in memory) with its noise reduced, the profile from its quietest
    frames or, `tracked`, the noise tracked over time: the baseline rows of the enhancement tables.
    Silence comes back as it is."""
    profile = None if tracked else quietest_profile(audio, rate)
    out = np.zeros_like(audio, dtype=np.float32)
    if not tracked and profile is None:
        out[:] = audio
        return out
    for _ in gate(audio, rate, profile, settings, out):
        pass
    return out
