"""Start the desktop app: QApplication, dark theme, main window, first recording."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from app.engine.demo import first_demo_path
from app.gui.main_window import MainWindow
from app.gui.settings import APPLICATION, ORGANISATION

log = logging.getLogger(__name__)

ICON_PATH = Path(__file__).resolve().parents[2] / "resources" / "icons" / "meco-studio.svg"


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


def configure_application(app: QApplication) -> None:
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    pg.setConfigOptions(imageAxisOrder="col-major", antialias=False)
    if ICON_PATH.is_file():
        app.setWindowIcon(QIcon(str(ICON_PATH)))


def start_main_window(app: QApplication, path: str | None) -> MainWindow:
    """Show the main window with `path`, else the first demo recording, else empty."""
    configure_application(app)
    window = MainWindow()
    window.show()
    start = Path(path) if path else first_demo_path()
    if start is not None:
        window.open_path(start)
    log.info("GUI started with %s", start)
    return window


def run_gui(path: str | None) -> int:
    """The desktop app's event loop; returns its exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = start_main_window(app, path)
    code = app.exec()
    del window
    return code
