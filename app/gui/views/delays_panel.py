"""The Delays panel: the delay between two microphones over time (`app.engine.delay_track`), drawn
as an image of time against delay, a line per talker, lit while it speaks; dashed lines mark the
delays the clear columns gather at, and the sentence under it names them. The mouse reads the
time, delay and correlation under it; a click moves the playhead there, to hear who that line is,
and the playhead is drawn across the image as it plays. Label sources and Take out the drift… act
on what is drawn (`delays_controller`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout,
                               QWidget)

from app.engine.combine import RecorderChannels
from app.engine.delay_track import DEFAULT_REACH_S, MAX_REACH_S, DelayMode, DelayTrack, Drift, delay_csv
from app.engine.export import write_text_atomically
from app.engine.spectrogram import Colormap
from app.engine.timecode import format_duration
from app.gui.names import for_recorder
from app.gui.views.csv_saving import ask_and_save_csv
from app.gui.views.plot_style import plot_colors, restyle
from app.gui.views.recording_view import color_map

HINT = ("Choose two channels and Track: each talker draws a line at its own delay, lit while it speaks; "
        "a slanting line means two clocks drifting apart.")


def brightest(track: DelayTrack) -> float:
    """The correlation drawn at the top of the colour scale: most clear peaks of a reverberant room
    reach only a few tenths, and a scale up to 1 would leave their lines dim."""
    heights = track.height[track.clear]
    return float(max(np.percentile(heights, 90), 2 * track.floor)) if heights.size else 1.0


class DelaysPanel(QWidget):
    track_requested = Signal()                  # Track: the controller reads the choices and runs the job
    seek_requested = Signal(float)              # a click on the image: the playhead goes there
    label_requested = Signal()                  # Label sources: the controller adds a label per source's stretch
    drift_requested = Signal()                  # Take out the drift…: the controller asks which channels, then copies

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first, self.second = QComboBox(), QComboBox()
        for box in (self.first, self.second):          # as wide as a channel number, not a default combo
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.setMinimumContentsLength(2)
        self.first.setToolTip("The reference channel: a positive delay means the other hears a sound later")
        self.reach = QDoubleSpinBox(decimals=1, minimum=0.1, maximum=MAX_REACH_S * 1000, singleStep=0.5, suffix=" ms")
        self.reach.setValue(DEFAULT_REACH_S * 1000)
        self.reach.setToolTip("Delays looked for either way: the array's size over the speed of sound (1 ms: "
                              "34 cm); up to 250 ms for channels of separate devices")
        self.track_button = QPushButton("Track", enabled=False)
        self.track_button.setToolTip("The delay over the selection, or the whole recording without one")
        self.track_button.clicked.connect(self.track_requested)
        self.label_button = QPushButton("Label sources", enabled=False)
        self.label_button.setToolTip("A label over each stretch heard from each of the delays marked: who sounds "
                                     "from where, and when, without separating")
        self.label_button.clicked.connect(self.label_requested)
        self.drift_button = QPushButton("Take out the drift…", enabled=False)
        self.drift_button.setToolTip("A copy with the channels of the drifting recorder resampled onto the reference "
                                     "channel's clock (when the delays drift)")
        self.drift_button.clicked.connect(self.drift_requested)
        self.save_button = QPushButton("Save CSV…", enabled=False)
        self.save_button.setToolTip("Each column's time, the delay of its peak and the peak's height")
        self.save_button.clicked.connect(self._ask_and_save)
        self.heading = QLabel(HINT, wordWrap=True)
        self.summary = QLabel(" ", wordWrap=True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout = QLabel(" ")
        colors = plot_colors()
        self.plot = pg.PlotWidget(background=colors.background)
        self.plot.setLabel("bottom", "time", units="s")
        self.plot.setLabel("left", "delay (ms)")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=True, y=True)
        restyle(self.plot)                          # axes in the theme's text colour
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.playhead = pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen(plot_colors().foreground, width=1))
        self.playhead.setZValue(10)
        self.plot.addItem(self.playhead)
        self.modes: list[pg.InfiniteLine] = []
        self.track: DelayTrack | None = None
        self.found: list[DelayMode] = []            # the delays marked, most held first
        self.drift: Drift | None = None             # how fast they drift, when that is a drift to name
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_clicked)
        self._choices, self._reach_row = QHBoxLayout(), QHBoxLayout()
        self._choices.addWidget(QLabel("Channel"))
        self._choices.addWidget(self.second)
        self._choices.addWidget(QLabel("against"))
        self._choices.addWidget(self.first)
        self._reach_label = QLabel("Reach ±")
        self._choices.addStretch(1)
        self._reach_row.addStretch(1)
        self._place_reach(own_row=False)
        actions = QHBoxLayout()                    # a row of its own: the panel stays as narrow as its neighbours
        actions.addWidget(self.track_button)
        actions.addStretch(1)
        for button in (self.label_button, self.drift_button, self.save_button):
            actions.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._choices)
        layout.addLayout(self._reach_row)
        layout.addLayout(actions)
        layout.addWidget(self.heading)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.readout)

    def set_channels(self, channels: int, recorders: Sequence[RecorderChannels] = ()) -> None:
        """Offer the channels of a newly opened recording, and clear what was drawn: channel 2 against
        1, or in a recording combined from several recorders, each named for its recorder, the second
        recorder's first channel against the first's (how well they were put in step)."""
        other = recorders[1].channels[0] if recorders else 1
        for box, chosen in ((self.first, 0), (self.second, other)):
            box.clear()
            box.addItems([for_recorder(f"{c + 1}", c, recorders) for c in range(channels)])
            box.setCurrentIndex(min(chosen, channels - 1))
        self._place_reach(own_row=bool(recorders))         # named channels leave the reach no room beside them
        self.track_button.setEnabled(channels > 1)
        self.clear("This recording has one channel: a delay needs two." if channels < 2 else HINT)

    def _place_reach(self, own_row: bool) -> None:
        """The reach beside the channels, or on a row of its own under them."""
        for widget in (self._reach_label, self.reach):
            self._choices.removeWidget(widget)
            self._reach_row.removeWidget(widget)
        row, at = (self._reach_row, 0) if own_row else (self._choices, self._choices.count() - 1)
        row.insertWidget(at, self._reach_label)
        row.insertWidget(at + 1, self.reach)

    def set_playhead(self, seconds: float) -> None:
        """Where playback is, as a line across the image: the talker heard is the line it crosses lit."""
        self.playhead.setValue(seconds)

    def pair(self) -> tuple[int, int]:
        """The channels chosen (0-based): (reference, other)."""
        return self.first.currentIndex(), self.second.currentIndex()

    def reach_s(self) -> float:
        return self.reach.value() / 1000

    def clear(self, hint: str = HINT) -> None:
        self.track, self.found, self.drift = None, [], None
        self.image.clear()
        for line in self.modes:
            self.plot.removeItem(line)
        self.modes = []
        self.heading.setText(hint)
        self.summary.setText(" ")
        self.save_button.setEnabled(False)
        self.label_button.setEnabled(False)
        self.drift_button.setEnabled(False)

    def show_track(self, track: DelayTrack, modes: list[DelayMode], heading: str, summary: str,
                   colormap: Colormap, drift: Drift | None = None) -> None:
        """Draw `track` in `colormap` (from no correlation to `brightest`) with a dashed line at each of
        `modes`; `drift`, a drift to name, lets its channels be put back in step."""
        self.clear(heading)
        self.track, self.found, self.drift = track, list(modes), drift
        lut = color_map(colormap).getLookupTable(0.0, 1.0, 256, alpha=False)
        self.image.setImage(np.ascontiguousarray(track.image.T), levels=(0.0, brightest(track)), lut=lut)
        lags_ms = track.lags * 1000
        step = lags_ms[1] - lags_ms[0]
        width = track.image.shape[0] * track.column_seconds
        self.image.setRect(QRectF(track.start, lags_ms[0] - step / 2, width, lags_ms[-1] - lags_ms[0] + step))
        pen = pg.mkPen(plot_colors().foreground, width=1, style=Qt.PenStyle.DashLine)
        backing = QColor(plot_colors().background)
        backing.setAlphaF(0.75)                  # a label reads over the lit line it names
        for k, mode in enumerate(modes):      # labels above and below their lines in turn, staggered along them:
            side = (0, 1) if k % 2 == 0 else (0, 0)                     # close delays stay legible
            line = pg.InfiniteLine(mode.seconds * 1000, angle=0, pen=pen,
                                   label=f"{mode.seconds * 1000:+.3f} ms · {mode.share:.0%}",
                                   labelOpts={"position": 0.02 + 0.3 * (k // 2), "color": plot_colors().foreground,
                                              "fill": backing, "anchors": [side, side]})
            self.plot.addItem(line)
            self.modes.append(line)
        self.plot.setXRange(track.start, track.start + width, padding=0)
        self.plot.setYRange(lags_ms[0], lags_ms[-1], padding=0)
        self.summary.setText(summary)
        self.save_button.setEnabled(True)
        self.label_button.setEnabled(bool(modes))
        self.drift_button.setEnabled(drift is not None)

    def save_csv(self, path: str | Path) -> Path:
        """The columns of the track shown; ExportError naming the file when it cannot be written."""
        return write_text_atomically(Path(path), delay_csv(self.track))

    def _ask_and_save(self) -> None:
        ask_and_save_csv(self, "Save the delays as CSV", "delays.csv", self.save_csv, self.readout)

    def _at(self, scene_pos: QPointF) -> tuple[float, float, int, int] | None:
        """(seconds, ms, column, lag index) under a scene point on the image; None elsewhere."""
        track, box = self.track, self.plot.getViewBox()
        if track is None or not box.sceneBoundingRect().contains(scene_pos):
            return None
        point = box.mapSceneToView(scene_pos)
        column = int((point.x() - track.start) / track.column_seconds)
        lag = int(np.argmin(np.abs(track.lags * 1000 - point.y())))
        if not 0 <= column < track.image.shape[0]:
            return None
        return point.x(), float(track.lags[lag] * 1000), column, lag

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        found = self._at(scene_pos)
        if found is not None:
            seconds, ms, column, lag = found
            self.readout.setText(f"{format_duration(seconds)}   {ms:+.3f} ms   correlation "
                                 f"{self.track.image[column, lag]:.2f}")

    def _on_clicked(self, event) -> None:
        found = self._at(event.scenePos())
        if found is not None and event.button() == Qt.MouseButton.LeftButton:
            self.seek_requested.emit(max(found[0], 0.0))
