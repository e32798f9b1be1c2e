"""View ▸ Pitch track: each channel's and each shown version's F0 over its spectrogram.

pYIN is slow beside drawing (`meco-studio bench pitch`), so only what is in view is tracked, one 10 s piece
(`app.engine.pitch`) at a time in a worker, the pieces nearest the middle of the view first and
every lane of a piece together; each piece is drawn as it arrives, and kept: scrolling back or
zooming costs nothing twice. A view wider than `MAX_TRACKED_SECONDS` is tracked around its
middle only (the status bar says so), so zooming out over an hour does not keep a core busy
for many minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from app.engine.analysis import AudioSource
from app.engine.files import ArraySource, Recording
from app.engine.jobs import Job, Progress
from app.engine.pitch import PIECE_SECONDS, PitchSettings, PitchTrack, piece_count, track_piece
from app.engine.timecode import format_duration
from app.gui.workers import JobWorker, WorkerSet

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

Lane = int | str              # a channel's index, or a version's id
MAX_TRACKED_SECONDS = 300.0
SETTLE_MS = 150              # the view must rest this long before tracking starts for it


@dataclass(frozen=True)
class PitchLane:
    key: Lane
    column: str              # its column in an exported CSV: "ch1_f0_hz", "<version name>_f0_hz"
    source: AudioSource
    channel: int


@dataclass(frozen=True)
class PieceRequest:
    lane: Lane
    source: AudioSource
    channel: int
    index: int


def pieces_job(requests: list[PieceRequest], settings: PitchSettings) -> Job[list[tuple[Lane, int, PitchTrack]]]:
    """(lane, piece index, track) per request; one request per step."""
    tracked = []
    for done, request in enumerate(requests, start=1):
        tracked.append((request.lane, request.index, track_piece(request.source, request.channel, request.index,
                                                                 settings)))
        yield Progress("track pitch", done, len(requests))
    return tracked


class PitchController(QObject):
    def __init__(self, window: MainWindow, settings: PitchSettings) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.shown = False
        self.pieces: dict[Lane, dict[int, PitchTrack]] = {}    # lane -> piece index -> its track
        self._worker: JobWorker | None = None
        self._workers = WorkerSet()
        self._capped_for: tuple[float, float] | None = None   # the view last said to be tracked in part
        self._timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._timer.timeout.connect(self._on_view_settled)

    def set_shown(self, shown: bool) -> None:
        self.shown = shown
        self._on_view_settled()

    def set_settings(self, settings: PitchSettings) -> None:
        """Another F0 range: what was tracked with the old one goes, and what is in view is tracked again."""
        if settings == self.settings:
            return
        self.close()
        self.settings = settings
        self.pieces.clear()
        self._draw_all()
        self._timer.start()

    def open(self, recording: Recording) -> None:
        """A new recording: its pieces start afresh, tracked as its view moves."""
        self.close()
        self.pieces.clear()
        box = self.window.view.time_box()
        if box is not None:
            box.sigXRangeChanged.connect(self._timer.start)
        self._draw_all()
        self._timer.start()

    def versions_changed(self) -> None:
        """Versions were added, shown, hidden or removed: draw what is kept, track what is new."""
        self._draw_all()
        self._timer.start()

    def close(self, wait: bool = False) -> None:
        """Stop tracking: the piece in hand ends in its worker, its result unused (`wait`: until it
        has, as the window waits when it closes)."""
        self._timer.stop()
        self._worker = None
        self._workers.cancel(wait=wait)

    @property
    def idle(self) -> bool:
        """Nothing tracking or waiting to (for tests and screenshots)."""
        return self._worker is None and not self._timer.isActive()

    def lanes(self) -> list[PitchLane]:
        """Every row on screen: the shown channels, then the shown versions."""
        recording = self.window.recording
        if recording is None:
            return []
        hidden = self.window.view.hidden
        lanes = [PitchLane(c, f"ch{c + 1}_f0_hz", recording, c) for c in range(recording.channels) if c not in hidden]
        for version in self.window.tracks.versions:
            source = ArraySource(version.audio[None], version.sample_rate, version.name)
            lanes.append(PitchLane(version.id, f"{version.name}_f0_hz", source, 0))
        return lanes

    def _window(self) -> tuple[float, float]:
        """The seconds tracked and drawn: the view, or `MAX_TRACKED_SECONDS` around its middle."""
        left, right = self.window.view.visible_range()
        middle = (left + right) / 2
        if right - left > MAX_TRACKED_SECONDS:
            return middle - MAX_TRACKED_SECONDS / 2, middle + MAX_TRACKED_SECONDS / 2
        return left, right

    def _on_view_settled(self) -> None:
        """The view rests: draw what is kept of the window, and track the rest of it."""
        left, right = self.window.view.visible_range()
        if self.shown and right - left > MAX_TRACKED_SECONDS:
            self._say_capped()
        self._draw_all()
        self.track_next()

    def _wanted(self) -> list[PieceRequest]:
        """Pieces in the window not tracked yet, nearest its middle first, every lane of a piece together."""
        left, right = self._window()
        middle = (left + right) / 2
        wanted = []
        for lane in self.lanes():
            count = piece_count(lane.source.frames, lane.source.sample_rate)
            first, last = max(0, math.floor(left / PIECE_SECONDS)), min(count, math.ceil(right / PIECE_SECONDS))
            done = self.pieces.get(lane.key, {})
            wanted += [PieceRequest(lane.key, lane.source, lane.channel, i)
                       for i in range(first, last) if i not in done]
        return sorted(wanted, key=lambda r: abs((r.index + 0.5) * PIECE_SECONDS - middle))

    def _say_capped(self) -> None:
        view = self.window.view.visible_range()
        if self._capped_for != view:
            self._capped_for = view
            self.window.statusBar().showMessage(
                f"Pitch track: the {format_duration(MAX_TRACKED_SECONDS)} around the middle of the view; zoom in "
                "to track the rest.", 5000)

    def track_next(self) -> None:
        """Start tracking the next piece in view, unless one is being tracked (its end starts the next)."""
        if not self.shown or self._worker is not None or self.window.recording is None:
            return
        wanted = self._wanted()
        if not wanted:
            return
        batch = [r for r in wanted if r.index == wanted[0].index]       # every lane of the nearest piece
        worker = JobWorker(pieces_job(batch, self.settings))
        worker.finished.connect(lambda tracked, w=worker: self._on_tracked(w, tracked))
        worker.failed.connect(lambda message, _details, w=worker: self._on_failed(w, message))
        worker.cancelled.connect(lambda w=worker: self._forget(w))
        self._worker = self._workers.start(worker)

    def _forget(self, worker: JobWorker) -> None:
        if worker is self._worker:
            self._worker = None

    def _on_tracked(self, worker: JobWorker, tracked: list[tuple[Lane, int, PitchTrack]]) -> None:
        if worker is not self._worker:
            return                  # from a recording closed since
        self._worker = None
        for lane, index, track in tracked:
            self.pieces.setdefault(lane, {})[index] = track
        for lane in {lane for lane, _, _ in tracked}:
            self._draw(lane)
        self.track_next()

    def _on_failed(self, worker: JobWorker, message: str) -> None:
        """Said once in the status bar; tracking stops until the view moves again."""
        if worker is self._worker:
            self._worker = None
            self.window.statusBar().showMessage(f"Pitch track: {message}", 8000)

    def track_of(self, lane: Lane) -> PitchTrack:
        """A lane's pieces tracked so far within the window, in time order: zoomed out over an hour
        that was browsed whole, the curves hold minutes, not an hour, of frames to paint."""
        left, right = self._window()
        pieces = self.pieces.get(lane, {})
        return PitchTrack.joined([pieces[i] for i in sorted(pieces)
                                  if left - PIECE_SECONDS < i * PIECE_SECONDS < right])

    def _draw(self, lane: Lane) -> None:
        track = self.track_of(lane) if self.shown else None
        if isinstance(lane, int):
            if lane < self.window.view.channel_rows:
                self.window.view.set_pitch(lane, track)
        else:
            self.window.tracks.set_pitch(lane, track)

    def _draw_all(self) -> None:
        for lane in self.lanes():
            self._draw(lane.key)
