"""The spectrum at one moment of every channel and shown version, as Sonic Visualiser's spectrum
layer and RX's spectrum analyser show it: a hum's line, a whistle or the harmonics of a voice read
off at the cursor (while stopped) or at the playhead (while playing). The curves are drawn in the
Analysis panel's colours on its log-frequency axis, with a readout under the mouse.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.engine.timecode import format_duration
from app.gui.views.analysis_panel import FLOOR_DB, lane_color, spectrum_plot
from app.gui.views.axes import format_hz

HINT = "Move the mouse over the channels or the tracks (or play) to see the spectrum there."


class SlicePanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel(HINT, wordWrap=True)
        self.plot = spectrum_plot()
        self.plot.setYRange(-100.0, 0.0)
        self.plot.addLegend(offset=(-10, 10))
        self.curves: list[tuple[str, np.ndarray, np.ndarray]] = []       # (name, Hz, dB) as drawn
        self._items: list[pg.PlotDataItem] = []
        self.readout = QLabel(" ")
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.readout)

    def show_slice(self, seconds: float, where: str, curves: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
        """Draw `curves` (name, Hz, dB), the spectra at `seconds`; `where` says whose time it is."""
        self.heading.setText(f"At {format_duration(seconds)} ({where})")
        self.curves = curves
        while len(self._items) < len(curves):
            row = len(self._items)
            self._items.append(self.plot.plot(pen=pg.mkPen(lane_color(row), width=1.5)))
        legend = self.plot.plotItem.legend
        legend.clear()
        for row, item in enumerate(self._items):
            if row < len(curves):
                name, hz, db = curves[row]
                item.setData(hz[1:], np.maximum(db[1:], FLOOR_DB))      # no 0 Hz on a log axis
                legend.addItem(item, name)
            else:
                item.setData([], [])

    def clear(self) -> None:
        self.show_slice(0.0, "", [])
        self.heading.setText(HINT)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        box = self.plot.getViewBox()
        if not self.curves or not box.sceneBoundingRect().contains(scene_pos):
            return
        hz = 10 ** box.mapSceneToView(scene_pos).x()
        _, frequencies, _ = self.curves[0]
        at = int(np.argmin(np.abs(frequencies - hz)))
        levels = "   ".join(f"{name} {db[at]:.1f} dB" for name, _, db in self.curves if np.isfinite(db[at]))
        self.readout.setText(f"{format_hz(float(frequencies[at]))} Hz   {levels}")
