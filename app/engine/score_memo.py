"""Metrics of clips already scored, looked up instead of computed again.

The metrics panel scores every version each time it runs, metrics over labels score the mixture
once for each talker's reference, and a mend that leaves a label's range alone gives that range's
audio again. SI-SDR, PESQ, ESTOI and DNSMOS are deterministic, so a clip (with its reference) seen
before costs one digest of its samples rather than seconds of DNSMOS windows.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

Scores = dict[str, float]


class ScoreMemo:
    """`score(*clips)` by the metric and a digest of the clips' samples, dtypes and shapes; the least recently
    used of `capacity` entries goes first (an entry is a few floats: memory stays small)."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._scores: OrderedDict[tuple[Callable[..., Scores], bytes], Scores] = OrderedDict()
        self._lock = threading.Lock()          # two metric jobs may run at once

    def __call__(self, score: Callable[..., Scores], *clips: np.ndarray) -> Scores:
        digest = hashlib.blake2b(digest_size=20)
        for clip in clips:
            clip = np.ascontiguousarray(clip)
            digest.update(f"{clip.dtype.str}{clip.shape}".encode())
            digest.update(clip.data)
        key = (score, digest.digest())
        with self._lock:
            if key in self._scores:
                self._scores.move_to_end(key)
                return dict(self._scores[key])
        scores = score(*clips)
        with self._lock:
            self._scores[key] = dict(scores)
            while len(self._scores) > self.capacity:
                self._scores.popitem(last=False)
        return scores

    def clear(self) -> None:
        with self._lock:
            self._scores.clear()


scored = ScoreMemo()     # the app's: shared by every metrics job in the process
