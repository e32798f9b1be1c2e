"""The DISPatch inspector: a teacher and any number of students side by side.

Column 0 shows the teacher's output and the clean target; each student column shows its
output and its knowledge-gap-score map, with the patches it was *not* distilled on dimmed, the
per-frame MSSP low/high split drawn (MSSP students), and per-band statistics under it. Every
pane shares one time and frequency range (linked) and one colour scale per row (the same
levels and map on every image of the row, drawn once as a strip at its end): same colour, same
dB or KGS everywhere. Panes are built one per event-loop turn so the window never freezes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
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

SPECTROGRAM_MAP = "magma"
SCORE_MAP = "CET-D1"            # diverging: the sign of the knowledge gap matters
DB_RANGE = 80.0                 # dB shown below the loudest bin of the teacher
SPLIT_COLOR = "#7fd18b"
DIMMED = (0, 0, 0, 170)         # patches not distilled
PANE_PIXELS = 190
AXIS_PIXELS = 48
STATS_PIXELS = 240


def _lut(colormap: str) -> np.ndarray:
    return pg.colormap.get(colormap).getLookupTable(nPts=256)


def _image(values: np.ndarray, result: InspectorResult, levels: tuple[float, float], colormap: str) -> pg.ImageItem:
    """`values` (bins, frames) as an image on seconds x Hz, in the row's shared `levels` and map."""
    item = pg.ImageItem(np.ascontiguousarray(values.T), axisOrder="col-major", levels=levels, lut=_lut(colormap))
    bins, frames = values.shape
    item.setRect(QRectF(0.0, -result.bin_hz / 2, frames * result.frame_seconds, bins * result.bin_hz))
    item.render()               # colour-map now, in this pane's turn, not all at once in the first paint
    return item


def stats_text(student: StudentInspection) -> str:
    lines = [f"<b>{student.name}</b> <span style='color:#8a8c93'>{student.variant}</span>"]
    for band in student.bands:
        lines.append(f"{band.band} ({band.patch_bins} bins): kept {100 * band.kept_share:.0f} % of {band.patches}, "
                     f"mean KGS {band.mean_score:+.2e}, KGS&gt;0 {100 * band.positive_kept_share:.0f} % of kept")
    return "<br>".join(lines)


def _stats_label(student: StudentInspection) -> pg.LabelItem:
    """The per-band statistics, wrapped so that they never widen their column past the others."""
    label = pg.LabelItem(stats_text(student), color=plot_colors().foreground, size="8pt", justify="left")
    label.item.setTextWidth(STATS_PIXELS)
    label.updateMin()
    return label


