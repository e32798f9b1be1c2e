"""A session's labels on a waveform row, all painted by one item.

An hour's talker activity or an imported RTTM file holds thousands of labels. Drawn as one
region and one text item each, on every row, a single label edit rebuilt tens of thousands of
Qt objects (44 s for 2,000 labels on four channels). Here each row has one item that keeps the
labels in arrays and paints only those in view; the texts are painted at screen size where
their band leaves room, as Audacity's label track does.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter

from app.engine.labels import Label
from app.gui.views.plot_style import plot_colors

TEXT_PADDING = 3          # pixels between a band's edge and its text
MIN_TEXT_PIXELS = 14      # a band narrower than this on screen shows no text


class LabelBands(pg.GraphicsObject):
    """Bands `[start, stop]` across the row's height, or (`texts=True`) their texts at the top."""

    def __init__(self, color: str, brush: tuple[int, int, int, int], height: float, texts: bool = False) -> None:
        super().__init__()
        self.starts = np.zeros(0)
        self.stops = np.zeros(0)
        self.texts: list[str] = []
        self._pen = pg.mkPen(color, width=1)          # cosmetic: one pixel at any zoom
        self._brush = pg.mkBrush(*brush)
        self._text_pen = pg.mkPen(color)
        self._height = height                         # the row's y extent is [-height, height]
        self._texts = texts

    def set_labels(self, labels: list[Label]) -> None:
        self.prepareGeometryChange()
        self.starts = np.array([label.start for label in labels], dtype=np.float64)
        self.stops = np.array([label.stop for label in labels], dtype=np.float64)
        self.texts = [label.text for label in labels]
        self.update()

    def boundingRect(self) -> QRectF:
        if not self.starts.size:
            return QRectF()
        if self._texts:                     # a text may run past its band, up to the view's edge
            view = self.viewRect()
            return QRectF() if view is None else QRectF(view)
        left, right = float(self.starts.min()), float(self.stops.max())
        return QRectF(left, -self._height, max(right - left, 1e-9), 2 * self._height)

    def viewRangeChanged(self) -> None:
        if self._texts:                     # only the texts' bounds follow the view; the bands' are fixed
            self.prepareGeometryChange()
            self.update()

    def _visible(self) -> np.ndarray:
        view = self.viewRect()
        if view is None or not self.starts.size:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero((self.stops >= view.left()) & (self.starts <= view.right()))

    def paint(self, painter: QPainter, *args: object) -> None:
        shown = self._visible()
        if not shown.size:
            return
        if self._texts:
            self._paint_texts(painter, shown)
            return
        painter.setPen(self._pen)
        painter.setBrush(self._brush)
        h = self._height
        painter.drawRects([QRectF(self.starts[i], -h, self.stops[i] - self.starts[i], 2 * h) for i in shown])

    def _paint_texts(self, painter: QPainter, shown: np.ndarray) -> None:
        """Each text from its band's start to the next label's start (or the view's edge), elided."""
        to_screen = painter.transform()
        view = self.viewRect()
        top = min(to_screen.map(QPointF(0.0, self._height)).y(), to_screen.map(QPointF(0.0, -self._height)).y())
        right_edge = to_screen.map(QPointF(view.right(), 0.0)).x()
        starts = [to_screen.map(QPointF(self.starts[i], 0.0)).x() for i in shown]
        painter.resetTransform()
        metrics = QFontMetricsF(painter.font())
        background = QColor(plot_colors().background)
        for n, i in enumerate(shown):
            if not self.texts[i]:
                continue
            x = max(starts[n], 0.0) + TEXT_PADDING
            room = (starts[n + 1] if n + 1 < len(shown) else right_edge) - x - TEXT_PADDING
            if room < MIN_TEXT_PIXELS:
                continue
            text = metrics.elidedText(self.texts[i], Qt.TextElideMode.ElideRight, room)
            box = QRectF(x, top, metrics.horizontalAdvance(text) + 2, metrics.height())
            painter.fillRect(box, background)
            painter.setPen(self._text_pen)
            painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, text)
        painter.setTransform(to_screen)
