"""Time a cold start of the window, for `meco-studio bench window`.

Run as `python -m app.gui.launch_timing START` in a fresh interpreter (START: the launcher's
`time.monotonic()` just before it started this process, so interpreter start-up counts too);
prints one JSON object with the seconds from START to each stage a user sees.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main(start: float) -> dict[str, float | bool]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.gui.app import start_main_window

    imported = time.monotonic() - start
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = start_main_window(app, None)
    shown = time.monotonic() - start
    stages: dict[str, float | bool] = {"imports_s": imported, "window_shown_s": shown}

    def poll() -> None:
        if window.view.up_to_date and "demo_drawn_s" not in stages:
            stages["demo_drawn_s"] = time.monotonic() - start
            app.quit()

    timer = QTimer(interval=5, timeout=poll)
    timer.start()
    QTimer.singleShot(60_000, app.quit)
    app.exec()
    stages["torch_loaded"] = "torch" in sys.modules
    stages["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    window.close()
    return stages


if __name__ == "__main__":
    print(json.dumps(main(float(sys.argv[1]))))