class InspectorView(QWidget):
    """Pick a teacher and students, then `inspect_requested(teacher, students)`; the window runs
    the job and hands the result to `show_result`."""

    inspect_requested = Signal(str, list)

    def __init__(self, teachers: list[str], students: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("DISPatch inspector")
        self.resize(1300, 760)
        self.result: InspectorResult | None = None
        self.ready = False
        self.spec_levels = self.score_levels = (0.0, 1.0)
        self.spectrogram_images: list[pg.ImageItem] = []
        self.score_images: list[pg.ImageItem] = []
        self._build_id = 0
        self._first_box: pg.ViewBox | None = None
        self._columns: dict[int, list[pg.GraphicsObject]] = {}      # grid items by column, for the reveal
        self._extent = QRectF()
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
        self._panes: list[tuple[pg.ViewBox, StudentInspection | None]] = []
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
        """Draw `result` one pane per event-loop turn: building a dozen plots in one go would
        freeze the window for a quarter of a second. The grid is built unpainted and transparent
        (every pane added relays out and would repaint all the others), then revealed one column
        per turn, so that no turn paints more than a column. `ready` turns true when all is up."""
        self.result = result
        self._show_choice(result)
        self.plots.setUpdatesEnabled(False)
        self.plots.clear()
        self._panes.clear()
        self._columns.clear()
        self._first_box = None
        self._build_id += 1
        self.ready = False
        self.save_button.setEnabled(False)
        self.status.setText("Drawing…")
        top = float(result.teacher_db.max())
        self.spec_levels = (top - DB_RANGE, top)
        scores = np.concatenate([np.abs(s.inspection.score_bins).ravel() for s in result.students])
        limit = float(np.percentile(scores, 99)) or 1e-12
        self.score_levels = (-limit, limit)
        self.spectrogram_images, self.score_images = [], []
        bins, frames = result.teacher_db.shape
        self._extent = QRectF(0.0, -result.bin_hz / 2, frames * result.frame_seconds, bins * result.bin_hz)
        steps = [lambda: self._spectrogram_pane(0, 0, f"teacher {result.teacher}", result.teacher_db, None),
                 lambda: self._spectrogram_pane(1, 0, "clean target", result.clean_db, None)]
        for col, student in enumerate(result.students, start=1):
            steps += [lambda c=col, s=student: self._spectrogram_pane(0, c, f"student {s.name}",
                                                                      s.inspection.spectrograms_db["student"], s),
                      lambda c=col, s=student: self._score_pane(c, s),
                      lambda c=col, s=student: self._add(_stats_label(s), row=2, col=c)]
        bars = len(result.students) + 1
        steps += [lambda: self._color_bar(0, self.spec_levels, SPECTROGRAM_MAP, "dB"),
                  lambda: self._color_bar(1, self.score_levels, SCORE_MAP, "KGS"),
                  self._arrange, lambda: self.plots.setUpdatesEnabled(True)]
        steps += [lambda c=col: self._reveal(c) for col in range(bars + 1)]
        steps += [self._finish]
        self._run_steps(self._build_id, steps)

    def _show_choice(self, result: InspectorResult) -> None:
        """The teacher box and the students' checks say what is drawn, however the run was started."""
        self.teacher.setCurrentText(result.teacher)
        shown = {s.name for s in result.students}
        for i in range(self.students.count()):
            item = self.students.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in shown else Qt.CheckState.Unchecked)

    def _add(self, item: pg.GraphicsObject, row: int, col: int) -> None:
        """Put `item` in the grid, transparent (not painted) until its column is revealed."""
        item.setOpacity(0.0)
        self.plots.addItem(item, row=row, col=col)
        self._columns.setdefault(col, []).append(item)

    def _reveal(self, col: int) -> None:
        for item in self._columns.get(col, []):
            item.setOpacity(1.0)

    def _run_steps(self, build_id: int, steps: list) -> None:
        if build_id != self._build_id:          # a newer result replaced this one
            return
        steps[0]()
        if len(steps) > 1:
            QTimer.singleShot(0, lambda: self._run_steps(build_id, steps[1:]))

    def _pane(self, row: int, col: int, title: str, student: StudentInspection | None) -> pg.ViewBox:
        """A title over a view box, with a frequency axis in the first column and a time axis in
        the bottom row only (all boxes are linked). Lighter than a PlotItem, whose menus and
        four axes cost the GUI thread tens of milliseconds each."""
        pane = pg.GraphicsLayout()
        pane.setContentsMargins(0, 0, 0, 0)
        pane.setSpacing(0)
        pane.addLabel(title, row=0, col=1, color=plot_colors().foreground, size="9pt")
        box = pg.ViewBox(enableMenu=False, defaultPadding=0.0)
        box.setMinimumHeight(PANE_PIXELS)
        box.setRange(rect=self._extent, padding=0.0)       # fixed: no auto-range ripple across the links
        pane.addItem(box, row=1, col=1)
        if col == 0:
            axis = pg.AxisItem("left")
            axis.setLabel("frequency (Hz)", color=plot_colors().foreground)
            axis.setWidth(AXIS_PIXELS + 12)     # fixed: a width that follows the tick labels relays out the grid
            axis.linkToView(box)
            pane.addItem(axis, row=1, col=0)
        if row == 1:
            axis = pg.AxisItem("bottom")
            axis.setLabel("time (s)", color=plot_colors().foreground)
            axis.setHeight(AXIS_PIXELS)
            axis.linkToView(box)
            pane.addItem(axis, row=2, col=1)
        self._add(pane, row, col)
        if self._first_box is None:
            self._first_box = box
        else:
            box.setXLink(self._first_box)
            box.setYLink(self._first_box)
        self._panes.append((box, student))
        return box

    def _spectrogram_pane(self, row: int, col: int, title: str, db: np.ndarray,
                          student: StudentInspection | None) -> None:
        image = _image(db, self.result, self.spec_levels, SPECTROGRAM_MAP)
        self.spectrogram_images.append(image)
        self._pane(row, col, title, student).addItem(image)

    def _score_pane(self, col: int, student: StudentInspection) -> None:
        result, inspection = self.result, student.inspection
        kgs = self._pane(1, col, "knowledge gap score · kept patches", student)
        image = _image(inspection.score_bins, result, self.score_levels, SCORE_MAP)
        self.score_images.append(image)
        kgs.addItem(image)
        overlay = np.zeros((*inspection.keep_bins.shape, 4), np.uint8)
        overlay[~inspection.keep_bins] = DIMMED
        dim = pg.ImageItem(np.ascontiguousarray(overlay.transpose(1, 0, 2)), axisOrder="col-major")
        dim.setRect(QRectF(0.0, -result.bin_hz / 2, inspection.keep_bins.shape[1] * result.frame_seconds,
                           inspection.keep_bins.shape[0] * result.bin_hz))
        kgs.addItem(dim)
        if len(inspection.grids) > 1:          # MSSP: the per-frame low/high split
            times = (np.arange(inspection.split_bin.shape[0]) + 0.5) * result.frame_seconds
            kgs.addItem(pg.PlotCurveItem(times, inspection.split_bin * result.bin_hz,
                                         pen=pg.mkPen(SPLIT_COLOR, width=1.5)))

    def _color_bar(self, row: int, levels: tuple[float, float], colormap: str, label: str) -> None:
        """The row's colour scale: a gradient strip over `levels` with its axis (every image of the
        row has these levels and this map; a ColorBarItem would be a whole PlotItem)."""
        lut = _lut(colormap)
        low, high = levels
        strip = pg.ImageItem(lut[np.newaxis, :, :3].copy(), axisOrder="col-major")
        strip.setRect(QRectF(0.0, low, 1.0, high - low))
        bar = pg.GraphicsLayout()
        box = pg.ViewBox(enableMenu=False, enableMouse=False, defaultPadding=0.0)
        box.setFixedWidth(12)
        box.addItem(strip)
        box.setRange(xRange=(0.0, 1.0), yRange=levels, padding=0.0)
        axis = pg.AxisItem("right")
        axis.setLabel(label, color=plot_colors().foreground)
        axis.setWidth(AXIS_PIXELS + 12)
        axis.linkToView(box)
        bar.addItem(box, row=0, col=0)
        bar.addItem(axis, row=0, col=1)
        self._add(bar, row, len(self.result.students) + 1)

    def _arrange(self) -> None:
        for col in range(len(self.result.students) + 1):
            self.plots.ci.layout.setColumnStretchFactor(col, 1)     # teacher and students equally wide
        self.plots.ci.layout.activate()

    def _finish(self) -> None:
        self.ready = True
        self.save_button.setEnabled(True)
        self.status.setText(f"{len(self.result.students)} student(s) against {self.result.teacher}; dimmed patches "
                            "were not distilled; the green line is the MSSP low/high split.")

    def describe(self, student: StudentInspection | None, seconds: float, hz: float) -> str:
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
        for box, student in self._panes:
            if box.sceneBoundingRect().contains(scene_pos):
                point = box.mapSceneToView(scene_pos)
                self.readout.setText(self.describe(student, point.x(), point.y()))
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
