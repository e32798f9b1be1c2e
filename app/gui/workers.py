"""Background work for the GUI: spectrogram images computed off the GUI thread.

The view asks for the range it shows; while one image is being computed newer requests
replace older ones, so a fast zoom computes only the latest view. Results arrive as a queued
signal; only GUI-thread slots touch widgets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.engine.errors import AppError
from app.engine.files import Recording
from app.engine.spectrogram import (
    SpectrogramImage,
    SpectrogramSettings,
    TileCache,
    exact_envelope,
    image_steps,
    to_color_indices,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderRequest:
    start_frame: int
    stop_frame: int
    columns: int
    rows: int
    settings: SpectrogramSettings


@dataclass(frozen=True)
class RenderResult:
    recording: Recording          # results still queued after a file change are recognised and dropped
    request: RenderRequest
    image: SpectrogramImage
    colors: np.ndarray            # (channels, columns, rows) uint8 colormap indices
    envelope_start_frame: int
    envelope_stride: float        # frames per envelope column
    envelope_min: np.ndarray      # (channels, columns)
    envelope_max: np.ndarray


def render_steps(recording: Recording, request: RenderRequest, cache: TileCache) -> Iterator[RenderResult]:
    """A redraw's data as it grows: spectrogram tiles, colours, and an exact waveform envelope
    when the visible span is short enough to read whole (zoomed in to the real hop or closer)."""
    s = request.settings
    exact = None
    for image in image_steps(recording, request.start_frame, request.stop_frame, request.columns, s,
                             request.rows, cache=cache):
        colors = to_color_indices(image.level_db, s.floor_db, s.ceiling_db)
        if image.stride > s.hop:
            envelope = (image.start_frame, float(image.stride), image.envelope_min, image.envelope_max)
        else:
            exact = exact or exact_envelope(recording, request.start_frame, request.stop_frame, request.columns)
            envelope = exact
        yield RenderResult(recording, request, image, colors, *envelope)


class SpectrogramWorker(QObject):
    """One thread per open recording; `request` never blocks the caller."""

    ready = Signal(object)     # RenderResult
    failed = Signal(str)       # an AppError's message

    def __init__(self, recording: Recording) -> None:
        super().__init__()
        self.recording = recording
        self.cache = TileCache()          # per recording: tiles of another file never match
        self._pending: RenderRequest | None = None
        self._wake = threading.Condition()
        self._closing = False
        self._reported = False     # a damaged file is reported once, not on every redraw
        self._thread = threading.Thread(target=self._run, name="spectrogram-worker", daemon=True)
        self._thread.start()

    def request(self, request: RenderRequest) -> None:
        with self._wake:
            self._pending = request
            self._wake.notify()

    def close(self) -> None:
        """Stop after the image in progress; waits for the thread."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._closing:
                    self._wake.wait()
                if self._closing:
                    return
                request, self._pending = self._pending, None
            steps = render_steps(self.recording, request, self.cache)
            try:
                for result in steps:
                    self.ready.emit(result)
                    if self._pending is not None or self._closing:   # the view moved on
                        break
            except AppError as err:      # the thread's edge: said once, other ranges still draw
                log.exception("spectrogram failed")
                if not self._reported:
                    self._reported = True
                    self.failed.emit(str(err))
            finally:
                steps.close()
