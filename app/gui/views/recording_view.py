"""One row per channel — a thin waveform above a spectrogram — on one shared time axis; a channel
can be hidden (its row folded away, as Audacity collapses a track), which leaves its place in the
numbering and everything else as it was.

Every plot's x axis is linked, so zooming or scrolling any of them moves all (mouse handling
in `TimeViewBox`). The view asks its `SpectrogramWorker` for exactly what is visible, at the
plots' pixel size; until the new image arrives the previous one stays in place, stretched to
its own time range, and a slow image fills in tile group by tile group.
"""

from __future__ import annotations

from collections.abc import Sequence
import math
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QGraphicsRectItem

from app.engine.combine import RecorderChannels
from app.engine.files import Recording
from app.engine.labels import Label
from app.engine.pitch import PitchTrack
from app.engine.spectrogram import Colormap, FrequencyAxis, SpectrogramSettings
from app.engine.timecode import format_duration
from app.gui.views.axes import (
    AXIS_PIXELS,
    FrequencyAxisItem,
    TimeAxisItem,
    format_hz,
)
from app.gui.views.label_bands import LabelBands
from app.gui.views.pitch_curve import PitchCurve
from app.gui.views.plot_style import hide_axis_line, plot_colors
from app.gui.views.time_view_box import TimeViewBox
from app.gui.workers import RenderRequest, RenderResult, SpectrogramWorker

WAVEFORM_COLOR = "#6fb3e8"
PLAYHEAD_COLOR = "#ffd24a"
SELECTION_BRUSH = (255, 210, 74, 45)
LABEL_BRUSH = (111, 179, 232, 55)       # labels on the waveform rows, in the waveform's blue
LABEL_COLOR = "#9fd0f5"
WAVEFORM_HEIGHT = 28
WAVE_LIMIT = 1.05               # the waveform rows' vertical extent
LABEL_WIDTH = 34
MIN_SPAN_SECONDS = 0.01
EDGE_GRAB_PIXELS = 4           # a drag starting this close to a label's edge moves the edge
MIN_CHANNEL_PIXELS = 96        # waveform + a spectrogram with room for four frequency labels
QWIDGETSIZE_MAX = 16_777_215   # Qt's "no maximum"
TIME_AXIS_PIXELS = 50
EMPTY_HINT = "Open a recording with Ctrl+O, pick one from File ▸ Open recent, or drop it here."


def color_map(name: Colormap) -> pg.ColorMap:
    if name == Colormap.GREY:
        return pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)])
    return pg.colormap.get(name.value)


class BandArea(QGraphicsRectItem):
    """The selected band over the selected range on one spectrogram, placed in that
    spectrogram's own frequency units (a 16 kHz track's axis is not a 48 kHz recording's)."""

    def __init__(self) -> None:
        super().__init__()
        self.setPen(pg.mkPen(PLAYHEAD_COLOR, width=1))
        self.setBrush(pg.mkBrush(*SELECTION_BRUSH))
        self.setZValue(6)
        self.setVisible(False)

    def place(self, selection: tuple[float, float] | None, band: tuple[float, float] | None,
              axis: FrequencyAxis) -> None:
        self.setVisible(selection is not None and band is not None)
        if selection is not None and band is not None:
            low, high = (float(u) for u in axis.to_unit(band))
            self.setRect(QRectF(selection[0], low, selection[1] - selection[0], high - low))


class ChannelNumber(pg.LabelItem):
    """A channel's number at the left of its row; a click on it asks to listen to that channel
    alone (Audacity's Solo)."""

    def __init__(self, channel: int, clicked: Signal) -> None:
        super().__init__(f"<b>{channel + 1}</b>", color=plot_colors().foreground, size="10pt")
        self.channel, self.clicked = channel, clicked
        self.setToolTip(f"Channel {channel + 1}: click to listen to it alone")

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.clicked.emit(self.channel)


def _blank_left_axis(plot: pg.PlotItem) -> None:
    """An invisible left axis as wide as the frequency axes, keeping the time columns aligned."""
    axis = plot.getAxis("left")
    axis.setWidth(AXIS_PIXELS)
    axis.setStyle(showValues=False, tickLength=0)
    hide_axis_line(axis)


