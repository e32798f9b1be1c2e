"""Metrics per version: a table and a bar chart of one metric at a time.

SI-SDR, PESQ-WB and ESTOI need the talker's clean reference (the demo recordings ship theirs;
File ▸ Load clean reference for others); without one, DNSMOS alone. The numbers leave the app with
Copy (tab-separated, pastes into a spreadsheet) or Save CSV, at four decimals.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.export import write_csv
from app.engine.workflow import METRIC_LABELS as COLUMNS
from app.engine.workflow import MetricsRow, metrics_table
from app.gui.views.csv_saving import ask_and_save_csv
from app.gui.views.plot_style import restyle

BAR_COLOR = "#6fb3e8"
WHISKER_COLOR = "#dcdde1"      # 95 % CI over labels


class MetricsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[MetricsRow] = []
        self.where = ""                     # what the rows were scored over, in words
        self.table = QTableWidget(0, len(COLUMNS) + 1)
        self.table.setHorizontalHeaderLabels(["Version", *COLUMNS.values()])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.metric = QComboBox()
        for key, label in COLUMNS.items():
            self.metric.addItem(label, key)
        self.metric.currentIndexChanged.connect(self._draw_chart)
        self.chart = pg.PlotWidget()
        self.chart.setMinimumHeight(150)
        restyle(self.chart)
        self.chart.setMouseEnabled(x=False, y=False)
        self.chart.hideButtons()
        self.hint = QLabel("Process ▸ Evaluate versions computes the metrics.")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the table, tab-separated, four decimals (also Ctrl+C in the table)")
        self.copy_button.clicked.connect(self.copy_table)
        self.save_button = QPushButton("Save CSV…")
        self.save_button.clicked.connect(self._on_save_clicked)
        for button in (self.copy_button, self.save_button):
            button.setEnabled(False)             # until an evaluation fills the table
        QShortcut(QKeySequence.StandardKey.Copy, self.table, self.copy_table)
        self.status = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.status, 1)
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Chart"))
        chooser.addWidget(self.metric, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addLayout(chooser)
        layout.addWidget(self.chart, 1)

    def set_rows(self, rows: list[MetricsRow], with_reference: bool, where: str = "over the whole recording") -> None:
        self.rows, self.where = rows, where
        self.hint.setText(f"Against the clean references, {where}." if with_reference else
                          f"DNSMOS only, {where}: no clean reference loaded (File ▸ Load clean reference…).")
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(row.title))
            for c, key in enumerate(COLUMNS, start=1):
                self.table.setItem(r, c, self._cell(row, key))
        self.table.resizeColumnsToContents()
        for button in (self.copy_button, self.save_button):
            button.setEnabled(bool(rows))
        self.status.clear()
        available = [k for k in COLUMNS if any(k in row.values for row in rows)]
        if available and self.metric.currentData() not in available:
            self.metric.setCurrentIndex(self.metric.findData(available[0]))
        self._draw_chart()

    @staticmethod
    def _cell(row: MetricsRow, key: str) -> QTableWidgetItem:
        """A value, ± its CI's half-width over labels; a difference signed, and bold where its
        paired CI leaves out zero (the run changed that metric beyond the labels' spread)."""
        value, spread = row.values.get(key), row.half_widths.get(key, math.nan)
        if value is None or math.isnan(value):
            return QTableWidgetItem("—")
        sign = "+" if row.baseline else ""
        item = QTableWidgetItem(f"{value:{sign}.2f}" if math.isnan(spread) else f"{value:{sign}.2f} ± {spread:.2f}")
        if row.baseline and abs(value) > spread:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            item.setToolTip(f"The paired 95 % CI ({value - spread:+.2f} to {value + spread:+.2f}) leaves out zero.")
        return item

    def copy_table(self) -> None:
        if self.rows:
            QGuiApplication.clipboard().setText("\n".join("\t".join(line) for line in metrics_table(self.rows)))
            self.status.setText("Copied.")

    def save_csv(self, path: str | Path) -> Path:
        """The table as CSV; ExportError naming the file when it cannot be written."""
        return write_csv(Path(path), metrics_table(self.rows))

    def _on_save_clicked(self) -> None:
        ask_and_save_csv(self, "Save the metrics as CSV", "metrics.csv", self.save_csv, self.status)

    def _draw_chart(self) -> None:
        self.chart.clear()
        key = self.metric.currentData()
        means = [row for row in self.rows if row.labels and not row.baseline]   # over labels: means, with CIs
        charted = means or self.rows
        values = [row.values.get(key, math.nan) for row in charted]
        shown = [(i, v) for i, v in enumerate(values) if not math.isnan(v)]
        if not shown:
            return
        rows, widths = np.array([i for i, _ in shown], float), np.array([v for _, v in shown])
        # horizontal bars: version names stay readable in a narrow dock; first row on top
        self.chart.addItem(pg.BarGraphItem(x0=np.minimum(widths, 0), y=rows, width=np.abs(widths), height=0.6,
                                           brush=BAR_COLOR))
        spread = np.array([charted[int(i)].half_widths.get(key, math.nan) for i in rows])
        if np.isfinite(spread).any():
            self.chart.addItem(pg.ErrorBarItem(x=widths, y=rows, left=np.nan_to_num(spread),
                                               right=np.nan_to_num(spread), beam=0.25, pen=pg.mkPen(WHISKER_COLOR)))
        self.chart.getAxis("left").setTicks([[(i, charted[i].title) for i, _ in shown]])
        self.chart.getViewBox().invertY(True)
        self.chart.setLabel("bottom", COLUMNS[key])
