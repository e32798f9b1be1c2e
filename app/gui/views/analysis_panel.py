"""Levels and the average spectrum of every channel and version, over the selection or the whole file.

The table holds each lane's peak, RMS, BS.1770 loudness, crest factor, DC offset and clipped
samples (`app.engine.analysis`); the plot overlays the lanes' Welch spectra on a log-frequency
axis, each in the colour of its row's name (selecting rows brings theirs forward), with a readout
under the cursor (as Audacity's Plot Spectrum). Copy and Save CSV take the table out; Save
spectrum CSV the curves.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QGuiApplication, QKeySequence, QPen, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.analysis import LaneAnalysis, lane_curves, spectrum_table, statistics_table, warnings
from app.engine.export import write_csv
from app.gui.views.csv_saving import ask_and_save_csv
from app.gui.views.plot_style import restyle

# Distinct line colours that read on both themes (Tableau 10).
LANE_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
               "#9c755f", "#bab0ac")
FLOOR_DB = -140.0        # digital silence is drawn here rather than at -inf
FREQUENCY_TICKS_HZ = (20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000)
HINT = "Process ▸ Analyze levels and spectrum measures every channel and version (the selection, if any)."


def lane_color(row: int) -> str:
    return LANE_COLORS[row % len(LANE_COLORS)]


def lane_pen(row: int, emphasised: bool) -> QPen:
    color = QColor(lane_color(row))
    if not emphasised:
        color.setAlphaF(0.25)
    return pg.mkPen(color, width=2.0 if emphasised else 1.0)


def spectrum_plot() -> pg.PlotWidget:
    """A plot of spectra: level in dB over a log-frequency axis ticked at round frequencies."""
    plot = pg.PlotWidget()
    plot.setMinimumHeight(180)
    plot.setLogMode(x=True, y=False)
    plot.setLabel("bottom", "frequency (Hz)")
    plot.setLabel("left", "level (dB)")
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setMenuEnabled(False)
    plot.getAxis("bottom").setTicks([[(math.log10(f), f"{f // 1000}k" if f >= 1000 else str(f))
                                      for f in FREQUENCY_TICKS_HZ], []])
    restyle(plot)
    return plot


WARNING_COLOR = QColor("#f85149")         # the level meter's clip red

ALIGNMENT_TIPS = {
    "Delay vs first channel (ms)": "When the strongest source reaches this channel after the first (GCC-PHAT). "
                                   "An array's channels differ by at most its size over the speed of sound "
                                   "(0.29 ms for 10 cm); more means they were not recorded in step",
    "GCC-PHAT peak": "How clearly one delay aligns the channel with the first: 1 for a pure delay, near 0 for "
                     "unrelated signals",
    "Polarity": "Inverted: the channel's signal is upside down against the first (a microphone wired backwards)",
    "Drift (ppm)": "How fast the delay against the first channel grows, ± its standard error (the Delays panel's "
                   "measure): \"drifting\" when it parts the channels by a sample or more over the range and stands "
                   "clear of zero, as two recorders' clocks do",
}


class AnalysisPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lanes: list[LaneAnalysis] = []
        self.span = QLabel(HINT)
        self.span.setWordWrap(True)
        header = statistics_table([])[0]
        self.table = QTableWidget(0, len(header))
        self.table.setHorizontalHeaderLabels(header)
        for column, tip in ALIGNMENT_TIPS.items():
            self.table.horizontalHeaderItem(header.index(column)).setToolTip(tip)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.itemSelectionChanged.connect(self._emphasise_selected)
        QShortcut(QKeySequence.StandardKey.Copy, self.table, self.copy_table)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the table, tab-separated (also Ctrl+C in the table)")
        self.copy_button.clicked.connect(self.copy_table)
        self.save_button = QPushButton("Save CSV…")
        self.save_button.clicked.connect(lambda: ask_and_save_csv(self, "Save the levels as CSV", "levels.csv",
                                                                     self.save_csv, self.status))
        self.spectrum_button = QPushButton("Save spectrum CSV…")
        self.spectrum_button.clicked.connect(lambda: ask_and_save_csv(self, "Save the spectra as CSV", "spectrum.csv",
                                                                         self.save_spectrum_csv, self.status))
        for button in (self.copy_button, self.save_button, self.spectrum_button):
            button.setEnabled(False)             # until an analysis fills the panel
        self.status = QLabel()
        buttons = QHBoxLayout()
        for button in (self.copy_button, self.save_button, self.spectrum_button):
            buttons.addWidget(button)
        buttons.addWidget(self.status, 1)

        self.plot = spectrum_plot()
        self.curves: dict[int, pg.PlotDataItem] = {}      # table row -> its spectrum (the row's name is in its colour)
        self.readout = QLabel(" ")
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.span)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.plot, 2)
        layout.addWidget(self.readout)

    def set_result(self, lanes: list[LaneAnalysis], span: str) -> None:
        """Show an analysis; `span` says what was measured (the selection or the whole recording)."""
        self.lanes = lanes
        self.span.setText(span)
        header, *rows = statistics_table(lanes)
        self.table.setRowCount(len(rows))
        for r, (lane, row) in enumerate(zip(lanes, rows)):
            flagged = warnings(lane)
            for c, text in enumerate(row):
                item = QTableWidgetItem("—" if text == "" else text.replace("-inf", "−∞"))
                if header[c] in flagged:                # a problem to see at a glance, and why on hovering
                    item.setForeground(WARNING_COLOR)
                    item.setToolTip(flagged[header[c]])
                self.table.setItem(r, c, item)
            self.table.item(r, 0).setForeground(QColor(lane_color(r)))
        self.table.resizeColumnsToContents()
        self.copy_button.setEnabled(bool(lanes))
        self.save_button.setEnabled(bool(lanes))
        self.spectrum_button.setEnabled(any(lane.frequencies.size for lane in lanes))
        self.status.setText("" if self.spectrum_button.isEnabled() or not lanes else
                            "Too short for a spectrum: select at least 0.1 s.")
        self._draw_spectra()

    def _draw_spectra(self) -> None:
        self.plot.clear()
        self.curves = {}
        top = FLOOR_DB
        for k, lane in enumerate(self.lanes):
            if not lane.frequencies.size:
                continue
            shown = lane.frequencies > 0                 # a log axis has no 0 Hz
            level = np.maximum(lane.spectrum_db[shown], FLOOR_DB)
            top = max(top, float(level.max()))
            self.curves[k] = self.plot.plot(lane.frequencies[shown], level, pen=lane_pen(k, emphasised=True))
        if top > FLOOR_DB:
            self.plot.setYRange(max(FLOOR_DB, top - 100.0), top + 5.0, padding=0)
            self.plot.enableAutoRange(x=True)

    def _emphasise_selected(self) -> None:
        """Selected rows' spectra stand out and come to the front; none selected: all alike."""
        chosen = {index.row() for index in self.table.selectionModel().selectedRows()}
        for row, curve in self.curves.items():
            emphasised = not chosen or row in chosen
            curve.setPen(lane_pen(row, emphasised))
            curve.setZValue(1 if chosen and emphasised else 0)

    def _on_mouse_moved(self, position: QPointF) -> None:
        box = self.plot.getViewBox()
        if not self.lanes or not box.sceneBoundingRect().contains(position):
            self.readout.setText(" ")
            return
        point = box.mapSceneToView(position)
        hz = 10.0 ** point.x()
        self.readout.setText(f"{hz / 1000:.2f} kHz, {point.y():.1f} dB" if hz >= 1000 else
                             f"{hz:.0f} Hz, {point.y():.1f} dB")

    def copy_table(self) -> None:
        if self.lanes:
            QGuiApplication.clipboard().setText("\n".join("\t".join(row) for row in statistics_table(self.lanes)))
            self.status.setText("Copied.")

    def save_csv(self, path: str | Path) -> Path:
        """The levels table as CSV; ExportError naming the file when it cannot be written."""
        return write_csv(Path(path), statistics_table(self.lanes, decimals=4))

    def save_spectrum_csv(self, path: str | Path) -> Path:
        """The spectra, one column per lane; ExportError naming the file when it cannot be written."""
        return write_csv(Path(path), spectrum_table(lane_curves(self.lanes)))

