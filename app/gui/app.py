"""Start the desktop app: QApplication, dark theme, main window, first recording."""

from __future__ import annotations

import gc
import logging
import sys
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.engine import torch_runtime
from app.engine.demo import first_demo_path
from app.engine.recovery import recoverable_sessions, recovery_dir
from app.gui.main_window import MainWindow
from app.gui.settings import APPLICATION, ORGANISATION, StoredSettings
from app.gui.theme import apply_preferences
from app.engine.pitch import pitch_in_helper_process
from models.metrics.speech import metrics_in_helper_process

log = logging.getLogger(__name__)

ICON_PATH = Path(__file__).resolve().parents[2] / "resources" / "icons" / "meco-studio.svg"
# How long a worker thread may hold the GIL while the GUI thread waits for it. Every paint calls
# back into Python many times per frame, and each call can wait a whole interval: at Python's
# default 5 ms, a worker's Python-level work stretched a frame to ~50 ms (the shipped inspector,
# tests/gui/test_workflow.py); the models' heavy lifting runs in torch and numpy without the GIL.
GIL_SWITCH_SECONDS = 0.001
TORCH_WARM_UP_DELAY_MS = 300     # after the first recording is shown: its spectrogram is drawn first


def configure_application(app: QApplication) -> None:
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    metrics_in_helper_process()      # PESQ's C code would hold the GIL, and the window, for its whole run
    pitch_in_helper_process()        # and so would pYIN's numba-compiled Viterbi decoding
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setStyle("Fusion")
    apply_preferences(StoredSettings())
    pg.setConfigOptions(imageAxisOrder="col-major", antialias=False)
    if ICON_PATH.is_file():
        app.setWindowIcon(QIcon(str(ICON_PATH)))


def start_main_window(app: QApplication, path: str | None) -> MainWindow:
    """Show the main window with `path`, else the first demo recording, else empty; then offer
    back the work a window that crashed left in the recovery folder."""
    configure_application(app)
    window = MainWindow()
    window.show()
    start = Path(path) if path else first_demo_path()
    if start is not None:
        window.open_path(start)
    log.info("GUI started with %s", start)
    window.sessions.offer_recovery(recoverable_sessions(recovery_dir()))
    QTimer.singleShot(TORCH_WARM_UP_DELAY_MS, torch_runtime.warm_up)   # before a model run needs it
    return window


def run_gui(path: str | None) -> int:
    """The desktop app's event loop; returns its exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = start_main_window(app, path)
    gc.freeze()       # startup objects (modules, torch, Qt wrappers) never become garbage: full collections skip them
    code = app.exec()
    del window
    return code
