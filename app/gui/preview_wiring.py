"""Wiring an effect dialog's Preview row (`dialogs.preview_row`) to a player of its own: Play works
out a few seconds of what the dialog's settings would make (in a worker) and plays them; Stop, or the
dialog closing, stops them. Shared by the edits (a version) and the recording's processes (a channel)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import shiboken6
from PySide6.QtWidgets import QDialog

from app.engine.jobs import Job
from app.gui.dialogs.preview_row import PreviewRow
from app.gui.workers import JobWorker, WorkerSet

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

Heard = Callable[[int, float], Job[tuple[np.ndarray, int]]]


def with_rate(job: Job[np.ndarray], rate: int) -> Job[tuple[np.ndarray, int]]:
    """`job`'s samples with the rate they play at."""
    return (yield from job), rate


def wire_preview(window: MainWindow, workers: WorkerSet, dialog: QDialog, row: PreviewRow, make: Heard) -> None:
    """`row`'s Play runs the job `make(target, playhead)` (called on the GUI thread, where it reads
    the dialog; the job runs off it), which gives the samples and their rate for the target the
    row names, and plays them; Stop, or the dialog closing, stops them. A preview still being worked
    out when the dialog closes is never played. Nothing else is changed."""
    playback = window.playback
    row.ready.connect(lambda found: playback.play_preview(
        *found, ended=lambda: shiboken6.isValid(row) and row.set_playing(False)))
    row.ready.connect(lambda _: row.set_playing(playback.previewing))
    dialog.finished.connect(playback.stop_preview)

    def clicked() -> None:
        if playback.previewing:
            playback.stop_preview()
            return
        worker = JobWorker(make(row.target(), window.view.playhead()))
        worker.finished.connect(row.ready)           # dropped if the dialog closes first
        worker.failed.connect(lambda message, _: window.show_error("Cannot preview", message))
        workers.start(worker)

    row.clicked.connect(clicked)
