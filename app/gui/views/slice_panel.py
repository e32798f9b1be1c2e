"""The spectrum at one moment of every channel and shown version, as Sonic Visualiser's spectrum
layer and RX's spectrum analyser show it: a hum's line, a whistle or the harmonics of a voice read
off at the cursor (while stopped) or at the playhead (while playing). The curves are drawn in the
Analysis panel's colours on its log-frequency axis, with a readout under the mouse. Hold keeps the
moment's curves, dashed, under the ones that follow (RX's hold): a pause's noise floor beside a
word's, or a channel before and after a mend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.engine.analysis import Curve, spectrum_table
from app.engine.export import write_csv
from app.engine.timecode import format_duration
from app.gui.views.analysis_panel import FLOOR_DB, lane_color, spectrum_plot
from app.gui.views.axes import format_hz
from app.gui.views.csv_saving import ask_and_save_csv
from app.gui.views.plot_style import plot_colors

HINT = "Move the mouse over the channels or the tracks (or play) to see the spectrum there."


class SlicePanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel(HINT, wordWrap=True)
        self.hold_button = QPushButton("Hold", checkable=True, enabled=False)
        self.hold_button.setToolTip("Keep these curves, dashed, under the ones that follow")
        self.hold_button.toggled.connect(self._on_hold)
        self.held: list[pg.PlotDataItem] = []
        self.save_button = QPushButton("Save CSV…", enabled=False)
        self.save_button.setToolTip("The curves shown, one column per lane")
        self.save_button.clicked.connect(self._ask_and_save)
        self.seconds = 0.0
        self.plot = spectrum_plot()
        self.plot.setYRange(-100.0, 0.0)
        backdrop = QColor(plot_colors().background)
        backdrop.setAlphaF(0.8)                  # the legend reads over the curves
        self.plot.addLegend(offset=(-10, 10), brush=pg.mkBrush(backdrop), labelTextColor=plot_colors().foreground)
        self.curves: list[Curve] = []       # as drawn
        self._items: list[pg.PlotDataItem] = []
        self.readout = QLabel(" ")
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.hold_button)
        top.addWidget(self.save_button)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.readout)

    def show_slice(self, seconds: float, where: str, curves: list[Curve]) -> None:
        """Draw `curves` (name, Hz, dB), the spectra at `seconds`; `where` says whose time it is."""
        self.heading.setText(f"At {format_duration(seconds)} ({where})")
        self.seconds, self.curves = seconds, curves
        self.hold_button.setEnabled(bool(curves) or self.hold_button.isChecked())
        self.save_button.setEnabled(bool(curves))
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
        for item in self.held:
            legend.addItem(item, item.name())

    def clear(self) -> None:
        self.hold_button.setChecked(False)
        self.show_slice(0.0, "", [])
        self.heading.setText(HINT)

    def save_csv(self, path: str | Path) -> Path:
        """The curves shown, one column per lane (named with the moment); ExportError naming the
        file when it cannot be written."""
        at = format_duration(self.seconds)
        return write_csv(Path(path), spectrum_table([(f"{name} at {at}", hz, db) for name, hz, db in self.curves]))

    def _ask_and_save(self) -> None:
        ask_and_save_csv(self, "Save the spectrum as CSV", "spectrum-at-cursor.csv", self.save_csv, self.readout)

    def _on_hold(self, holding: bool) -> None:
        """Keep the current curves, dashed and faded, named with their moment; or let them go."""
        for item in self.held:
            self.plot.removeItem(item)
        self.held = []
        if holding:
            for row, (name, hz, db) in enumerate(self.curves):
                color = QColor(lane_color(row))
                color.setAlphaF(0.6)
                item = self.plot.plot(hz[1:], np.maximum(db[1:], FLOOR_DB),
                                      pen=pg.mkPen(color, width=1.0, style=Qt.PenStyle.DashLine),
                                      name=f"{name} at {format_duration(self.seconds)}")
                item.setZValue(-1)
                self.held.append(item)
        self.hold_button.setText("Release" if holding else "Hold")

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        box = self.plot.getViewBox()
        if not self.curves or not box.sceneBoundingRect().contains(scene_pos):
            return
        hz = 10 ** box.mapSceneToView(scene_pos).x()
        _, frequencies, _ = self.curves[0]
        at = int(np.argmin(np.abs(frequencies - hz)))
        levels = "   ".join(f"{name} {db[at]:.1f} dB" for name, _, db in self.curves if np.isfinite(db[at]))
        self.readout.setText(f"{format_hz(float(frequencies[at]))} Hz   {levels}")
