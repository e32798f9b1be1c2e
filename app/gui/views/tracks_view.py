"""Versions as tracks under the recording: one spectrogram per visible version on the
recording's time axis (x-linked), with the same playhead, selection and colour scale.

A version's image is computed once for its whole length, off the GUI thread, at a fixed width
(`TRACK_COLUMNS`): versions are read-only, so the image never goes stale.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QRectF, QTimer, Signal

from app.engine.files import ArraySource
from app.engine.documents import Version
from app.engine.jobs import Job, Progress
from app.engine.spectrogram import SpectrogramSettings, compute_image, to_color_indices
from app.gui.views.recording_view import (
    BACKGROUND,
    FOREGROUND,
    PLAYHEAD_COLOR,
    SELECTION_BRUSH,
    color_map,
)
from app.gui.views.time_view_box import TimeViewBox
from app.gui.workers import JobWorker

TRACK_COLUMNS = 2400
TRACK_ROWS = 192
TRACK_PIXELS = 88
ACTIVE_COLOR = "#ffd24a"
EMPTY_HINT = "Versions appear here: Process ▸ Separate talkers (Ctrl+R), then Correct with MeCo (Ctrl+M)."


def track_images_job(versions: list[Version], settings: SpectrogramSettings) -> Job[dict[str, tuple[np.ndarray, float]]]:
    """Per version id: uint8 colour indices `(columns, rows)` and the seconds they span; one
    version per step."""
    images: dict[str, tuple[np.ndarray, float]] = {}
    for done, version in enumerate(versions, start=1):
        source = ArraySource(version.audio[None], version.sample_rate, version.name)
        image = compute_image(source, 0, source.frames, TRACK_COLUMNS, settings, TRACK_ROWS)  # type: ignore[arg-type]
        images[version.id] = (to_color_indices(image.level_db[0], settings.floor_db, settings.ceiling_db),
                              image.columns * image.stride / version.sample_rate)
        yield Progress("draw", done, len(versions))
    return images


class TracksView(pg.GraphicsLayoutWidget):
    """Rows of version spectrograms; `seek_requested` in seconds like the recording view."""

    seek_requested = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground(BACKGROUND)
        self.ci.layout.setSpacing(2)
        self.ci.setContentsMargins(0, 0, 0, 4)
        self.settings = SpectrogramSettings()
        self.versions: list[Version] = []
        self.images: dict[str, tuple[np.ndarray, float]] = {}
        self.active_id: str | None = None
        self._link: pg.ViewBox | None = None
        self._plots: dict[str, pg.PlotItem] = {}
        self._labels: dict[str, pg.LabelItem] = {}
        self._items: dict[str, pg.ImageItem] = {}
        self._playheads: list[pg.InfiniteLine] = []
        self._regions: list[pg.LinearRegionItem] = []
        self._workers: list[JobWorker] = []
        self._playhead = 0.0
        self._selection: tuple[float, float] | None = None
        self._pending: list[Version] = []
        self._syncing = False
        self._row_timer = QTimer(self, singleShot=True, interval=0)
        self._row_timer.timeout.connect(self._add_next_row)

    def link_to(self, box: pg.ViewBox | None) -> None:
        """Follow `box`'s time range (the recording view's first plot) and its pixel columns:
        a time sits at the same screen x in the tracks as in the channels above."""
        if self._link is not None and shiboken6.isValid(self._link):   # a closed file's plots are gone
            self._link.sigResized.disconnect(self._align)
            self._link.sigXRangeChanged.disconnect(self._follow)
        self._link = box
        if box is not None:
            box.sigResized.connect(self._align)
            box.sigXRangeChanged.connect(self._follow)
            self._align()
            self._follow()

    def _follow(self, *_: object) -> None:
        """Copy the recording's time range (pyqtgraph's setXLink aligns by scene position,
        which means nothing between two widgets)."""
        if self._link is None or not shiboken6.isValid(self._link):
            return
        left, right = self._link.viewRange()[0]
        self._syncing = True
        for plot in self._plots.values():
            plot.getViewBox().setXRange(left, right, padding=0)
        self._syncing = False

    def _on_track_range_changed(self, box: pg.ViewBox) -> None:
        """Zooming or panning on a track moves the recording, which moves every track."""
        if self._syncing or self._link is None or not shiboken6.isValid(self._link):
            return
        left, right = box.viewRange()[0]
        if (left, right) != tuple(self._link.viewRange()[0]):
            self._link.setXRange(left, right, padding=0)

    def _align(self, *_: object) -> None:
        box = getattr(self, "_link", None)          # resize events arrive during __init__
        if box is None or not shiboken6.isValid(box) or box.scene() is None or not box.scene().views():
            return
        other = box.scene().views()[0]
        rect = other.mapFromScene(box.sceneBoundingRect()).boundingRect()
        left = other.mapToGlobal(rect.topLeft()).x() - self.mapToGlobal(self.rect().topLeft()).x()
        right = self.mapToGlobal(self.rect().topRight()).x() - other.mapToGlobal(rect.topRight()).x()
        margins = (max(0, left), 0, max(0, right), 4)
        if self.ci.layout.getContentsMargins() != margins:
            self.ci.setContentsMargins(*margins)
            self.resizeEvent(None)       # re-fit the layout to the widget (as RecordingView does)

    def paintEvent(self, ev) -> None:
        """Docks and splitters move either view without resizing the other: check on every paint
        (a few coordinate mappings; a change re-lays out once)."""
        self._align()
        super().paintEvent(ev)

    def set_settings(self, settings: SpectrogramSettings) -> None:
        self.settings = settings
        self.images.clear()
        self.set_versions(self.versions)

    def set_versions(self, versions: list[Version]) -> None:
        """Show `versions` (the visible ones, in order); images missing are computed.

        Versions appended to those shown get new rows, one per event-loop turn (a row costs
        ~10 ms of pyqtgraph set-up; the GUI must never stall 50 ms); any other change rebuilds.
        """
        shown = [v.id for v in self.versions]
        appended = [v.id for v in versions[:len(shown)]] == shown and bool(shown)
        self.versions = list(versions)
        if appended:
            self._pending = [v for v in versions[len(shown):] if v.id not in self._plots]
        else:
            self.ci.clear()
            self._plots.clear(), self._labels.clear(), self._items.clear()
            self._playheads.clear(), self._regions.clear()
            self._pending = list(self.versions)
            if not self.versions:
                self.ci.addItem(pg.LabelItem(EMPTY_HINT, color="#8a8c93", size="10pt"), row=0, col=0)
        self._refresh_labels()
        self.setMinimumHeight(max(1, len(self.versions)) * (TRACK_PIXELS + 22))
        self._row_timer.start()
        missing = [v for v in self.versions if v.id not in self.images]
        if missing:
            worker = JobWorker(track_images_job(missing, self.settings))
            worker.finished.connect(self._on_images)
            self._workers.append(worker)
            worker.start()

    def _add_next_row(self) -> None:
        if not self._pending:
            return
        version = self._pending.pop(0)
        if version in self.versions and version.id not in self._plots:
            self._add_row(version)
        if self._pending:
            self._row_timer.start()

    def _add_row(self, version: Version) -> None:
        row = len(self._plots)
        lut = color_map(self.settings.colormap).getLookupTable(0.0, 1.0, 256, alpha=False)
        label = pg.LabelItem("", color=FOREGROUND, size="9pt", justify="left")
        self.ci.addItem(label, row=2 * row, col=0)
        box = TimeViewBox()
        plot = pg.PlotItem(viewBox=box)
        plot.hideButtons()
        plot.hideAxis("bottom")
        plot.hideAxis("left")
        plot.layout.setContentsMargins(0, 0, 0, 0)
        plot.setFixedHeight(TRACK_PIXELS)
        plot.setYRange(0, 1, padding=0)
        box.setLimits(yMin=0, yMax=1)
        box.setMouseEnabled(x=True, y=False)
        box.clicked.connect(self.seek_requested)
        item = pg.ImageItem(axisOrder="col-major")
        item.setLookupTable(lut)
        plot.addItem(item)
        head = pg.InfiniteLine(self._playhead, angle=90, pen=pg.mkPen(PLAYHEAD_COLOR, width=1.5), movable=False)
        head.setZValue(10)
        region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(*SELECTION_BRUSH),
                                     pen=pg.mkPen(PLAYHEAD_COLOR, width=0.5))
        region.setVisible(self._selection is not None)
        if self._selection is not None:
            region.setRegion(self._selection)
        plot.addItem(region)
        plot.addItem(head)
        self.ci.addItem(plot, row=2 * row + 1, col=0)
        if self._link is not None:
            box.setLimits(xMin=0, xMax=self._link.state["limits"]["xLimits"][1])
            left, right = self._link.viewRange()[0]
            box.setXRange(left, right, padding=0)
        box.sigXRangeChanged.connect(self._on_track_range_changed)
        self._plots[version.id], self._labels[version.id], self._items[version.id] = plot, label, item
        self._playheads.append(head)
        self._regions.append(region)
        self._show_image(version.id)
        self._refresh_labels()
        self.resizeEvent(None)           # a new row grows the layout past the widget until re-fitted

    def _on_images(self, images: dict[str, tuple[np.ndarray, float]]) -> None:
        self._workers = [w for w in self._workers if w.running]
        self.images.update(images)
        for version_id in images:
            self._show_image(version_id)

    def _show_image(self, version_id: str) -> None:
        found, item = self.images.get(version_id), self._items.get(version_id)
        if found is None or item is None:
            return
        colors, width_seconds = found
        item.setImage(colors, levels=(0, 255), autoLevels=False)
        item.setRect(QRectF(0.0, 0.0, width_seconds, 1.0))

    @property
    def up_to_date(self) -> bool:
        """Every version has its row and its image."""
        return not self._pending and all(v.id in self.images and v.id in self._plots for v in self.versions)

    def row_span(self, version_id: str | None) -> tuple[int, int] | None:
        """(top, bottom) pixels of a version's label and spectrogram in this widget; None if not shown."""
        if version_id not in self._plots:
            return None
        top = self._labels[version_id].sceneBoundingRect().top()
        bottom = self._plots[version_id].sceneBoundingRect().bottom()
        return int(self.mapFromScene(0, top).y()), int(self.mapFromScene(0, bottom).y())

    def set_active(self, version_id: str | None) -> None:
        """Mark the version A/B plays now."""
        self.active_id = version_id
        self._refresh_labels()

    def _refresh_labels(self) -> None:
        for version in self.versions:
            if version.id not in self._labels:
                continue
            active = version.id == self.active_id
            color = ACTIVE_COLOR if active else FOREGROUND
            marker = "▶ " if active else ""
            self._labels[version.id].setText(
                f"<span style='color:{color}'>{marker}<b>{version.name}</b></span>"
                f"<span style='color:#8a8c93'>   {version.model} · {version.device} · {version.created[11:16]} UTC</span>")

    def set_playhead(self, seconds: float) -> None:
        self._playhead = seconds
        for head in self._playheads:
            head.setValue(seconds)

    def set_selection(self, selection: tuple[float, float] | None) -> None:
        self._selection = selection
        for region in self._regions:
            region.setVisible(selection is not None)
            if selection is not None:
                region.setRegion(selection)

    def close_workers(self) -> None:
        for worker in self._workers:
            worker.cancel()
            worker.wait()
        self._workers.clear()
