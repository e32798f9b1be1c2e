"""Dereverberating a recording before it is separated or listened to, by weighted prediction error
(`models.baselines.wpe`): every channel from all of them, so the result is still an array recording
(Process ▸ Dereverberate (WPE)…, `meco-studio dereverb`, `separate --dereverb`).

An hour is not solved at once: the recording is cut into blocks of about BLOCK_SECONDS (equal
lengths, so none is a short remnant with too little sound to fit a filter to), each solved with
CONTEXT_SECONDS of the recording either side, and neighbouring blocks crossfade linearly over
CROSSFADE_SECONDS around their border, so no click marks where one block's filters give way to
the next's. `Dereverberated` reads a recording through this, keeping the last few blocks solved,
so a separator's overlapping chunks solve each block once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.engine.errors import ConfigError
from app.engine.export import REWRITTEN, copy_job
from app.engine.files import ArraySource, Recording, SourceView, Span
from app.engine.jobs import Job, Progress
from models.baselines.wpe import WpeSettings, dereverberate

BLOCK_SECONDS = 20.0
CONTEXT_SECONDS = 2.0
CROSSFADE_SECONDS = 0.5
KEPT_BLOCKS = 3


def check_settings(settings: WpeSettings) -> None:
    """Refuse figures WPE cannot mean, as a user types them."""
    if not 10 <= settings.taps_ms <= 500:
        raise ConfigError(f"A prediction filter of {settings.taps_ms:g} ms is out of range: use 10 to 500 ms.")
    if not 0 <= settings.delay_ms <= 100:
        raise ConfigError(f"A delay of {settings.delay_ms:g} ms is out of range: use 0 to 100 ms.")
    if not 1 <= settings.iterations <= 10:
        raise ConfigError(f"{settings.iterations} iterations is out of range: use 1 to 10.")


@dataclass(frozen=True)
class DereverbResult:
    blocks: int                 # solved one after another
    channels: int               # dereverberated together


class Dereverberated(SourceView):
    """`source` read with `channels` (all of them by default) dereverberated together; any other
    channel reads as it is. What `separate --dereverb` separates, with no copy written."""

    def __init__(self, source: Recording | Span | ArraySource | SourceView, settings: WpeSettings = WpeSettings(),
                 channels: list[int] | None = None) -> None:
        check_settings(settings)
        super().__init__(source)
        self.settings = settings
        self.together = list(range(source.channels)) if channels is None else sorted(set(channels))
        frames, rate = source.frames, source.sample_rate
        count = max(1, round(frames / (BLOCK_SECONDS * rate)))
        self.borders = [round(k * frames / count) for k in range(count + 1)]
        self._context = round(CONTEXT_SECONDS * rate)
        self._fade = min(round(CROSSFADE_SECONDS * rate), 2 * self._context)
        self._solved: OrderedDict[int, tuple[int, np.ndarray]] = OrderedDict()

    @property
    def blocks(self) -> int:
        return len(self.borders) - 1

    def _used(self, k: int) -> tuple[int, int]:
        """The frames block `k` contributes to: its own and half the crossfade either side."""
        half = self._fade // 2
        return max(0, self.borders[k] - half), min(self.frames, self.borders[k + 1] + self._fade - half)

    def _weight(self, k: int, lo: int, hi: int) -> np.ndarray:
        """Block `k`'s share of frames lo..hi: rising across its first border, falling across its last."""
        t = np.arange(lo, hi, dtype=np.float64)
        w = np.ones(hi - lo)
        if self._fade and k > 0:
            w *= np.clip((t - self._used(k)[0] + 0.5) / self._fade, 0.0, 1.0)
        if self._fade and k < self.blocks - 1:
            w *= np.clip((self._used(k)[1] - t - 0.5) / self._fade, 0.0, 1.0)
        return w.astype(np.float32)

    def _block(self, k: int) -> tuple[int, np.ndarray]:
        """Block `k` with its context, dereverberated: (first frame, (channels together, frames))."""
        if k in self._solved:
            self._solved.move_to_end(k)
            return self._solved[k]
        lo = max(0, self.borders[k] - self._context)
        hi = min(self.frames, self.borders[k + 1] + self._context)
        solved = (lo, dereverberate(np.asarray(self.source.read(lo, hi, self.together)), self.sample_rate,
                                    self.settings))
        self._solved[k] = solved
        while len(self._solved) > KEPT_BLOCKS:
            self._solved.popitem(last=False)
        return solved

    def read(self, start_frame: int, stop_frame: int, channels: list[int] | None = None) -> np.ndarray:
        start, stop = max(0, int(start_frame)), min(self.frames, int(stop_frame))
        wanted = list(range(self.channels)) if channels is None else list(channels)
        block = np.array(self.source.read(start, stop, wanted), dtype=np.float32)
        rows = [(row, self.together.index(c)) for row, c in enumerate(wanted) if c in self.together]
        if not rows or stop <= start:
            return block
        mine, theirs = [r for r, _ in rows], [t for _, t in rows]
        block[mine] = 0.0
        for k in range(self.blocks):
            lo, hi = self._used(k)
            lo, hi = max(lo, start), min(hi, stop)
            if lo >= hi:
                continue
            first, solved = self._block(k)
            block[mine, lo - start:hi - start] += solved[theirs, lo - first:hi - first] * self._weight(k, lo, hi)
        return block


def write_dereverberated(view: Dereverberated, sink: Callable[[np.ndarray], None]) -> Job[DereverbResult]:
    """`view` handed to `sink` block by block, in order, as (channels, frames)."""
    for k in range(view.blocks):
        yield Progress("dereverberate", k, view.blocks)
        sink(view.read(view.borders[k], view.borders[k + 1]))
    return DereverbResult(view.blocks, len(view.together))


def dereverb_job(recording: Recording | Span | ArraySource, sink: Callable[[np.ndarray], None],
                 settings: WpeSettings = WpeSettings()) -> Job[DereverbResult]:
    """Every channel of `recording` dereverberated together, handed to `sink` block by block
    (`meco-studio dereverb`)."""
    return (yield from write_dereverberated(Dereverberated(recording, settings), sink))


def dereverberated_copy_job(recording: Recording, target: Path,
                            settings: WpeSettings = WpeSettings()) -> Job[DereverbResult]:
    """`recording` dereverberated, written to `target` as 24-bit WAV, tagged with what made it
    (Process ▸ Dereverberate (WPE)…)."""
    view = Dereverberated(recording, settings)
    return (yield from copy_job(recording, target, "the dereverberated copy", REWRITTEN, described(settings),
                                lambda write: write_dereverberated(view, write)))


def preview_job(recording: Recording | Span | ArraySource, settings: WpeSettings, channel: int,
                heard: tuple[float, float], removed: bool = False) -> Job[np.ndarray]:
    """Channel `channel` of `recording` over `heard` (seconds) exactly as the dereverberated copy
    will hold it (the blocks that cover it solved whole, with their context), or with `removed`
    what the copy takes away there: the late reverberation alone (Process ▸ Dereverberate's Preview)."""
    rate = recording.sample_rate
    lo, hi = (min(max(round(t * rate), 0), recording.frames) for t in heard)
    yield Progress("dereverberate the preview", 0, 1)
    kept = Dereverberated(recording, settings).read(lo, hi, [channel])[0]
    return np.asarray(recording.read(lo, hi, [channel])[0], np.float32) - kept if removed else kept


def described(settings: WpeSettings) -> str:
    """What a file's tags and a report say was done."""
    return (f"dereverberated by WPE: a {settings.taps_ms:g} ms filter after {settings.delay_ms:g} ms, "
            f"{settings.iterations} iterations")
