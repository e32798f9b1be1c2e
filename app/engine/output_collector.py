"""Model-rate output blocks gathered at the output rate: resampled as one continuous stream (no
edges between blocks), into a sink (a file being written) or into one array of the whole output."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import soxr

from app.engine.scratch import scratch_zeros


class OutputCollector:
    """Receives model-rate blocks; resamples them in a continuous stream to the output rate, into
    `sink` or into one array of the whole output (filled in place: gathering blocks and joining
    them at the end would hold the output twice, a gigabyte and more for an hour at 48 kHz; and
    on the disk when long, see `scratch`)."""

    def __init__(self, talkers: int, model_rate: int, out_rate: int, frames_out: int,
                 sink: Callable[[np.ndarray], None] | None = None) -> None:
        self.talkers, self.frames_out, self.sink = talkers, frames_out, sink
        self._stream = None if model_rate == out_rate else soxr.ResampleStream(
            model_rate, out_rate, talkers, dtype="float32", quality="HQ")
        self._out = scratch_zeros((talkers, frames_out if sink is None else 0))
        self._written = 0

    def _emit(self, block: np.ndarray) -> None:
        block = block[:, : self.frames_out - self._written]
        n = block.shape[1]
        if n == 0:
            return
        if self.sink is not None:
            self.sink(block)
        else:
            self._out[:, self._written:self._written + n] = block
        self._written += n

    def write(self, block: np.ndarray, last: bool = False) -> None:
        if self._stream is None:
            self._emit(block)
            return
        out = self._stream.resample_chunk(np.ascontiguousarray(block.T, dtype=np.float32), last=last)
        self._emit(np.ascontiguousarray(np.asarray(out).reshape(-1, block.shape[0]).T))

    def finish(self) -> np.ndarray:
        """The whole output (without a sink; silence where the model gave none), or an empty
        array after the sink got every frame."""
        if self._stream is not None:
            self.write(np.zeros((self.talkers, 0), np.float32), last=True)
        if self.sink is not None and self._written < self.frames_out:
            self._emit(np.zeros((self.talkers, self.frames_out - self._written), np.float32))
        return self._out
