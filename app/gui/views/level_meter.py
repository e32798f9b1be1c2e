"""A peak level meter for what plays now: one bar per output in dBFS, a peak hold, a clip light.

Ballistics after a peak programme meter: the bar rises at once and falls at `FALL_DB_PER_S`; a
hold mark keeps the highest level for `HOLD_SECONDS`, and the figure at the right reads it. A
sample at or above full scale lights the clip mark until the meter is clicked, so a clip heard
once is not missed. Levels come from the players (`level()`), polled with the playhead.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

FLOOR_DB = -60.0
FALL_DB_PER_S = 20.0
HOLD_SECONDS = 1.5
TICKS_DB = (-48, -36, -24, -12, -6)
READOUT_PIXELS = 56          # room for "−60.0 dB" right of the bars
CLIP_PIXELS = 6
CLIP_COLOR = QColor("#f85149")


def to_db(peak: float) -> float:
    """dBFS of a peak magnitude, floored at `FLOOR_DB`."""
    return max(FLOOR_DB, 20 * math.log10(peak)) if peak > 0 else FLOOR_DB


LABEL_PIXELS = 18            # room for channel numbers left of the bars, when shown


class LevelMeter(QWidget):
    def __init__(self, parent: QWidget | None = None, numbered: bool = False) -> None:
        """`numbered`: write each bar's channel number at its left (many channels, as when recording)."""
        super().__init__(parent)
        self.numbered = numbered
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setToolTip("Peak level of what plays now (dBFS); the figure is the highest of the last "
                        f"{HOLD_SECONDS:g} s. A red light at the right: a sample reached full scale "
                        "(click the meter to reset it).")
        self.bars_db = np.full(2, FLOOR_DB)
        self.hold_db = FLOOR_DB
        self.clipped = False
        self._hold_at = 0.0
        self._last = 0.0

    def sizeHint(self) -> QSize:
        return QSize(150 + READOUT_PIXELS, 18)

    def set_levels(self, peaks: np.ndarray | None, now: float | None = None) -> None:
        """Peak magnitudes per output of what just played; None when playback stopped (the bars
        drop, the clip light stays)."""
        now = time.monotonic() if now is None else now
        if peaks is None:
            self.bars_db[:] = FLOOR_DB
            self.hold_db = FLOOR_DB
        else:
            levels = np.array([to_db(float(p)) for p in np.atleast_1d(peaks)])
            if levels.shape != self.bars_db.shape:
                self.bars_db = np.full(levels.shape, FLOOR_DB)
            fallen = self.bars_db - FALL_DB_PER_S * max(0.0, now - self._last)
            self.bars_db = np.maximum(levels, fallen)
            top = float(levels.max())
            if top >= self.hold_db or now - self._hold_at > HOLD_SECONDS:
                self.hold_db, self._hold_at = top, now
            self.clipped |= bool(np.max(np.atleast_1d(peaks)) >= 1.0)
        self._last = now
        self.update()

    def reset_clip(self) -> None:
        self.clipped = False
        self.update()

    def mousePressEvent(self, event) -> None:
        self.reset_clip()
        super().mousePressEvent(event)

    def fraction(self, db: float) -> float:
        """Where `db` sits along a bar, 0 at the floor and 1 at full scale."""
        return min(1.0, max(0.0, (db - FLOOR_DB) / -FLOOR_DB))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        left = LABEL_PIXELS if self.numbered else 0
        width = self.width() - READOUT_PIXELS - CLIP_PIXELS - 2 - left
        height = self.height() - 2
        bars = len(self.bars_db)
        bar_height = (height - (bars - 1)) / bars
        text = palette.color(QPalette.ColorRole.Text)
        if self.numbered:
            painter.setPen(text)
            small = painter.font()
            small.setPixelSize(max(6, min(11, int(bar_height))))
            painter.setFont(small)
            for k in range(bars):
                painter.drawText(QRectF(0, 1 + k * (bar_height + 1), LABEL_PIXELS - 3, bar_height),
                                 int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), str(k + 1))
            painter.setFont(self.font())
            painter.translate(left, 0)
        painter.fillRect(QRectF(0, 1, width, height), palette.color(QPalette.ColorRole.Base))
        gradient = QLinearGradient(0, 0, width, 0)
        gradient.setColorAt(0.0, QColor("#2ea043"))
        gradient.setColorAt(self.fraction(-18), QColor("#3fb950"))
        gradient.setColorAt(self.fraction(-9), QColor("#d29922"))
        gradient.setColorAt(1.0, CLIP_COLOR)
        for k, db in enumerate(self.bars_db):
            top = 1 + k * (bar_height + 1)
            painter.fillRect(QRectF(0, top, width * self.fraction(float(db)), bar_height), gradient)
        ticks = QColor(text)
        ticks.setAlpha(90)
        for db in TICKS_DB:
            x = round(width * self.fraction(db))
            painter.fillRect(QRectF(x, 1, 1, height), ticks)
        if self.hold_db > FLOOR_DB:
            painter.fillRect(QRectF(width * self.fraction(self.hold_db) - 1, 1, 2, height), text)
        painter.fillRect(QRectF(width + 1, 1, CLIP_PIXELS, height),
                         CLIP_COLOR if self.clipped else palette.color(QPalette.ColorRole.Base))
        painter.setPen(text)
        readout = "−∞ dB" if self.hold_db <= FLOOR_DB else f"{self.hold_db:.1f} dB".replace("-", "−")
        painter.drawText(QRectF(width + CLIP_PIXELS + 4, 0, READOUT_PIXELS - 4, self.height()),
                         int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), readout)
        painter.end()
