"""File ▸ Combine recorders into one array…: the dialog (`dialogs.combine_dialog`), then where the
combined recording goes, then the job (`app.engine.combine`); the combined recording opens in the
window when it is written, and the status bar says in brief where each recorder was put (the file's
comment tag says it in full)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from app.engine.combine import CombineSettings, Combined, combine_files_job
from app.engine.take_group import take_files
from app.gui.dialogs.combine_dialog import CombineDialog

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow
    from app.gui.workers import JobEntry


class CombineController:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def open_dialog(self, inputs: list[Path] | None = None, suggested: Path | None = None) -> CombineDialog:
        """`inputs`: the files listed to start with (else the open recording when it is one file of a
        take from several devices, which brings the others); `suggested`: the name first offered for
        the combined recording (else one after the first input)."""
        recording = self.window.recording
        dialog = CombineDialog(recording.path.parent if recording is not None else Path.home(),
                               self.window.stored.combine_settings(), self.window)
        if inputs is None and recording is not None and len(take_files(recording.path)) > 1:
            inputs = [recording.path]
        if inputs:
            dialog.files.add_inputs(inputs)
        dialog.accepted.connect(lambda: self.combine(dialog.files.paths(), dialog.settings(), suggested=suggested))
        dialog.open()
        return dialog

    def combine(self, paths: list[Path], settings: CombineSettings, target: Path | None = None,
                suggested: Path | None = None) -> JobEntry | None:
        """Queue the combination into `target` (else asked for, offering `suggested` or a name beside
        the first recording); the choices are offered again next time."""
        self.window.stored.set_combine_settings(settings)
        if target is None:
            folder = paths[0].parent if os.access(paths[0].parent, os.W_OK) else Path.home()
            offered = suggested or folder / f"{paths[0].stem}-array.wav"
            chosen, _ = QFileDialog.getSaveFileName(self.window, "Save the combined recording as", str(offered),
                                                    "WAV files (*.wav)")
            if not chosen:
                return None
            target = Path(chosen)
        return self.window.jobs.submit(f"Combine {len(paths)} recorders into {target.name}",
                                       lambda: combine_files_job(paths, target, settings), self._on_combined)

    def _on_combined(self, result: Combined) -> None:
        said = "; ".join(p.brief() for p in result.placements[1:])
        self.window.statusBar().showMessage(f"{result.path.name}, on {result.placements[0].name}'s clock: {said} "
                                            "(the file's comment tag says more)", 30_000)
        QTimer.singleShot(0, lambda: self.window.open_path(result.path))
