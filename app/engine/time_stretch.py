"""Playing at another speed without changing pitch: a streaming WSOLA time stretch.

Transcribers slow speech down to catch every word and skim at 1.5–2×; a varispeed (resampling)
would turn voices into chipmunks. WSOLA (waveform-similarity overlap-add, Verhelst & Roelands
1993) cuts the input into overlapping Hann-windowed frames taken every `speed × hop` input frames
and lays them down every `hop` output frames, each frame shifted by up to `SEARCH_SECONDS` to
where it best continues the previous one, so periods line up and no phasiness or doubling is
heard. All channels share one alignment (found on their mean): A/B lanes or a stereo pair stay
sample-aligned with each other. Blocks go in and out as they come (the playback feeder's thread);
nothing here allocates per sample or keeps more than a frame and a search of input.
"""

from __future__ import annotations

import math

import numpy as np

FRAME_SECONDS = 0.030      # a few pitch periods of any voice: long enough to align, short enough to follow
SEARCH_SECONDS = 0.008     # how far a frame may move to continue the last one (above a low voice's period/2)
GUIDE_RATE = 16_000        # the alignment is searched on the mean channel at about this rate, refined after


class Stretcher:
    """Time-stretches `(frames, channels)` float32 blocks by `speed` (output frames ≈ input / speed)."""

    def __init__(self, channels: int, sample_rate: int, speed: float) -> None:
        if not 0.25 <= speed <= 4.0:
            raise ValueError(f"speed {speed} is outside 0.25–4")
        self.channels, self.speed = channels, float(speed)
        self.frame = 2 * max(8, round(FRAME_SECONDS * sample_rate / 2))
        self.hop = self.frame // 2                                  # Hann at 50 % overlap sums to one
        self.search = max(1, round(SEARCH_SECONDS * sample_rate))
        self.step = max(1, sample_rate // GUIDE_RATE)
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(self.frame) / self.frame)).astype(np.float32)[:, None]
        self._input = np.zeros((0, channels), np.float32)
        self._first = 0                    # absolute input frame of _input[0]
        self._nominal = 0.0                # where the next frame would be taken without a search
        self._previous = -1                # where the last frame was taken (-1: none yet)
        self._tail = np.zeros((self.frame - self.hop, channels), np.float32)   # overlap still to add
        self._received = 0                 # input frames so far
        self._emitted = 0                  # output frames so far

    def process(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        """The output that `block` completes; `last` flushes the rest (the input ended): in all,
        the output is the input's length divided by the speed."""
        block = np.asarray(block, np.float32).reshape(-1, self.channels)
        self._received += block.shape[0]
        self._input = np.concatenate([self._input, block])
        if last:                           # silence after the end lets the final frames be taken
            pad = np.zeros((self.frame + 2 * self.search + math.ceil(self.speed * self.hop), self.channels),
                           np.float32)
            self._input = np.concatenate([self._input, pad])
        guide = self._input.mean(axis=1)
        pieces = []
        while (start := self._next_start(guide)) is not None:
            frame = self._input[start - self._first:start - self._first + self.frame] * self.window
            frame[:self._tail.shape[0]] += self._tail
            pieces.append(frame[:self.hop])
            self._tail = frame[self.hop:].copy()
            self._previous = start
            self._nominal += self.speed * self.hop
            if last and self._nominal >= self._received:
                break
        if last:
            pieces.append(self._tail)
        out = np.concatenate(pieces) if pieces else np.zeros((0, self.channels), np.float32)
        if last:
            out = out[:max(0, round(self._received / self.speed) - self._emitted)]
        self._emitted += out.shape[0]
        keep_from = math.floor(self._nominal) - self.search
        if self._previous >= 0:
            keep_from = min(keep_from, self._previous + self.hop)
        drop = min(max(0, keep_from - self._first), self._input.shape[0])
        self._input = self._input[drop:]
        self._first += drop
        return out

    def _next_start(self, guide: np.ndarray) -> int | None:
        """Where the next frame is taken, or None until enough input has come."""
        nominal = math.floor(self._nominal)
        lo, hi = max(0, nominal - self.search), nominal + self.search
        if max(hi, self._previous + self.hop) + self.frame > self._first + self._input.shape[0]:
            return None
        if self._previous < 0:
            return nominal
        at = self._first
        natural = guide[self._previous + self.hop - at:self._previous + self.hop - at + self.frame]
        if not natural.any():
            return nominal
        region = guide[lo - at:hi - at + self.frame]
        scores = np.correlate(region[::self.step], natural[::self.step], "valid")
        coarse = lo + self.step * int(np.argmax(scores))
        if self.step == 1:
            return coarse
        candidates = range(max(lo, coarse - self.step + 1), min(hi, coarse + self.step - 1) + 1)
        return max(candidates, key=lambda c: float(np.dot(guide[c - at:c - at + self.frame], natural)))
