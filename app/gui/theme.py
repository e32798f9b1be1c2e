"""Themes and the preferences applied process-wide (palette, torch threads).

The spectrogram panes keep their dark background in both themes: colour maps read best on
dark, as in Sonic Visualiser and iZotope RX.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.engine.torch_runtime import set_model_threads
from app.gui.settings import StoredSettings, Theme


def dark_palette() -> QPalette:
    """A dark Fusion palette: spectrograms read better on dark surroundings."""
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#232428", QPalette.ColorRole.WindowText: "#dcdde1",
        QPalette.ColorRole.Base: "#1b1c1f", QPalette.ColorRole.AlternateBase: "#26272b",
        QPalette.ColorRole.ToolTipBase: "#2d2e33", QPalette.ColorRole.ToolTipText: "#dcdde1",
        QPalette.ColorRole.Text: "#dcdde1", QPalette.ColorRole.Button: "#2d2e33",
        QPalette.ColorRole.ButtonText: "#dcdde1", QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3d7bd9", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#6fb3e8", QPalette.ColorRole.PlaceholderText: "#8a8c93",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6d73"))
    return palette


def apply_preferences(stored: StoredSettings) -> None:
    """The theme's palette, and torch's CPU threads for jobs (0 keeps torch's choice)."""
    app = QApplication.instance()
    if app is not None:
        app.setPalette(dark_palette() if stored.theme() is Theme.DARK else app.style().standardPalette())
    set_model_threads(stored.threads())
