"""Feeds the Spectrum panel (`views.slice_panel`): the spectrum of every channel and shown version
at the cursor while playback is stopped, at the playhead while it plays. Requests are coalesced
(a mouse sweeps through hundreds of moments a second) and drawn only while the panel shows; a
moment costs one window of samples per lane, read on the GUI thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from app.engine.analysis import Curve, spectrum_at, spectrum_segment
from app.gui.views.slice_panel import SlicePanel

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

COALESCE_MS = 30


class SliceController:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.panel = SlicePanel(window)
        self.wanted: tuple[float, str] | None = None        # the last moment asked for, and whose it is
        self.timer = QTimer(window, singleShot=True, interval=COALESCE_MS)
        self.timer.timeout.connect(self.draw)

    def at_cursor(self, seconds: float) -> None:
        if not self.window.playback.active_player.is_playing:
            self._want(seconds, "the cursor")

    def at_playhead(self, seconds: float) -> None:
        if self.window.playback.active_player.is_playing:
            self._want(seconds, "the playhead")

    def _want(self, seconds: float, where: str) -> None:
        self.wanted = (max(seconds, 0.0), where)
        if self.panel.isVisible() and not self.timer.isActive():
            self.timer.start()

    def draw(self) -> None:
        """The spectra at the moment last asked for (when the panel shows)."""
        window = self.window
        if self.wanted is None or window.recording is None or not self.panel.isVisible():
            return
        seconds, where = self.wanted
        self.panel.show_slice(seconds, where, self.curves(seconds))

    def curves(self, seconds: float) -> list[Curve]:
        """(name, Hz, dB) of every channel of the recording and every shown version at `seconds`."""
        recording = self.window.recording
        rate = recording.sample_rate
        centre, half = round(seconds * rate), spectrum_segment(rate) // 2
        lo = min(max(centre - half, 0), recording.frames)
        piece = recording.read(lo, min(max(centre + half, 0), recording.frames))
        curves = [(f"ch {c + 1}", *spectrum_at(piece[c], rate, centre - lo)) for c in range(recording.channels)]
        for version in self.window.tracks.versions:
            curves.append((version.name, *spectrum_at(version.audio, version.sample_rate,
                                                      round(seconds * version.sample_rate))))
        return curves

    def clear(self) -> None:
        self.wanted = None
        self.panel.clear()
