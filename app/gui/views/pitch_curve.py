"""A lane's F0 track drawn over its spectrogram, in that spectrogram's frequency units.

The spectrogram's y axis runs 0–1 in linear, log or mel units up to its own top frequency, so
the curve keeps the track in hertz and maps it again whenever the axis changes; an unvoiced
frame (NaN) breaks the line, as Sonic Visualiser draws a pitch layer.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.engine.pitch import PitchTrack
from app.engine.spectrogram import FrequencyAxis

PITCH_COLOR = "#5dffc0"       # mint: apart from every colour of magma, inferno, viridis and grey
PITCH_Z = 8                   # over the image and a band area, under the selection's edges and the playhead


class PitchCurve(pg.PlotCurveItem):
    def __init__(self, axis: FrequencyAxis) -> None:
        super().__init__(pen=pg.mkPen(PITCH_COLOR, width=2), connect="finite", antialias=True)
        self.setZValue(PITCH_Z)
        self.axis = axis
        self.track = PitchTrack.empty()
        self.setVisible(False)

    def show_track(self, track: PitchTrack | None) -> None:
        """Draw `track` (None: hide the curve)."""
        self.track = PitchTrack.empty() if track is None else track
        self.setVisible(track is not None)
        self._draw()

    def set_axis(self, axis: FrequencyAxis) -> None:
        self.axis = axis
        self._draw()

    def _draw(self) -> None:
        f0 = self.track.f0_hz
        with np.errstate(invalid="ignore"):
            shown = np.where(f0 <= self.axis.max_hz, f0, np.nan)     # above the top frequency: a gap, not the edge
        self.setData(self.track.times, np.asarray(self.axis.to_unit(shown), dtype=np.float64), connect="finite")
