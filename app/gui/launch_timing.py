"""Time a start of the window, for `meco-studio bench window`.

Run as `python -m app.gui.launch_timing START` in a fresh interpreter (START: the launcher's
`time.monotonic()` just before it started this process, so interpreter start-up counts too);
prints one JSON object with the seconds from START to each stage a user sees, and the longest
the event loop went without turning from the window's showing until torch, imported in the
background, is ready.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time

from app.engine.torch_runtime import WARM_UP_THREAD

POLL_MS = 5
SETTLE_SECONDS = 0.5       # watched after torch is ready


def _warming_up() -> bool:
    return any(thread.name == WARM_UP_THREAD for thread in threading.enumerate())


def main(start: float) -> dict[str, float | bool]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.gui.app import start_main_window

    imported = time.monotonic() - start
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = start_main_window(app, None)
    shown = time.monotonic() - start
    stages: dict[str, float | bool] = {"imports_s": imported, "window_shown_s": shown,
                                       "torch_loaded_before_shown": "torch" in sys.modules, "longest_stall_ms": 0.0}
    last = [time.monotonic()]

    def poll() -> None:
        now = time.monotonic()
        stages["longest_stall_ms"] = max(stages["longest_stall_ms"], (now - last[0]) * 1000 - POLL_MS)
        last[0] = now
        if window.view.up_to_date and "demo_drawn_s" not in stages:
            stages["demo_drawn_s"] = now - start
        if "torch" in sys.modules and not _warming_up() and "torch_ready_s" not in stages:
            stages["torch_ready_s"] = now - start
        if "demo_drawn_s" in stages and "torch_ready_s" in stages and \
                now - start > stages["torch_ready_s"] + SETTLE_SECONDS:
            app.quit()

    timer = QTimer(interval=POLL_MS, timeout=poll)
    timer.start()
    QTimer.singleShot(60_000, app.quit)
    app.exec()
    stages["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    window.close()
    return stages


if __name__ == "__main__":
    print(json.dumps(main(float(sys.argv[1]))))
