"""Whether a recording's channels are in step: each channel's delay against the first by GCC-PHAT.

A microphone array's channels must be sampled together for a multi-channel separator to work:
the delay between two of its microphones is at most the array's size over the speed of sound
(under 1 ms for 34 cm). Channels recorded by separate devices, or through a buffer that slipped,
can be tens of milliseconds apart, and a microphone wired backwards arrives inverted. GCC-PHAT
(Knapp & Carter 1976) finds the delay that best aligns each channel with the first: the cross-
power spectrum, averaged over the range in one-second Hann segments and whitened (PHAT), peaks
at the delay of the strongest source; its height (1 for a pure delay, near 0 for unrelated
signals) says how clearly, and the sign of the plain cross-correlation there gives the polarity.
The spectra accumulate block by block, so an hour is checked in bounded memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SEGMENT_SECONDS = 1.0        # rounded up to a power of two: delays up to half of it are found
SHIFT_BLOCK = 1 << 20        # frames moved at a time
CLEAR_PEAK = 0.05            # a GCC-PHAT peak lower than this is no clear delay: nothing is shifted by it
MAX_ARRAY_DELAY_SECONDS = 0.002   # 69 cm of sound: more than any tabletop array's microphones lie apart
CLEAR_STEP_PEAK = 0.1         # a delay (or an inversion) this clear is told; a weaker one may be the room


@dataclass(frozen=True)
class ChannelDelay:
    seconds: float           # positive: the channel hears the strongest source after the first channel does
    peak: float              # the whitened cross-correlation's height there, 0–1
    inverted: bool           # the channel's polarity is the opposite of the first channel's


def segment_length(sample_rate: int) -> int:
    return 1 << math.ceil(math.log2(SEGMENT_SECONDS * sample_rate))


class ChannelAligner:
    """Accumulates the cross-power spectra of each channel with the first over consecutive
    blocks of `(channels, frames)`; `result()` gives each channel's `ChannelDelay` (None for the
    first, and for every channel when the range is shorter than one segment)."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self._segment = segment_length(sample_rate)
        self._hop = self._segment // 2
        self._window = np.hanning(self._segment).astype(np.float64)
        self._tail = np.zeros((channels, 0))
        self._cross = np.zeros((channels, self._segment // 2 + 1), np.complex128)
        self._segments = 0

    def update(self, block: np.ndarray) -> None:
        pending = np.concatenate([self._tail, np.asarray(block, dtype=np.float64)], axis=1)
        at = 0
        while at + self._segment <= pending.shape[1]:
            spectra = np.fft.rfft(pending[:, at:at + self._segment] * self._window, axis=1)
            self._cross += spectra[:1] * np.conj(spectra)
            self._segments += 1
            at += self._hop
        self._tail = pending[:, at:]

    def result(self) -> list[ChannelDelay | None]:
        channels = self._cross.shape[0]
        if self._segments == 0:
            return [None] * channels
        delays: list[ChannelDelay | None] = [None]
        for cross in self._cross[1:]:
            magnitude = np.abs(cross)
            whitened = np.fft.irfft(np.where(magnitude > 0, cross / np.maximum(magnitude, 1e-300), 0.0), self._segment)
            whitened = np.fft.fftshift(whitened)            # lag 0 in the middle
            at = int(np.argmax(np.abs(whitened)))
            peak = float(abs(whitened[at]))
            shift = 0.0
            if 0 < at < self._segment - 1:                   # a parabola through the peak: a fraction of a sample
                left, mid, right = np.abs(whitened[at - 1:at + 2])
                curve = left - 2 * mid + right
                shift = 0.5 * (left - right) / curve if curve < 0 else 0.0
            lag = at - self._segment // 2 + shift
            plain = np.fft.fftshift(np.fft.irfft(cross, self._segment))[at]
            delays.append(ChannelDelay(-lag / self.sample_rate, peak, bool(plain < 0)))
        return delays


def delay_between(reference: np.ndarray, other: np.ndarray, sample_rate: int) -> ChannelDelay | None:
    """`other`'s delay and polarity against `reference` (1-D, one rate, the shorter's length);
    None when that is under one segment."""
    n = min(reference.size, other.size)
    aligner = ChannelAligner(sample_rate, 2)
    aligner.update(np.stack([reference[:n], other[:n]]))
    return aligner.result()[1]


def shifted(audio: np.ndarray, frames: int, out: np.ndarray | None = None, sign: float = 1.0) -> np.ndarray:
    """`audio` moved `frames` earlier (later when negative) and times `sign`, its length kept: cut
    at one end, silence at the other; written block by block into `out` (zeros, such as a scratch
    array for an hour of audio) when given."""
    n = audio.shape[0]
    out = np.zeros_like(audio) if out is None else out
    for at in range(max(0, -frames), min(n, n - frames), SHIFT_BLOCK):      # out[at] = audio[at + frames]
        stop = min(at + SHIFT_BLOCK, n, n - frames)
        out[at:stop] = np.float32(sign) * audio[at + frames:stop + frames]
    return out


def describe_shift(milliseconds: float) -> str:
    """How far a shift moved a signal, as the status bar and a score's note say it."""
    if not milliseconds:
        return "kept in time"
    return f"moved {abs(milliseconds):g} ms {'earlier' if milliseconds < 0 else 'later'}"

