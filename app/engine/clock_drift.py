"""Channels of a second recorder put back on the first one's clock: the drift the Delays panel
measures (`delay_track.drift`) taken out by resampling.

Two recorders never run at quite the same rate: tens of parts per million apart, so their
channels part by a millisecond or more every minute, and a multi-channel separator, whose spatial
cues assume one clock, loses them. A channel sampled `ppm` millionths fast holds `rate·(1 + ppm·1e-6)`
samples for each second of the reference clock; resampling it from that rate to `rate` (soxr, very
high quality, streamed a block at a time: the stream's output is delay-compensated, so it equals the
whole resampled at once) puts it back in step, with the delay it had at the recording's start. The
resampled channels come out a few samples shorter (or longer) over the file: their end is filled
with silence (or cut) so every channel keeps the recording's length. The other channels are copied
as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

from app.engine.errors import ConfigError
from app.engine.export import REWRITTEN, copy_job
from app.engine.files import Recording
from app.engine.jobs import Job, Progress

BLOCK = 1 << 18              # frames read at a time
MAX_PPM = 1000.0             # a drift past this is no clock's: a wrong measurement


@dataclass(frozen=True)
class DriftCorrection:
    channels: tuple[int, ...]       # 0-based, those on the drifting clock
    ppm: float                      # their drift against the reference, as `delay_track.drift` gives it
    filled: int                     # frames of silence at their end (negative: frames cut)


def check_correction(channels: int, chosen: Sequence[int], ppm: float) -> None:
    """ConfigError for no channel, a channel the recording lacks, or a drift no clock has."""
    if not chosen:
        raise ConfigError("Choose the channels recorded on the drifting clock.")
    if any(not 0 <= c < channels for c in chosen):
        raise ConfigError(f"The channels to correct must lie within the recording's {channels}.")
    if not 0 < abs(ppm) <= MAX_PPM:
        raise ConfigError(f"A drift of {ppm:g} ppm cannot be taken out: it must lie within ±{MAX_PPM:g} ppm and not "
                          "be zero.")


class ClockStream:
    """Some of a recording's channels from frame `start` on, resampled from `own` samples a second
    (its rate on its own clock, which runs fast or slow) to `rate` on the reference clock, handed out
    in consecutive pieces of any length, with silence past their end. One soxr stream over the
    channels (very high quality; its output is delay-compensated, so it equals the whole resampled
    at once), fed a block at a time; no stream where the rates agree."""

    def __init__(self, read: Callable[[int, int, list[int]], np.ndarray], frames: int, channels: Sequence[int],
                 start: int, own: float, rate: float, sign: float = 1.0) -> None:
        """`read(start, stop, channels)`: (channels, frames) of a recording `frames` long."""
        self.read, self.frames, self.channels = read, frames, list(channels)
        self.next, self.sign = start, np.float32(sign)
        self.stream = (None if own == rate else
                       soxr.ResampleStream(own, rate, len(self.channels), dtype="float32", quality="VHQ"))
        self.pending = np.zeros((len(self.channels), 0), np.float32)
        self.ended = start >= frames
        self.produced = 0               # samples given by the stream (or read, where none)

    def take(self, n: int) -> np.ndarray:
        """The next `n` samples of each channel, as (channels, n)."""
        while self.pending.shape[1] < n and not self.ended:
            self._read()
        out = np.zeros((len(self.channels), n), np.float32)
        got = min(n, self.pending.shape[1])
        out[:, :got] = self.pending[:, :got]
        self.pending = self.pending[:, got:]
        return out

    def drain(self) -> int:
        """Resample what is left to the end; how many samples each channel gave in all."""
        while not self.ended:
            self._read()
        return self.produced

    def _read(self) -> None:
        hi = min(self.frames, self.next + BLOCK)
        block = self.sign * np.asarray(self.read(self.next, hi, self.channels), np.float32)
        self.next, self.ended = hi, hi >= self.frames
        if self.stream is not None:
            block = self.stream.resample_chunk(np.ascontiguousarray(block.T), last=self.ended).T
        self.produced += block.shape[1]
        self.pending = np.concatenate([self.pending, np.asarray(block, np.float32)], axis=1)


class _RecentBlocks:
    """A recording's blocks, all channels, kept from their first read until an older block is asked
    for no more: the stream of the drifting channels reads each block as the copy of every channel
    does, or a step ahead of it, and a compressed file decodes a block whole, so each is read once."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.kept: dict[tuple[int, int], np.ndarray] = {}

    def read(self, start: int, stop: int, channels: list[int] | None = None) -> np.ndarray:
        block = self.kept.get((start, stop))
        if block is None:
            block = np.asarray(self.recording.read(start, stop), np.float32)
            self.kept = {key: kept for key, kept in self.kept.items() if key[0] > start - BLOCK}
            self.kept[(start, stop)] = block
        return block if channels is None else block[channels]


def corrected_blocks(recording: Recording, chosen: Sequence[int], ppm: float,
                     write: Callable[[np.ndarray], None]) -> Job[DriftCorrection]:
    """`recording` with the `chosen` channels resampled onto the reference clock, handed to `write`
    as (channels, frames) blocks in order, each as long as the block read."""
    check_correction(recording.channels, chosen, ppm)
    rate, frames = recording.sample_rate, recording.frames
    recent = _RecentBlocks(recording)
    stream = ClockStream(recent.read, frames, chosen, 0, rate * (1 + ppm * 1e-6), rate)
    blocks = range(0, frames, BLOCK)
    for done, lo in enumerate(blocks):
        yield Progress("take the drift out", done, len(blocks))
        hi = min(lo + BLOCK, frames)
        block = np.array(recent.read(lo, hi), np.float32)
        block[list(chosen)] = stream.take(hi - lo)
        write(block)
    return DriftCorrection(tuple(chosen), ppm, frames - stream.drain())


def corrected_copy_job(recording: Recording, target: Path, chosen: Sequence[int],
                       ppm: float) -> Job[DriftCorrection]:
    """`recording` with the `chosen` channels put back on the reference clock, written to `target`
    as 24-bit WAV, tagged with what was done (Delays ▸ Take out the drift…)."""
    check_correction(recording.channels, chosen, ppm)
    names = ", ".join(str(c + 1) for c in chosen)
    return (yield from copy_job(recording, target, "the copy in step", REWRITTEN,
                                f"channel(s) {names} resampled to take out a clock drift of {ppm:+.2f} ppm",
                                lambda write: corrected_blocks(recording, chosen, ppm, write)))
