"""The DISPatch inspector: a teacher and any number of students side by side.

Column 0 shows the teacher's output and the clean target; each student column shows its
output and its knowledge-gap-score map, with the patches it was *not* distilled on dimmed, the
per-frame MSSP low/high split drawn (MSSP students), and per-band statistics under it. Every
pane shares one time and frequency range (linked) and one colour scale per row
(`ColorBarItem` bound to all images of the row): same colour, same dB or KGS everywhere.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.inspection import InspectorResult, StudentInspection
from app.gui.views.plot_style import plot_colors

DB_RANGE = 80.0                 # dB shown below the loudest bin of the teacher
SPLIT_COLOR = "#7fd18b"
DIMMED = (0, 0, 0, 170)         # patches not distilled
PANE_PIXELS = 190


def _image(values: np.ndarray, result: InspectorResult) -> pg.ImageItem:
    """`values` (bins, frames) as an image on seconds x Hz."""
    item = pg.ImageItem(np.ascontiguousarray(values.T), axisOrder="col-major")
    bins, frames = values.shape
    item.setRect(QRectF(0.0, -result.bin_hz / 2, frames * result.frame_seconds, bins * result.bin_hz))
    return item


def stats_text(student: StudentInspection) -> str:
    lines = [f"<b>{student.name}</b> <span style='color:#8a8c93'>{student.variant}</span>"]
    for band in student.bands:
        lines.append(f"{band.band} ({band.patch_bins} bins): kept {100 * band.kept_share:.0f} % of {band.patches}, "
                     f"mean KGS {band.mean_score:+.2e}, KGS&gt;0 {100 * band.positive_kept_share:.0f} % of kept")
    return "<br>".join(lines)


class InspectorView(QWidget):
    """Pick a teacher and students, then `inspect_requested(teacher, students)`; the window runs
    the job and hands the result to `show_result`."""

    inspect_requested = Signal(str, list)

    def __init__(self, teachers: list[str], students: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("DISPatch inspector")
        self.resize(1300, 760)
        self.result: InspectorResult | None = None
        self.teacher = QComboBox()
        self.teacher.addItems(teachers)
        self.students = QListWidget()
        self.students.setMaximumHeight(90)
        for name in students:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.students.addItem(item)
        self.inspect_button = QPushButton("Inspect")
        self.inspect_button.clicked.connect(self._on_inspect_clicked)
        self.inspect_button.setEnabled(bool(teachers) and bool(students))
        if not (teachers and students):
            self.inspect_button.setToolTip("Install a teacher and at least one student enhancement card")
        self.save_button = QPushButton("Save PNG…")
        self.save_button.clicked.connect(self._on_save_clicked)
        self.save_button.setEnabled(False)
        self.readout = QLabel(" ")
        self.status = QLabel("Choose a teacher and students, then Inspect. The clip is the A/B talker's latest "
                             "separated version (the selection, if any) against its clean reference.", wordWrap=True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground(plot_colors().background)
        self.plots.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._panes: list[tuple[pg.PlotItem, StudentInspection | None]] = []
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Teacher"))
        controls.addWidget(self.teacher)
        controls.addWidget(QLabel("Students"))
        controls.addWidget(self.students, 1)
        controls.addWidget(self.inspect_button)
        controls.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.readout)

    def chosen_students(self) -> list[str]:
        return [self.students.item(i).text() for i in range(self.students.count())
                if self.students.item(i).checkState() == Qt.CheckState.Checked]

    def _on_inspect_clicked(self) -> None:
        self.inspect_requested.emit(self.teacher.currentText(), self.chosen_students())

    def show_result(self, result: InspectorResult) -> None:
        self.result = result
        self.plots.clear()
        self._panes.clear()
        top = float(result.teacher_db.max())
        spec_levels = (top - DB_RANGE, top)
        scores = np.concatenate([np.abs(s.inspection.score_bins).ravel() for s in result.students])
        limit = float(np.percentile(scores, 99)) or 1e-12
        spec_images, score_images = [], []
        first: pg.ViewBox | None = None

        def pane(row: int, col: int, title: str, student: StudentInspection | None) -> pg.PlotItem:
            nonlocal first
            plot = self.plots.addPlot(row=row, col=col, title=f"<span style='color:{plot_colors().foreground}'>{title}</span>")
            plot.setMinimumHeight(PANE_PIXELS)
            plot.hideButtons()
            plot.setLabel("left", "Hz")
            plot.setLabel("bottom", "s")
            box = plot.getViewBox()
            if first is None:
                first = box
            else:
                box.setXLink(first)
                box.setYLink(first)
            self._panes.append((plot, student))
            return plot

        teacher_plot = pane(0, 0, f"teacher {result.teacher}", None)
        spec_images.append(_image(result.teacher_db, result))
        teacher_plot.addItem(spec_images[-1])
        clean_plot = pane(1, 0, "clean target", None)
        spec_images.append(_image(result.clean_db, result))
        clean_plot.addItem(spec_images[-1])
        for col, student in enumerate(result.students, start=1):
            inspection = student.inspection
            out = pane(0, col, f"student {student.name}", student)
            spec_images.append(_image(inspection.spectrograms_db["student"], result))
            out.addItem(spec_images[-1])
            kgs = pane(1, col, "knowledge gap score · kept patches", student)
            score_images.append(_image(inspection.score_bins, result))
            kgs.addItem(score_images[-1])
            overlay = np.zeros((*inspection.keep_bins.shape, 4), np.uint8)
            overlay[~inspection.keep_bins] = DIMMED
            dim = pg.ImageItem(np.ascontiguousarray(overlay.transpose(1, 0, 2)), axisOrder="col-major")
            dim.setRect(QRectF(0.0, -result.bin_hz / 2, inspection.keep_bins.shape[1] * result.frame_seconds,
                               inspection.keep_bins.shape[0] * result.bin_hz))
            kgs.addItem(dim)
            if len(inspection.grids) > 1:          # MSSP: the per-frame low/high split
                times = (np.arange(inspection.split_bin.shape[0]) + 0.5) * result.frame_seconds
                kgs.plot(times, inspection.split_bin * result.bin_hz, pen=pg.mkPen(SPLIT_COLOR, width=1.5))
            label = pg.LabelItem(stats_text(student), color=plot_colors().foreground, size="8pt", justify="left")
            self.plots.addItem(label, row=2, col=col)
        columns = len(result.students) + 1
        for col in range(columns):
            self.plots.ci.layout.setColumnStretchFactor(col, 1)     # teacher and students equally wide
        spec_bar = pg.ColorBarItem(values=spec_levels, colorMap=pg.colormap.get("magma"), label="dB",
                                   interactive=False, width=10)
        spec_bar.setImageItem(spec_images, insert_in=None)
        self.plots.addItem(spec_bar, row=0, col=columns)
        score_bar = pg.ColorBarItem(values=(-limit, limit), colorMap=pg.colormap.get("CET-D1"), label="KGS",
                                    interactive=False, width=10)
        score_bar.setImageItem(score_images, insert_in=None)
        self.plots.addItem(score_bar, row=1, col=columns)
        self.spec_levels, self.score_levels = spec_levels, (-limit, limit)
        self.save_button.setEnabled(True)
        self.status.setText(f"{len(result.students)} student(s) against {result.teacher}; dimmed patches were not "
                            "distilled; the green line is the MSSP low/high split.")

    def describe(self, plot: pg.PlotItem, student: StudentInspection | None, seconds: float, hz: float) -> str:
        """Hover text: time, frequency, and for a student its band and KGS there."""
        text = f"{seconds:.3f} s   {hz:.0f} Hz"
        if student is None or self.result is None:
            return text
        inspection = student.inspection
        frame = math.floor(seconds / self.result.frame_seconds)
        row = round(hz / self.result.bin_hz)
        bins, frames = inspection.score_bins.shape
        if not (0 <= frame < frames and 0 <= row < bins):
            return text
        band = "all" if len(inspection.grids) == 1 else ("low" if row <= inspection.split_bin[frame] else "high")
        kept = "kept" if inspection.keep_bins[row, frame] else "not kept"
        return f"{text}   {student.name}: band {band}, KGS {inspection.score_bins[row, frame]:+.3e} ({kept})"

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        for plot, student in self._panes:
            box = plot.getViewBox()
            if box.sceneBoundingRect().contains(scene_pos):
                point = box.mapSceneToView(scene_pos)
                self.readout.setText(self.describe(plot, student, point.x(), point.y()))
                return

    def save_png(self, path: str | Path) -> Path:
        path = Path(path)
        if not self.plots.grab().save(str(path)):
            raise OSError(f"{path} could not be written")
        return path

    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the inspector as PNG", "dispatch-inspector.png",
                                              "PNG images (*.png)")
        if path:
            try:
                self.save_png(path)
            except OSError as err:
                self.status.setText(f"{Path(path).name} could not be saved: {err}. Choose another folder.")
