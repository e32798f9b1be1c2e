"""Mouse handling on a time axis: wheel scrolls, Ctrl+wheel zooms at the cursor, click seeks,
double-click is reported too, a Shift+click extends the selection, a right click asks for a menu,
drag selects a range, Shift+drag or middle-drag pans, on a spectrogram Ctrl+drag selects a
time-frequency area (a band over a range), and a drag that starts on a handle (a label's edge)
moves that handle. Frequency never moves."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

ZOOM_STEP = 1.5                # one key press or wheel notch
SCROLL_FRACTION = 0.1          # of the visible span per arrow press or wheel notch


class TimeViewBox(pg.ViewBox):
    """A view box whose only free axis is time; reports clicks and drags in seconds."""

    clicked = Signal(float)
    double_clicked = Signal(float)         # after the click that began it
    dragged = Signal(float, float, bool)   # anchor, current, finished
    area_dragged = Signal(object, object, bool)   # anchor, current as (seconds, y), finished
    handle_dragged = Signal(object, float, bool)  # the handle, current seconds, finished
    context_clicked = Signal(object)              # a right click: its screen position (QPoint)
    extend_clicked = Signal(float)                # a Shift+click: the selection reaches to these seconds

    def __init__(self, areas: bool = False) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=True, y=False)
        self.areas = areas              # Ctrl+drag reports an area rather than a range
        self.handle_at: Callable[[float, float], object | None] | None = None   # (seconds, seconds a pixel)
        self._drag_anchor = 0.0
        self._area_drag = False
        self._handle: object | None = None

    def zoom_by(self, factor: float, centre: float) -> None:
        """Show `factor` times the span (>1: zoom out), keeping `centre` seconds in place."""
        left, right = self.viewRange()[0]
        self.setXRange(centre - (centre - left) * factor, centre + (right - centre) * factor, padding=0)

    def scroll_by(self, seconds: float) -> None:
        left, right = self.viewRange()[0]
        self.setXRange(left + seconds, right + seconds, padding=0)

    def wheelEvent(self, ev, axis=None) -> None:
        notches = ev.delta() / 120
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(ZOOM_STEP ** -notches, self.mapSceneToView(ev.scenePos()).x())
        else:
            left, right = self.viewRange()[0]
            self.scroll_by(-notches * SCROLL_FRACTION * (right - left))
        ev.accept()

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            self.context_clicked.emit(ev.screenPos().toPoint())
            return
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        seconds = self.mapSceneToView(ev.scenePos()).x()
        if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier and not ev.double():
            self.extend_clicked.emit(seconds)
            return
        (self.double_clicked if ev.double() else self.clicked).emit(seconds)

    def mouseDragEvent(self, ev, axis=None) -> None:
        button = ev.button()
        shifted = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and shifted):
            ev.accept()
            self.scroll_by(self.mapSceneToView(ev.lastScenePos()).x() - self.mapSceneToView(ev.scenePos()).x())
            return
        if button != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        if ev.isStart():
            self._drag_anchor = self.mapSceneToView(ev.buttonDownScenePos()).x()
            self._area_drag = self.areas and bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self._handle = None if self.handle_at is None else self.handle_at(self._drag_anchor,
                                                                              self.viewPixelSize()[0])
        if self._handle is not None:
            self.handle_dragged.emit(self._handle, self.mapSceneToView(ev.scenePos()).x(), ev.isFinish())
            return
        if self._area_drag:
            anchor, current = (self.mapSceneToView(p) for p in (ev.buttonDownScenePos(), ev.scenePos()))
            self.area_dragged.emit((anchor.x(), anchor.y()), (current.x(), current.y()), ev.isFinish())
            return
        self.dragged.emit(self._drag_anchor, self.mapSceneToView(ev.scenePos()).x(), ev.isFinish())
