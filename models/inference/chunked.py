"""Chunked overlap-add inference with bounded memory, for inputs of any length.

After demucs' `apply_model`: only the current chunk goes to the compute device; chunks overlap
and blend with a triangular window whose accumulated weight is divided out. Input is pulled from
a `read(start, stop)` callable and finished output is pushed to a `write(block)` callable in
order, so memory holds one chunk and one overlap, never the file. Separators return talkers in
arbitrary order per chunk, so each chunk's talkers are matched to the previous chunk over their
shared overlap before they are added (asteroid's `LambdaOverlapAdd._reorder_sources`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class ChunkConfig:
    seconds: float = 8.0        # chunk length; memory grows with this, not with the file. The separator
                                # gains from context (README, "The demo recordings": 8 s against 4 s)
    overlap: float = 0.25       # share of a chunk overlapping its neighbour (demucs' default)

    def __post_init__(self) -> None:
        if self.seconds <= 0:
            raise ValueError(f"ChunkConfig.seconds must be > 0, got {self.seconds}")
        if not 0.0 <= self.overlap < 1.0:
            raise ValueError(f"ChunkConfig.overlap must be in [0, 1), got {self.overlap}")

    def frames(self, sample_rate: int) -> tuple[int, int]:
        """(chunk, overlap) in frames at `sample_rate`."""
        chunk = max(1, round(self.seconds * sample_rate))
        return chunk, min(chunk - 1, round(self.overlap * chunk))


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


ChunkModel = Callable[["torch.Tensor"], "torch.Tensor"]
Reader = Callable[[int, int], np.ndarray]
Writer = Callable[[np.ndarray], None]


class ChunkedRunner:
    """Runs `model` chunk by chunk; `stream` yields (done, total) after each chunk.

    `model` maps `(1, channels, chunk)` to `(1, outputs, chunk)`. With `align=True` outputs are
    treated as talkers whose order may change between chunks.
    """

    def __init__(self, model: ChunkModel, chunk_frames: int, overlap_frames: int, align: bool,
                 device: torch.device | str = "cpu") -> None:
        import torch      # here, not at import: `ChunkConfig` is read by the app's settings before any model runs

        if overlap_frames >= chunk_frames:
            raise ValueError(f"overlap ({overlap_frames}) must be shorter than the chunk ({chunk_frames})")
        self.model, self.chunk, self.overlap, self.align = model, chunk_frames, overlap_frames, align
        self.device = torch.device(device)
        self._result: np.ndarray | None = None

    def stream(self, read: Reader, frames: int, write: Writer) -> Iterator[tuple[int, int]]:
        """Pull chunks with `read`, push finished output `(outputs, n)` to `write`, in order."""
        spans = plan_chunks(frames, self.chunk, self.overlap)
        pending = np.zeros((0, 0), np.float32)        # weighted sum of the unfinished tail
        weight = np.zeros(0, np.float32)
        pending_start = 0
        previous: np.ndarray | None = None
        import torch

        for i, span in enumerate(spans):
            piece = torch.from_numpy(np.ascontiguousarray(read(span.start, span.stop), dtype=np.float32))
            with torch.inference_mode():
                est = self.model(piece[None].to(self.device))[0].float().cpu().numpy()
            shared = pending_start + weight.shape[0] - span.start if i else 0
            if self.align and previous is not None and shared > 0:
                est = est[best_order(previous[:, -shared:], est[:, :shared])]
            fade_out = span.stop - spans[i + 1].start if i + 1 < len(spans) else 0
            w = blend_window(span.stop - span.start, shared, fade_out)
            if i == 0:
                pending = np.zeros((est.shape[0], 0), np.float32)
            grow = span.stop - (pending_start + weight.shape[0])
            pending = np.concatenate([pending, np.zeros((est.shape[0], grow), np.float32)], axis=1)
            weight = np.concatenate([weight, np.zeros(grow, np.float32)])
            offset = span.start - pending_start
            pending[:, offset:] += est * w
            weight[offset:] += w
            # Everything before the next chunk's start is final.
            final = (spans[i + 1].start if i + 1 < len(spans) else frames) - pending_start
            assert (weight[:final] > 0).all(), "every sample must be covered by a chunk"
            write(pending[:, :final] / weight[:final])
            pending, weight, pending_start = pending[:, final:], weight[final:], pending_start + final
            previous = est
            yield i + 1, len(spans)

    def run(self, audio: np.ndarray) -> Iterator[tuple[int, int]]:
        """In-memory convenience over `stream`: the result is in `result()` afterwards."""
        blocks: list[np.ndarray] = []
        yield from self.stream(lambda a, b: audio[:, a:b], audio.shape[1], blocks.append)
        self._result = np.concatenate(blocks, axis=1)

    def result(self) -> np.ndarray:
        assert self._result is not None, "run() first"
        return self._result
