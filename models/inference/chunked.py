"""Chunked overlap-add inference with bounded memory, for inputs of any length.

After demucs' `apply_model`: the full-length buffers stay on the CPU, only the current chunk goes
to the compute device; chunks overlap and blend with a triangular window whose accumulated weight
is divided out at the end. Separators return talkers in arbitrary order per chunk, so each chunk's
talkers are matched to the previous chunk over their shared overlap before they are added
(asteroid's `LambdaOverlapAdd._reorder_sources`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class ChunkConfig:
    seconds: float = 4.0        # chunk length; memory grows with this, not with the file
    overlap: float = 0.25       # share of a chunk overlapping its neighbour (demucs' default)

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError(f"ChunkConfig.seconds must be > 0, got {self.seconds}")
        if not 0.0 <= self.overlap < 1.0:
            raise ValueError(f"ChunkConfig.overlap must be in [0, 1), got {self.overlap}")


@dataclass(frozen=True)
class Span:
    start: int
    stop: int


def plan_chunks(frames: int, chunk: int, overlap: int) -> list[Span]:
    """Spans of at most `chunk` frames stepping by `chunk - overlap`, covering [0, frames)."""
    if frames <= 0:
        return []
    if chunk >= frames:
        return [Span(0, frames)]
    step = max(1, chunk - overlap)
    starts = list(range(0, frames - chunk, step)) + [frames - chunk]
    return [Span(s, s + chunk) for s in starts]


def blend_window(length: int, fade_in: int, fade_out: int) -> np.ndarray:
    """1 in the middle, linear ramps over the overlaps with the previous and next chunk.

    Ramps exclude 0, so every sample keeps a positive weight.
    """
    w = np.ones(length, dtype=np.float32)
    if fade_in > 0:
        w[:fade_in] = np.linspace(0.0, 1.0, fade_in + 2, dtype=np.float32)[1:-1]
    if fade_out > 0:
        w[-fade_out:] = np.minimum(w[-fade_out:], np.linspace(1.0, 0.0, fade_out + 2, dtype=np.float32)[1:-1])
    return w


def best_order(previous: np.ndarray, current: np.ndarray) -> list[int]:
    """Permutation of `current`'s talkers that best correlates with `previous` over the overlap.

    Both `(talkers, samples)`. Returns `order` such that `current[order]` lines up with `previous`.
    """
    talkers = current.shape[0]
    norm = np.linalg.norm(previous, axis=1, keepdims=True) * np.linalg.norm(current, axis=1, keepdims=True).T + 1e-9
    corr = (previous @ current.T) / norm                                     # (prev, cur)
    perms = list(itertools.permutations(range(talkers)))
    scores = [sum(corr[i, p[i]] for i in range(talkers)) for p in perms]
    return list(perms[int(np.argmax(scores))])


ChunkModel = Callable[[torch.Tensor], torch.Tensor]


class ChunkedRunner:
    """Runs `model` over `(channels, frames)` audio chunk by chunk; `run` yields (done, total).

    `model` maps `(1, channels, chunk)` to `(1, outputs, chunk)`. With `align=True` outputs are
    treated as talkers whose order may change between chunks.
    """

    def __init__(self, model: ChunkModel, chunk_frames: int, overlap_frames: int, align: bool,
                 device: torch.device | str = "cpu") -> None:
        if overlap_frames >= chunk_frames:
            raise ValueError(f"overlap ({overlap_frames}) must be shorter than the chunk ({chunk_frames})")
        self.model, self.chunk, self.overlap, self.align = model, chunk_frames, overlap_frames, align
        self.device = torch.device(device)
        self._out: np.ndarray | None = None
        self._weight: np.ndarray | None = None

    def run(self, audio: np.ndarray) -> Iterator[tuple[int, int]]:
        frames = audio.shape[1]
        spans = plan_chunks(frames, self.chunk, self.overlap)
        previous_tail: np.ndarray | None = None
        previous_stop = 0
        self._weight = np.zeros(frames, dtype=np.float32)
        for i, span in enumerate(spans):
            piece = torch.from_numpy(np.ascontiguousarray(audio[:, span.start:span.stop], dtype=np.float32))
            with torch.inference_mode():
                est = self.model(piece[None].to(self.device))[0].float().cpu().numpy()
            if self._out is None:
                self._out = np.zeros((est.shape[0], frames), dtype=np.float32)
            shared = previous_stop - span.start
            if self.align and previous_tail is not None and shared > 0:
                est = est[best_order(previous_tail[:, -shared:], est[:, :shared])]
            fade_out = span.stop - spans[i + 1].start if i + 1 < len(spans) else 0
            w = blend_window(span.stop - span.start, max(0, shared), fade_out)
            self._out[:, span.start:span.stop] += est * w
            self._weight[span.start:span.stop] += w
            previous_tail, previous_stop = est, span.stop
            yield i + 1, len(spans)

    def result(self) -> np.ndarray:
        """The blended output `(outputs, frames)`; valid once `run` is exhausted."""
        assert self._out is not None and self._weight is not None, "run() first"
        assert (self._weight > 0).all(), "every sample must be covered by a chunk"
        return self._out / self._weight