class RecordingView(pg.GraphicsLayoutWidget):
    """All channels of one recording; signals are in seconds."""

    seek_requested = Signal(float)
    selection_changed = Signal(object)          # (start, stop) seconds or None; `band` is set first
    label_moved = Signal(int, float, float)     # label index, its new start and stop: an edge was dragged
    context_requested = Signal(int, object)     # a right click on a channel: the channel, the screen position
    channel_clicked = Signal(int)               # a click on a channel's number: listen to it alone
    cursor_info = Signal(str)
    hover_time = Signal(float)      # seconds under the mouse on a channel's spectrogram or waveform
    render_failed = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground(plot_colors().background)
        self.setAcceptDrops(False)      # files dropped here go to the main window, which opens them
        self.ci.layout.setSpacing(0)
        self.ci.setContentsMargins(4, 4, 8, 4)
        self.recording: Recording | None = None
        self.settings = SpectrogramSettings()
        self.worker: SpectrogramWorker | None = None
        self.last_request: RenderRequest | None = None
        self.last_result: RenderResult | None = None
        self.selection: tuple[float, float] | None = None
        self.band: tuple[float, float] | None = None       # Hz, within the selection: a time-frequency area
        self.hidden: frozenset[int] = frozenset()           # channels whose rows are folded away
        self._boxes: list[TimeViewBox] = []
        self._spec_plots: list[pg.PlotItem] = []
        self._wave_plots: list[pg.PlotItem] = []
        self._images: list[pg.ImageItem] = []
        self._waves: list[pg.PlotDataItem] = []
        self._freq_axes: list[FrequencyAxisItem] = []
        self._playheads: list[pg.InfiniteLine] = []
        self._regions: list[pg.LinearRegionItem] = []
        self._spec_regions: list[pg.LinearRegionItem] = []     # hidden while an area is selected
        self._areas: list[BandArea] = []
        self._pitch: list[PitchCurve] = []            # each channel's F0 track (View ▸ Pitch track)
        self._labels: list[pg.LabelItem] = []
        self._label_items: list[LabelBands] = []      # the session's labels: bands on every row, texts on the first
        self._shown_labels: list[Label] = []          # what new rows draw from the start
        self._label_edges = np.zeros((0, 2))          # their (start, stop) seconds, to find an edge under the mouse
        self._lut = color_map(self.settings.colormap).getLookupTable(0.0, 1.0, 256, alpha=False)
        self._colorbar: pg.ColorBarItem | None = None
        self._redraw_timer = QTimer(self, singleShot=True, interval=15)
        self._redraw_timer.timeout.connect(self.request_redraw)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.set_recording(None)

    # --- building -----------------------------------------------------------------------------
    def set_recording(self, recording: Recording | None, recorders: Sequence[RecorderChannels] = ()) -> None:
        """Show `recording` (None: empty); the previous worker is stopped first. `recorders`: those a
        combined recording's channels came from, named on hovering each channel's number."""
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        self.ci.clear()
        for items in (self._boxes, self._spec_plots, self._wave_plots, self._images, self._waves, self._freq_axes,
                      self._playheads, self._regions, self._spec_regions, self._areas, self._pitch, self._labels,
                      self._label_items):
            items.clear()
        self.recording, self.last_request, self.last_result = recording, None, None
        self.selection = self.band = None
        self.hidden = frozenset()
        self._colorbar = None
        if recording is None:
            self.setMinimumHeight(0)
            self.ci.addItem(pg.LabelItem(EMPTY_HINT, color="#8a8c93", size="13pt"), row=0, col=0)
            return
        self.worker = SpectrogramWorker(recording)
        self.worker.ready.connect(self._on_ready)
        self.worker.failed.connect(self.render_failed)
        axis = FrequencyAxis.for_settings(self.settings, recording.sample_rate)
        duration = recording.frames / recording.sample_rate
        for channel in range(recording.channels):
            self._add_channel_row(channel, axis, duration)
        for recorder in recorders:
            for channel in recorder.channels:
                self._labels[channel].setToolTip(f"Channel {channel + 1}: {recorder.describe()}; click to listen "
                                                 "to it alone")
        self._add_time_ruler(recording.channels, duration)
        self._add_colorbar(recording.channels)
        self.ci.layout.setColumnStretchFactor(1, 1)
        self._fit_height()
        first = self._boxes[0]
        for box in self._boxes[1:]:
            box.setXLink(first)
        first.sigXRangeChanged.connect(self._on_range_changed)
        for spec in self._spec_plots:
            spec.getViewBox().sigResized.connect(self._on_range_changed)   # new pixel size
        first.setXRange(0, duration, padding=0)
        self.request_redraw()

    def _add_channel_row(self, channel: int, axis: FrequencyAxis, duration: float) -> None:
        row = 2 * channel
        label = ChannelNumber(channel, self.channel_clicked)
        label.setFixedWidth(LABEL_WIDTH)
        self.ci.addItem(label, row=row, col=0, rowspan=2)
        self._labels.append(label)

        wave_box = TimeViewBox()
        wave_box.handle_at = self.label_edge_at
        wave_box.handle_dragged.connect(self._on_edge_dragged)
        wave = pg.PlotItem(viewBox=wave_box)
        wave.hideButtons()
        wave.hideAxis("bottom")
        _blank_left_axis(wave)
        wave.setYRange(-1, 1, padding=0.05)
        wave.setFixedHeight(WAVEFORM_HEIGHT)
        curve = pg.PlotDataItem(pen=pg.mkPen(WAVEFORM_COLOR, width=1), connect="pairs", antialias=False)
        wave.addItem(curve)
        bands = [LabelBands(LABEL_COLOR, LABEL_BRUSH, WAVE_LIMIT)]
        if channel == 0:
            bands.append(LabelBands(LABEL_COLOR, LABEL_BRUSH, WAVE_LIMIT, texts=True))
        for item, z in zip(bands, (-5, 20)):          # bands under the waveform, texts above it and the selection
            item.setZValue(z)
            item.set_labels(self._shown_labels)
            wave.addItem(item)
        self._label_items += bands
        self.ci.addItem(wave, row=row, col=1)

        freq_axis = FrequencyAxisItem()
        freq_axis.set_axis(axis)
        spec_box = TimeViewBox(areas=True)
        spec_box.area_dragged.connect(lambda anchor, current, finished, channel=channel:
                                      self._on_area_dragged(channel, anchor, current, finished))
        spec = pg.PlotItem(viewBox=spec_box, axisItems={"left": freq_axis})
        spec.hideButtons()
        spec.hideAxis("bottom")
        image = pg.ImageItem(axisOrder="col-major")
        spec.addItem(image)
        spec.setYRange(0, 1, padding=0)
        self.ci.addItem(spec, row=row + 1, col=1)
        self.ci.layout.setRowStretchFactor(row + 1, 1)

        for plot, box in ((wave, wave_box), (spec, spec_box)):
            box.setLimits(xMin=0, xMax=duration, minXRange=min(MIN_SPAN_SECONDS, duration), maxXRange=duration)
            box.clicked.connect(self.seek_requested)
            box.dragged.connect(self._on_dragged)
            box.context_clicked.connect(lambda where, channel=channel: self.context_requested.emit(channel, where))
            box.extend_clicked.connect(self.extend_selection)
            head = pg.InfiniteLine(0, angle=90, pen=pg.mkPen(PLAYHEAD_COLOR, width=1.5), movable=False)
            region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(*SELECTION_BRUSH),
                                         pen=pg.mkPen(PLAYHEAD_COLOR, width=0.5))
            region.setVisible(False)
            region.setZValue(5)
            head.setZValue(10)
            plot.addItem(region)
            plot.addItem(head)
            self._playheads.append(head)
            self._regions.append(region)
            self._boxes.append(box)
        area = BandArea()
        spec.addItem(area)
        self._areas.append(area)
        pitch = PitchCurve(axis)
        spec.addItem(pitch)
        self._pitch.append(pitch)
        self._spec_regions.append(self._regions[-1])
        spec_box.setLimits(yMin=0, yMax=1)
        wave_box.setLimits(yMin=-WAVE_LIMIT, yMax=WAVE_LIMIT)
        self._wave_plots.append(wave)
        self._spec_plots.append(spec)
        self._images.append(image)
        self._waves.append(curve)
        self._freq_axes.append(freq_axis)

    def _add_colorbar(self, channels: int) -> None:
        """One dB scale beside all channels: the same colour means the same level everywhere."""
        s = self.settings
        self._colorbar = pg.ColorBarItem(values=(s.floor_db, s.ceiling_db), colorMap=color_map(s.colormap),
                                         label="level (dBFS)", interactive=False, width=10, colorMapMenu=False)
        self.ci.addItem(self._colorbar, row=0, col=2, rowspan=2 * channels)

    def _add_time_ruler(self, row: int, duration: float) -> None:
        """The time axis in a row of its own, so every channel row has the same height; it is a
        plot with an empty, blank-axis body so it lines up with the channel plots above."""
        box = TimeViewBox()
        ruler = pg.PlotItem(viewBox=box, axisItems={"bottom": TimeAxisItem()})
        ruler.hideButtons()
        _blank_left_axis(ruler)
        unit = "h:mm:ss" if duration >= 3600 else "m:ss" if duration >= 60 else "s"
        ruler.setLabel("bottom", f"time ({unit})")
        ruler.setFixedHeight(TIME_AXIS_PIXELS)
        box.setLimits(xMin=0, xMax=duration, minXRange=min(MIN_SPAN_SECONDS, duration), maxXRange=duration)
        box.clicked.connect(self.seek_requested)
        self.ci.addItem(ruler, row=2 * row, col=1)
        self._boxes.append(box)

    def _fit_height(self) -> None:
        """Room for every shown channel's row (more channels: the view scrolls)."""
        shown = self.channel_rows - len(self.hidden)
        self.setMinimumHeight(shown * MIN_CHANNEL_PIXELS + TIME_AXIS_PIXELS)
        self.resizeEvent(None)   # re-fit the layout to the widget: rebuilding rows shrinks it to its hint

    def set_hidden_channels(self, hidden: frozenset[int]) -> None:
        """Fold away the rows of the `hidden` channels (0-based) and unfold the others; at least one
        channel stays shown."""
        hidden = frozenset(c for c in hidden if 0 <= c < self.channel_rows)
        if self.channel_rows and len(hidden) == self.channel_rows:
            raise ValueError("At least one channel stays shown.")
        self.hidden = hidden
        for channel, (label, wave, spec) in enumerate(zip(self._labels, self._wave_plots, self._spec_plots)):
            shown = channel not in hidden
            for item in (label, wave, spec):
                item.setVisible(shown)
                item.setMinimumHeight(0)
                item.setMaximumHeight(QWIDGETSIZE_MAX if shown else 0)
            if shown:
                wave.setFixedHeight(WAVEFORM_HEIGHT)
            self.ci.layout.setRowStretchFactor(2 * channel + 1, 1 if shown else 0)
        self._fit_height()
        self.request_redraw()

    # --- settings and time range ----------------------------------------------------------------
    def set_settings(self, settings: SpectrogramSettings) -> None:
        self.settings = settings
        cmap = color_map(settings.colormap)
        self._lut = cmap.getLookupTable(0.0, 1.0, 256, alpha=False)
        if self._colorbar is not None:
            self._colorbar.setColorMap(cmap)
            self._colorbar.setLevels((settings.floor_db, settings.ceiling_db))
        if self.recording is not None:
            axis = FrequencyAxis.for_settings(settings, self.recording.sample_rate)
            for freq_axis, pitch in zip(self._freq_axes, self._pitch):
                freq_axis.set_axis(axis)
                pitch.set_axis(axis)
            self._show_selection(self.selection, self.band)
        self.request_redraw()

    def colour_scale(self) -> tuple[float, float] | None:
        """(floor, ceiling) dBFS shown by the colour bar; None with no recording open."""
        if self._colorbar is None:
            return None
        low, high = self._colorbar.levels()
        return float(low), float(high)

    @property
    def channel_rows(self) -> int:
        return len(self._spec_plots)

    def visible_range(self) -> tuple[float, float]:
        if not self._boxes:
            return 0.0, 0.0
        left, right = self._boxes[0].viewRange()[0]
        return float(left), float(right)

    def set_visible_range(self, start: float, stop: float) -> None:
        if self._boxes:
            self._boxes[0].setXRange(start, stop, padding=0)

    def zoom(self, factor: float, centre: float | None = None) -> None:
        """Zoom by `factor` (>1 shows more time) around `centre` seconds (default: the middle)."""
        if self._boxes:
            left, right = self.visible_range()
            self._boxes[0].zoom_by(factor, (left + right) / 2 if centre is None else centre)

    def scroll(self, fraction: float) -> None:
        if self._boxes:
            left, right = self.visible_range()
            self._boxes[0].scroll_by(fraction * (right - left))

    def time_box(self) -> TimeViewBox | None:
        """The view box every time axis follows (other views x-link to it)."""
        return self._boxes[0] if self._boxes else None

    def show_all(self) -> None:
        if self.recording is not None:
            self.set_visible_range(0.0, self.recording.frames / self.recording.sample_rate)

    @property
    def up_to_date(self) -> bool:
        """The complete image for the latest request is on screen."""
        result = self.last_result
        return result is not None and result.image.complete and result.request == self.last_request

    def _on_range_changed(self, *_: object) -> None:
        self._redraw_timer.start()

    def request_redraw(self) -> None:
        """Ask the worker for the visible range at the spectrogram's pixel size."""
        if self.worker is None or self.recording is None or not self._spec_plots:
            return
        left, right = self.visible_range()
        rate = self.recording.sample_rate
        box = next(p for c, p in enumerate(self._spec_plots) if c not in self.hidden).getViewBox()
        columns = max(64, int(box.width()))
        rows = min(512, max(64, 32 * math.ceil(box.height() / 32)))
        shown = tuple(c for c in range(self.channel_rows) if c not in self.hidden) if self.hidden else None
        self.last_request = RenderRequest(math.floor(left * rate), math.ceil(right * rate), columns, rows,
                                          self.settings, shown)
        self.worker.request(self.last_request)

    # --- results --------------------------------------------------------------------------------
    def _on_ready(self, result: RenderResult) -> None:
        if result.recording is not self.recording:
            return
        self.last_result = result
        rate = self.recording.sample_rate
        image = result.image
        x0 = image.start_frame / rate
        width = image.columns * image.stride / rate
        for k, channel in enumerate(image.channels):         # the rows shown when it was asked for
            item = self._images[channel]
            item.setImage(result.colors[k], levels=(0, 255), lut=self._lut, autoLevels=False)
            item.setRect(QRectF(x0, 0.0, width, 1.0))
        self._draw_waveforms(result, rate)

    def _draw_waveforms(self, result: RenderResult, rate: int) -> None:
        low, high = result.envelope_min, result.envelope_max
        peak = float(max(np.abs(low).max(initial=0.0), np.abs(high).max(initial=0.0)))
        scale = 2.0 ** math.ceil(math.log2(peak)) if peak > 1e-6 else 1.0   # stable: powers of two
        columns = low.shape[1]
        times = (result.envelope_start_frame + (np.arange(columns) + 0.5) * result.envelope_stride) / rate
        curves = [self._waves[channel] for channel in result.image.channels]     # row k: the k-th shown
        if result.envelope_stride <= 1:                 # fewer samples than pixels: draw the samples
            for k, curve in enumerate(curves):
                curve.setData(times, low[k] / scale, connect="all")
        else:                                           # one vertical min-max stroke per column
            x = np.repeat(times, 2)
            for k, curve in enumerate(curves):
                y = np.empty(2 * columns, dtype=np.float32)
                y[0::2] = low[k] / scale
                y[1::2] = np.maximum(high[k], low[k] + 1e-4 * scale) / scale
                curve.setData(x, y, connect="pairs")
        for channel, label in enumerate(self._labels):
            label.setText(f"<b>{channel + 1}</b><br><span style='font-size:7pt'>±{scale:g}</span>")

    # --- playhead, selection, cursor ------------------------------------------------------------
    def set_playhead(self, seconds: float) -> None:
        for head in self._playheads:
            head.setValue(seconds)

    def playhead(self) -> float:
        return float(self._playheads[0].value()) if self._playheads else 0.0

    def set_selection(self, selection: tuple[float, float] | None, band: tuple[float, float] | None = None) -> None:
        """Select a range of seconds, and within it a band of Hz (an area of the spectrograms), or
        neither."""
        self.selection, self.band = selection, band if selection is not None else None
        self._show_selection(self.selection, self.band)
        self.selection_changed.emit(selection)

    def _show_selection(self, selection: tuple[float, float] | None, band: tuple[float, float] | None) -> None:
        for region in self._regions:
            region.setVisible(selection is not None)
            if selection is not None:
                region.setRegion(selection)
        for region in self._spec_regions if band is not None else ():    # the area stands for it there
            region.setVisible(False)
        for area, freq_axis in zip(self._areas, self._freq_axes):
            area.place(selection, band, freq_axis.axis)

    def set_pitch(self, channel: int, track: PitchTrack | None) -> None:
        """Draw a channel's F0 track over its spectrogram (None: none)."""
        self._pitch[channel].show_track(track)

    def pitch_track(self, channel: int) -> PitchTrack | None:
        curve = self._pitch[channel]
        return curve.track if curve.isVisible() else None

    def set_labels(self, labels: list[Label]) -> None:
        """Draw the session's labels as bands on every waveform row, their text on the first."""
        self._shown_labels = list(labels)
        self._label_edges = np.array([(label.start, label.stop) for label in labels], np.float64).reshape(-1, 2)
        self._draw_labels(labels)

    def _draw_labels(self, labels: list[Label]) -> None:
        for item in self._label_items:
            item.set_labels(labels)

    def label_edge_at(self, seconds: float, seconds_per_pixel: float) -> tuple[int, int] | None:
        """(label index, 0 for its start or 1 for its stop) of the edge nearest `seconds`, if it lies
        within `EDGE_GRAB_PIXELS`; None otherwise."""
        if not self._label_edges.size:
            return None
        distance = np.abs(self._label_edges - seconds)
        index, side = np.unravel_index(np.argmin(distance), distance.shape)
        if distance[index, side] > EDGE_GRAB_PIXELS * seconds_per_pixel:
            return None
        return int(index), int(side)

    def _on_edge_dragged(self, handle: tuple[int, int], seconds: float, finished: bool) -> None:
        """The label follows its dragged edge (an edge dragged past the other one becomes it);
        at the release, `label_moved` asks for the move, which the session makes undoable."""
        index, side = handle
        duration = self.recording.frames / self.recording.sample_rate if self.recording else 0.0
        label = self._shown_labels[index]
        fixed = label.stop if side == 0 else label.start
        start, stop = sorted((min(max(seconds, 0.0), duration), fixed))
        if finished and (start, stop) != (label.start, label.stop):
            self.label_moved.emit(index, start, stop)
        elif finished:
            self._draw_labels(self._shown_labels)
        else:
            self._draw_labels([*self._shown_labels[:index], replace(label, start=start, stop=stop),
                               *self._shown_labels[index + 1:]])

    def drag_select(self, anchor: float, current: float, finished: bool,
                    band: tuple[float, float] | None = None) -> None:
        """A drag over [anchor, current] seconds, on a channel or a track, shown as it goes and
        selected when `finished`; with `band` (Hz, a Ctrl+drag on a spectrogram) an area."""
        duration = self.recording.frames / self.recording.sample_rate if self.recording else 0.0
        start, stop = sorted(min(max(t, 0.0), duration) for t in (anchor, current))
        band = None if band is None else (min(band), max(band))
        if not finished:
            self._show_selection((start, stop), band)
        elif stop > start and (band is None or band[1] > band[0]):
            self.set_selection((start, stop), band)
        else:
            self.set_selection(None)

    def extend_selection(self, seconds: float) -> None:
        """Shift+click (Shift+Home, Shift+End): the selection's nearer edge moves to `seconds`, or,
        without a selection, one is made from the playhead to there, as in Audacity. An area keeps
        its band."""
        duration = self.recording.frames / self.recording.sample_rate if self.recording else 0.0
        seconds = min(max(seconds, 0.0), duration)
        if self.selection is None:
            start, stop = sorted((self.playhead(), seconds))
        elif abs(seconds - self.selection[0]) <= abs(seconds - self.selection[1]):
            start, stop = sorted((seconds, self.selection[1]))
        else:
            start, stop = sorted((self.selection[0], seconds))
        if stop > start:
            self.set_selection((start, stop), self.band)

    def _on_dragged(self, anchor: float, current: float, finished: bool) -> None:
        self.drag_select(anchor, current, finished)

    def _on_area_dragged(self, channel: int, anchor: tuple[float, float], current: tuple[float, float],
                         finished: bool) -> None:
        """A Ctrl+drag on a spectrogram: the range it spans and the band between its two heights."""
        axis = self._freq_axes[channel].axis
        band = (float(axis.to_hz(anchor[1])), float(axis.to_hz(current[1])))
        self.drag_select(anchor[0], current[0], finished, band)

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        if self.recording is None:
            return
        for channel, plot in enumerate(self._spec_plots):
            box = plot.getViewBox()
            if box.sceneBoundingRect().contains(scene_pos):
                point = box.mapSceneToView(scene_pos)
                self.cursor_info.emit(self.describe_point(channel, point.x(), point.y()))
                self.hover_time.emit(point.x())
                self._edge_cursor(False)
                return
        for channel, plot in enumerate(self._wave_plots):
            box = plot.getViewBox()
            if box.sceneBoundingRect().contains(scene_pos):
                point = box.mapSceneToView(scene_pos)
                self.cursor_info.emit(f"ch {channel + 1}   {format_duration(max(point.x(), 0.0))}")
                self.hover_time.emit(point.x())
                on_edge = self.label_edge_at(point.x(), box.viewPixelSize()[0]) is not None
                self._edge_cursor(on_edge)
                return
        self._edge_cursor(False)

    def _edge_cursor(self, on_edge: bool) -> None:
        """A horizontal-resize cursor over a label's edge, as Audacity shows there."""
        if on_edge == (self.viewport().cursor().shape() == Qt.CursorShape.SizeHorCursor):
            return
        if on_edge:
            self.viewport().setCursor(Qt.CursorShape.SizeHorCursor)
        else:
            self.viewport().unsetCursor()

    def describe_point(self, channel: int, seconds: float, unit: float) -> str:
        """Status text for a spectrogram point: time, frequency and the level shown there."""
        axis = self._freq_axes[channel].axis
        text = f"ch {channel + 1}   {format_duration(max(seconds, 0.0))}   {format_hz(float(axis.to_hz(unit)))} Hz"
        result = self.last_result
        if result is not None and self.recording is not None:
            image = result.image
            column = math.floor((seconds * self.recording.sample_rate - image.start_frame) / image.stride)
            row = math.floor(unit * image.level_db.shape[2])
            if 0 <= column < image.columns and 0 <= row < image.level_db.shape[2] and channel in image.channels:
                text += f"   {image.level_db[image.channels.index(channel), column, row]:.1f} dBFS"
        track = self.pitch_track(channel)
        f0 = math.nan if track is None else track.at(seconds)
        if math.isfinite(f0):
            text += f"   F0 {f0:.1f} Hz"
        return text

    def closeEvent(self, ev) -> None:
        self.set_recording(None)
        super().closeEvent(ev)
