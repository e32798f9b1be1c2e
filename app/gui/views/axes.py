"""Axes that speak the user's units: time as seconds, m:ss or h:mm:ss, frequency in kHz on any scale."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from app.engine.spectrogram import FrequencyAxis, FrequencyScale
from app.engine.timecode import format_clock

_LINEAR_STEPS_HZ = (100, 200, 250, 500, 1000, 2000, 4000, 5000, 10000)
_LOG_TICKS_HZ = (20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
_MEL_TICKS_HZ = (0, 250, 500, 1000, 2000, 4000, 8000, 16000, 32000)
_MIN_TICK_PIXELS = 22
AXIS_PIXELS = 44            # every left axis has this width, so all time columns line up


def format_hz(hz: float) -> str:
    """Compact frequency label: 250, 1k, 2.5k (axis positions come back with rounding noise)."""
    hz = round(hz, 3)
    if hz >= 1000:
        return f"{hz / 1000:.3g}k"
    return f"{hz:.0f}"


def format_time(seconds: float, spacing: float) -> str:
    """A tick label: seconds, then `m:ss` and `h:mm:ss`, with as many decimals as the spacing needs."""
    decimals = 0 if spacing >= 1 else min(4, math.ceil(-math.log10(spacing) - 1e-9))
    return format_clock(seconds, decimals, fields=2 if spacing >= 60 else 1)


class FrequencyAxisItem(pg.AxisItem):
    """Left axis of a spectrogram whose y coordinate is the unit interval of a `FrequencyAxis`."""

    def __init__(self) -> None:
        super().__init__("left")
        self.axis = FrequencyAxis(FrequencyScale.LINEAR, 8000.0)
        self.setWidth(AXIS_PIXELS)

    def set_axis(self, axis: FrequencyAxis) -> None:
        self.axis = axis
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        room = max(1, int(size / _MIN_TICK_PIXELS))
        top = self.axis.max_hz
        if self.axis.scale == FrequencyScale.LINEAR:
            step = next((s for s in _LINEAR_STEPS_HZ if top / s <= room), _LINEAR_STEPS_HZ[-1])
            candidates = np.arange(0, top + 1, step)
        else:
            table = _LOG_TICKS_HZ if self.axis.scale == FrequencyScale.LOG else _MEL_TICKS_HZ
            candidates = np.array([f for f in table if self.axis.min_hz <= f <= top])
        units = self.axis.to_unit(candidates)
        keep, last = [], -1.0
        for u in units:                    # drop ticks closer than the minimum spacing
            if u - last >= 0.8 / room and minVal <= u <= maxVal:
                keep.append(float(u))
                last = u
        return [(1.0, keep)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [format_hz(float(self.axis.to_hz(v))) for v in values]


# Tick steps a reader counts in: decimal below a second (a recording shorter than the shortest
# view, `MIN_SPAN_SECONDS`, may be a fraction of a millisecond), then 2, 5, 10, 15, 30 s and minutes.
_TIME_STEPS_SECONDS = (0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
                       1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
_TIME_LABEL_PIXELS = 90
# How far a tick label may reach past the axis's ends: the start's "0" or "0:00", half its
# width, is drawn (as Audacity labels its ruler's start) over the blank left axis beside it.
EDGE_LABEL_PIXELS = 24


class TimeAxisItem(pg.AxisItem):
    """Bottom axis in seconds, switching to m:ss and h:mm:ss past a minute and an hour, ticks on round times."""

    def __init__(self) -> None:
        super().__init__("bottom")
        self.enableAutoSIPrefix(False)      # seconds stay seconds: a view under 1 ms would read "(x1e-06)"
        self.setStyle(hideOverlappingLabels=EDGE_LABEL_PIXELS)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        span = max(maxVal - minVal, 1e-9)
        wanted = span * _TIME_LABEL_PIXELS / max(size, 1.0)
        major = next((s for s in _TIME_STEPS_SECONDS if s >= wanted), _TIME_STEPS_SECONDS[-1])
        minor = next((s for s in reversed(_TIME_STEPS_SECONDS) if s < major and major / s in (2, 2.5, 4, 5, 6)),
                     major / 5)
        return [(major, 0.0), (minor, 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [format_time(max(0.0, v), spacing) for v in values]
