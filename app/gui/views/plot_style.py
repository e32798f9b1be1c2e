"""Plot colours that follow the application's theme.

The spectrogram images keep their colour map in both themes; what changes is everything around
them (background, axes, labels), read from the palette so a plot never sits dark in a light
window. Views take these colours when they build items, and `restyle` updates what exists when
the theme changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class PlotColors:
    background: str
    foreground: str


def plot_colors() -> PlotColors:
    """The palette's base (plot background) and text (axes and labels) colours."""
    palette = QApplication.palette()
    return PlotColors(palette.color(QPalette.ColorRole.Base).name(), palette.color(QPalette.ColorRole.Text).name())


def hide_axis_line(axis: pg.AxisItem) -> None:
    """Draw an axis that only reserves width (its pen is the background)."""
    axis.blank = True
    axis.setPen(pg.mkPen(plot_colors().background))


def restyle(widget: pg.GraphicsView) -> None:
    """Apply the current theme to a plot widget's background, axes and plain labels."""
    colors = plot_colors()
    widget.setBackground(colors.background)
    for item in widget.scene().items():
        if isinstance(item, pg.AxisItem):
            item.setTextPen(pg.mkPen(colors.foreground))
            item.setPen(pg.mkPen(colors.background if getattr(item, "blank", False) else colors.foreground))
        elif isinstance(item, pg.LabelItem):
            item.setAttr("color", colors.foreground)
            item.setText(item.text)
