"""Versions as tracks under the recording: one spectrogram per visible version on the
recording's time axis (x-linked), with the same playhead, selection and colour scale. Each
track has its own frequency axis: a version's image spans its own Nyquist frequency (a 16 kHz
separator output under a 48 kHz recording reaches 8 kHz, not 24).

A version's overview image is computed once for its whole length, off the GUI thread, at a
fixed width (`TRACK_COLUMNS`): versions are read-only, so it never goes stale. Zoomed in past
that resolution, a detail image of the visible range at the view's pixel width is drawn over it
(computed in a worker after the range settles), so a track is as sharp as the recording above.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QPointF, QRectF, QTimer, Signal

from app.engine.documents import Version
from app.engine.files import ArraySource
from app.engine.jobs import Job, Progress
from app.engine.pitch import PitchTrack
from app.engine.spectrogram import SpectrogramSettings, compute_image, level_of_color_index, to_color_indices
from app.engine.spectrogram import FrequencyAxis
from app.engine.timecode import format_duration
from app.gui.views.axes import AXIS_PIXELS, FrequencyAxisItem, format_hz
from app.gui.views.pitch_curve import PitchCurve
from app.gui.views.plot_style import plot_colors
from app.gui.views.recording_view import (
    PLAYHEAD_COLOR,
    SELECTION_BRUSH,
    BandArea,
    color_map,
)
from app.gui.views.time_view_box import TimeViewBox
from app.gui.workers import JobWorker, WorkerSet

TRACK_COLUMNS = 2400
TRACK_ROWS = 192
TRACK_PIXELS = 88
DETAIL_DELAY_MS = 120       # the range must rest this long before a detail image is computed
ACTIVE_COLOR = "#ffd24a"
EMPTY_HINT = "Versions appear here: Process ▸ Separate talkers (Ctrl+R), then Correct with MeCo (Ctrl+M)."


def track_images_job(versions: list[Version], settings: SpectrogramSettings
                     ) -> Job[dict[str, tuple[np.ndarray, float]]]:
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


def track_details_job(versions: list[Version], start_seconds: float, stop_seconds: float, columns: int,
                      settings: SpectrogramSettings) -> Job[dict[str, tuple[np.ndarray, float, float]]]:
    """Per version id: colour indices of `[start, stop)` seconds at `columns`, with the start and
    the span in seconds; one version per step."""
    details: dict[str, tuple[np.ndarray, float, float]] = {}
    for done, version in enumerate(versions, start=1):
        rate = version.sample_rate
        start = max(0, math.floor(start_seconds * rate))
        stop = min(version.audio.shape[0], math.ceil(stop_seconds * rate))
        if stop - start >= 2:
            source = ArraySource(version.audio[None], rate, version.name)
            image = compute_image(source, start, stop, columns, settings, TRACK_ROWS)  # type: ignore[arg-type]
            details[version.id] = (to_color_indices(image.level_db[0], settings.floor_db, settings.ceiling_db),
                                   image.start_frame / rate, image.columns * image.stride / rate)
        yield Progress("draw detail", done, len(versions))
    return details


class TracksView(pg.GraphicsLayoutWidget):
    """Rows of version spectrograms; `seek_requested` in seconds like the recording view; a
    double-click on a row asks to listen to that version (`listen_requested`)."""

    seek_requested = Signal(float)
    listen_requested = Signal(str)  # version id
    context_requested = Signal(str, object)   # version id, screen position: a right click on its track
    drag_selected = Signal(float, float, bool, object)   # anchor, current seconds, finished, band (Hz) or None
    rows_ready = Signal()           # every version shown has its row (background work may start)
    cursor_info = Signal(str)       # what lies under the mouse on a track: time, frequency, level, F0
    hover_time = Signal(float)      # seconds under the mouse on a track

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground(plot_colors().background)
        self.ci.layout.setSpacing(2)
        self.ci.setContentsMargins(0, 0, 0, 4)
        self.settings = SpectrogramSettings()
        self.versions: list[Version] = []
        self.images: dict[str, tuple[np.ndarray, float]] = {}
        self.active_id: str | None = None
        self._link: pg.ViewBox | None = None
        self._plots: dict[str, TimeViewBox] = {}   # one bare view box per row: no axes or menus to build
        self._labels: dict[str, pg.LabelItem] = {}
        self._axes: dict[str, FrequencyAxisItem] = {}
        self._items: dict[str, pg.ImageItem] = {}
        self._detail_items: dict[str, pg.ImageItem] = {}
        self.details: dict[str, tuple[np.ndarray, float, float]] = {}   # version id -> (colors, start, span)
        self._detail_worker: JobWorker | None = None
        self._detail_timer = QTimer(self, singleShot=True, interval=DETAIL_DELAY_MS)
        self._detail_timer.timeout.connect(self._request_details)
        self._playheads: list[pg.InfiniteLine] = []
        self._regions: dict[str, pg.LinearRegionItem] = {}
        self._areas: dict[str, BandArea] = {}
        self._pitch_curves: dict[str, PitchCurve] = {}
        self.pitch: dict[str, PitchTrack] = {}     # version id -> its F0 track (View ▸ Pitch track), drawn on its row
        self._workers = WorkerSet()
        self._playhead = 0.0
        self._selection: tuple[float, float] | None = None
        self._band: tuple[float, float] | None = None
        self._pending: list[Version] = []
        self._syncing = False
        self._row_timer = QTimer(self, singleShot=True, interval=0)
        self._row_timer.timeout.connect(self._add_next_row)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

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
        for box in self._plots.values():
            box.setXRange(left, right, padding=0)
        self._syncing = False
        self._detail_timer.start()

    def _visible(self) -> tuple[float, float, int] | None:
        """(left, right) seconds in view and the plots' width in pixels; None without rows."""
        if not self._plots:
            return None
        box = next(iter(self._plots.values()))
        (left, right), width = box.viewRange()[0], int(box.width())
        return (max(0.0, left), right, width) if right > left and width > 0 else None

    def needs_detail(self) -> bool:
        """True when some overview in view is coarser than both a screen pixel and the STFT hop
        (below the hop no image gets sharper)."""
        visible = self._visible()
        if visible is None:
            return False
        left, right, width = visible
        per_pixel = (right - left) / width
        for version in self.versions:
            if version.id in self.images:
                colors, span = self.images[version.id]
                finest = self.settings.hop / version.sample_rate
                if span / max(1, colors.shape[0]) > 1.5 * max(per_pixel, finest):
                    return True
        return False

    def _request_details(self) -> None:
        """Compute detail images for the range in view (replacing any older request), or hide
        them when the overview is sharp enough."""
        if self._detail_worker is not None:
            self._detail_worker.cancel()
            self._detail_worker = None
        if not self.needs_detail():
            self.details.clear()
            for item in self._detail_items.values():
                item.setVisible(False)
            return
        left, right, width = self._visible()  # type: ignore[misc]
        pad = 0.25 * (right - left)          # a little either side: small pans stay sharp
        worker = JobWorker(track_details_job(list(self.versions), left - pad, right + pad,
                                             round(1.5 * width), self.settings))
        worker.finished.connect(lambda details, w=worker: self._on_details(w, details))
        self._detail_worker = self._workers.start(worker)

    def _on_details(self, worker: JobWorker, details: dict[str, tuple[np.ndarray, float, float]]) -> None:
        if worker is not self._detail_worker:
            return                           # an older range: a newer request replaced it
        self._detail_worker = None
        self.details = details
        for version_id in self._plots:
            self._show_detail(version_id)

    def _show_detail(self, version_id: str) -> None:
        item, found = self._detail_items.get(version_id), self.details.get(version_id)
        if item is None:
            return
        item.setVisible(found is not None)
        if found is not None:
            colors, start, span = found
            item.setImage(colors, levels=(0, 255), autoLevels=False)
            item.setRect(QRectF(start, 0.0, span, 1.0))

    @property
    def details_up_to_date(self) -> bool:
        """No detail computation pending (for tests and screenshots)."""
        return not self._detail_timer.isActive() and self._detail_worker is None

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
        left -= AXIS_PIXELS + self.ci.layout.horizontalSpacing()     # the tracks' own frequency axes
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
        self.details.clear()
        for version in self.versions:
            if version.id in self._axes:
                axis = FrequencyAxis.for_settings(settings, version.sample_rate)
                self._axes[version.id].set_axis(axis)
                self._pitch_curves[version.id].set_axis(axis)
        self.set_selection(self._selection, self._band)          # an area moves with a new frequency scale
        self.set_versions(self.versions)
        self._detail_timer.start()

    def set_versions(self, versions: list[Version]) -> None:
        """Show `versions` (the visible ones, in order); images missing are computed.

        Versions appended to those shown get new rows, one per event-loop turn (a row costs
        ~10 ms of pyqtgraph set-up; the GUI must never stall 50 ms); any other change rebuilds.
        Images are computed once the rows are built: a worker running meanwhile competes for the
        GIL and the cores and stretches each row's set-up several times over.
        """
        shown = [v.id for v in self.versions]
        appended = [v.id for v in versions[:len(shown)]] == shown and bool(shown)
        self.versions = list(versions)
        if appended:
            self._pending = [v for v in versions if v.id not in self._plots]     # rows still to build stay due
        else:
            self.ci.clear()
            self._plots.clear(), self._labels.clear(), self._items.clear(), self._detail_items.clear()
            self._axes.clear()
            self._playheads.clear(), self._regions.clear(), self._areas.clear(), self._pitch_curves.clear()
            self._pending = list(self.versions)
            if not self.versions:
                self.ci.addItem(pg.LabelItem(EMPTY_HINT, color="#8a8c93", size="10pt"), row=0, col=0)
        self.refresh_labels()
        self.setMinimumHeight(max(1, len(self.versions)) * (TRACK_PIXELS + 22))
        self._row_timer.start()

    def _add_next_row(self) -> None:
        if self._pending:
            version = self._pending.pop(0)
            if version in self.versions and version.id not in self._plots:
                self._add_row(version)
        if self._pending:
            self._row_timer.start()
            return
        missing = [v for v in self.versions if v.id not in self.images]
        if missing:
            worker = JobWorker(track_images_job(missing, self.settings))
            worker.finished.connect(self._on_images)
            self._workers.start(worker)
        self.rows_ready.emit()

    @property
    def rows_pending(self) -> bool:
        return bool(self._pending) or self._row_timer.isActive()

    def _add_row(self, version: Version) -> None:
        row = len(self._plots)
        lut = color_map(self.settings.colormap).getLookupTable(0.0, 1.0, 256, alpha=False)
        label = pg.LabelItem("", color=plot_colors().foreground, size="9pt", justify="left")
        self.ci.addItem(label, row=2 * row, col=1)
        box = TimeViewBox(areas=True)
        box.setFixedHeight(TRACK_PIXELS)
        axis = FrequencyAxisItem()
        frequencies = FrequencyAxis.for_settings(self.settings, version.sample_rate)
        axis.set_axis(frequencies)
        axis.setPen(pg.mkPen(plot_colors().foreground))
        axis.setTextPen(pg.mkPen(plot_colors().foreground))
        axis.setFixedHeight(TRACK_PIXELS)            # as tall as its box, so the ticks sit on the image
        axis.linkToView(box)
        self.ci.addItem(axis, row=2 * row + 1, col=0)
        self._axes[version.id] = axis
        box.setYRange(0, 1, padding=0)
        box.setLimits(yMin=0, yMax=1)
        box.clicked.connect(self.seek_requested)
        box.double_clicked.connect(lambda _seconds, version_id=version.id: self.listen_requested.emit(version_id))
        box.context_clicked.connect(lambda where, version_id=version.id: self.context_requested.emit(version_id, where))
        box.dragged.connect(lambda anchor, current, finished: self.drag_selected.emit(anchor, current, finished, None))
        box.area_dragged.connect(lambda anchor, current, finished, version_id=version.id:
                                 self._on_area_dragged(version_id, anchor, current, finished))
        item = pg.ImageItem(axisOrder="col-major")
        item.setLookupTable(lut)
        box.addItem(item)
        detail = pg.ImageItem(axisOrder="col-major")     # over the overview, under selection and playhead
        detail.setLookupTable(lut)
        detail.setVisible(False)
        box.addItem(detail)
        self._detail_items[version.id] = detail
        head = pg.InfiniteLine(self._playhead, angle=90, pen=pg.mkPen(PLAYHEAD_COLOR, width=1.5), movable=False)
        head.setZValue(10)
        region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(*SELECTION_BRUSH),
                                     pen=pg.mkPen(PLAYHEAD_COLOR, width=0.5))
        area = BandArea()
        pitch = PitchCurve(frequencies)
        pitch.show_track(self.pitch.get(version.id))
        box.addItem(region)
        box.addItem(area)
        box.addItem(pitch)
        box.addItem(head)
        self._pitch_curves[version.id] = pitch
        self.ci.addItem(box, row=2 * row + 1, col=1)
        if self._link is not None:
            box.setLimits(xMin=0, xMax=self._link.state["limits"]["xLimits"][1])
            left, right = self._link.viewRange()[0]
            box.setXRange(left, right, padding=0)
        box.sigXRangeChanged.connect(self._on_track_range_changed)
        self._plots[version.id], self._labels[version.id], self._items[version.id] = box, label, item
        self._playheads.append(head)
        self._regions[version.id], self._areas[version.id] = region, area
        self._show_selection(version.id)
        self._show_image(version.id)
        self._show_detail(version.id)
        self._detail_timer.start()           # zoomed in: the new row needs its detail too
        self.refresh_labels()
        self.resizeEvent(None)           # a new row grows the layout past the widget until re-fitted

    def _on_images(self, images: dict[str, tuple[np.ndarray, float]]) -> None:
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

    def frequency_axis(self, version_id: str) -> FrequencyAxis | None:
        """The frequency scale a version's track is drawn on; None if not shown."""
        axis = self._axes.get(version_id)
        return axis.axis if axis is not None else None

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
        self.refresh_labels()

    def refresh_labels(self) -> None:
        for version in self.versions:
            if version.id not in self._labels:
                continue
            active = version.id == self.active_id
            color = ACTIVE_COLOR if active else plot_colors().foreground
            marker = "▶ " if active else ""
            self._labels[version.id].setText(
                f"<span style='color:{color}'>{marker}<b>{version.name}</b></span>"
                f"<span style='color:#8a8c93'>   {version.model} · {version.device} · "
                f"{version.created[11:16]} UTC</span>")

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        for version_id, box in self._plots.items():
            if box.sceneBoundingRect().contains(scene_pos):
                point = box.mapSceneToView(scene_pos)
                self.cursor_info.emit(self.describe_point(version_id, point.x(), point.y()))
                self.hover_time.emit(point.x())
                return

    def level_at(self, version_id: str, seconds: float, unit: float) -> float | None:
        """The level drawn at a point of a track, read back from its colour (the detail image where
        it covers the point, else the overview): to the 0.3 dB a colour step spans over the default
        80 dB range, clipped at the floor and the ceiling; None off the image."""
        found = self.details.get(version_id)
        if found is None or not found[1] <= seconds < found[1] + found[2]:
            overview = self.images.get(version_id)
            found = None if overview is None else (overview[0], 0.0, overview[1])
        if found is None:
            return None
        colors, start, span = found
        column, row = math.floor((seconds - start) / span * colors.shape[0]), math.floor(unit * colors.shape[1])
        if not (0 <= column < colors.shape[0] and 0 <= row < colors.shape[1]):
            return None
        return level_of_color_index(colors[column, row], self.settings.floor_db, self.settings.ceiling_db)

    def describe_point(self, version_id: str, seconds: float, unit: float) -> str:
        """Status text for a point of a track: the version, time, frequency on its own axis, the
        level drawn there and, with the pitch track shown, the F0."""
        version = next(v for v in self.versions if v.id == version_id)
        axis = self._axes[version_id].axis
        text = f"{version.name}   {format_duration(max(seconds, 0.0))}   {format_hz(float(axis.to_hz(unit)))} Hz"
        level = self.level_at(version_id, seconds, unit)
        if level is not None:
            floor, ceiling = self.settings.floor_db, self.settings.ceiling_db
            text += (f"   below {floor:g} dBFS" if level <= floor else f"   above {ceiling:g} dBFS" if level >= ceiling
                     else f"   ≈ {level:.0f} dBFS")
        track = self.pitch.get(version_id)
        f0 = math.nan if track is None else track.at(seconds)
        if math.isfinite(f0):
            text += f"   F0 {f0:.1f} Hz"
        return text

    def set_pitch(self, version_id: str, track: PitchTrack | None) -> None:
        """Draw a version's F0 track on its row (None: none); kept for a row built later."""
        if track is None:
            self.pitch.pop(version_id, None)
        else:
            self.pitch[version_id] = track
        if version_id in self._pitch_curves:
            self._pitch_curves[version_id].show_track(track)

    def set_playhead(self, seconds: float) -> None:
        self._playhead = seconds
        for head in self._playheads:
            head.setValue(seconds)

    def _on_area_dragged(self, version_id: str, anchor: tuple[float, float], current: tuple[float, float],
                         finished: bool) -> None:
        """A Ctrl+drag on a track: the band between its two heights in the track's own frequency units."""
        axis = self._axes[version_id].axis
        band = (float(axis.to_hz(anchor[1])), float(axis.to_hz(current[1])))
        self.drag_selected.emit(anchor[0], current[0], finished, band)

    def set_selection(self, selection: tuple[float, float] | None, band: tuple[float, float] | None = None) -> None:
        """The recording's selection, and the band within it (an area) drawn on each track's own
        frequency axis."""
        self._selection, self._band = selection, band
        for version_id in self._regions:
            self._show_selection(version_id)

    def _show_selection(self, version_id: str) -> None:
        region, selection = self._regions[version_id], self._selection
        region.setVisible(selection is not None and self._band is None)
        if selection is not None:
            region.setRegion(selection)
        self._areas[version_id].place(selection, self._band, self._axes[version_id].axis)

    def close_workers(self) -> None:
        self._detail_timer.stop()
        self._detail_worker = None
        self._workers.cancel(wait=True)
