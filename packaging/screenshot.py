"""The README's picture of the window: the demo meeting separated by the shipped separator and
corrected by MeCo, the pitch track shown, the spectrograms zoomed onto the voices (top 2 kHz).

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/screenshot.py docs/screenshot.jpg

Settings, models and caches are those of a first start (scratch folders), so the picture does
not depend on the machine's own.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

SIZE = (1500, 950)
QUALITY = 85                 # JPEG: the spectrograms' grain makes a PNG several times larger


def main(out: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = tempfile.mkdtemp(prefix="meco-shot-")        # a first start's settings, no user models or autosaves
    for folder in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        os.environ[folder] = scratch
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from PySide6.QtWidgets import QApplication

    from app.engine.demo import DEMO_DIR
    from app.gui.app import configure_application
    from app.gui.main_window import MainWindow

    app = QApplication([])
    configure_application(app)
    window = MainWindow()
    window.resize(*SIZE)
    window.show()

    def settle(done, seconds: float = 300.0) -> None:
        stop = time.monotonic() + seconds
        while not done():
            app.processEvents()
            time.sleep(0.02)
            if time.monotonic() > stop:
                raise TimeoutError("the window did not settle")

    window.open_path(DEMO_DIR / "meeting-respeaker4" / "mixture.flac")
    settle(lambda: window.view.up_to_date)
    for action in (window.separate_action, window.correct_action):
        action.trigger()
        settle(lambda: not window.jobs.busy)
    window.set_top_frequency(2000.0)
    window.pitch_action.setChecked(True)
    window.view.set_visible_range(2.0, 8.0)
    settle(lambda: window.pitch.idle and window.view.up_to_date and window.tracks.up_to_date
           and window.tracks.details_up_to_date)
    for _ in range(25):
        app.processEvents()
        time.sleep(0.02)
    saved = window.grab().save(str(out), quality=QUALITY)
    window.sessions.discard_changes()
    window.jobs.shutdown()
    window.close()
    print(f"wrote {out}" if saved else f"could not write {out}", file=sys.stderr)
    return 0 if saved else 1


if __name__ == "__main__":          # the metrics' and pitch's helper processes import this module afresh
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshot.jpg")))
