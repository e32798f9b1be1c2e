"""What the window writes besides sessions: versions (the export dialog), the recording's own
audio (the selection or the whole), an image of the view, the pitch tracks, and the session's report. Audio goes
out as jobs; a file that exists is replaced only after the user says so.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.engine.errors import AppError
from app.engine.export import (
    existing_files,
    export_paths,
    export_recording_job,
    export_versions_job,
    recording_export_settings,
    write_bytes_atomically,
)
from app.engine.pitch import export_job as pitch_export_job
from app.engine.channel_lists import channel_list_text
from app.engine.report import report_job
from app.gui.dialogs.export_audio_dialog import ExportAudioDialog
from app.gui.dialogs.export_dialog import ExportDialog, ExportRequest
from app.gui.dialogs.file_filters import RECORDING_EXPORT_FILTER
from app.gui.workers import JobEntry

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow


class ExportController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.overwrite_box: QMessageBox | None = None       # the latest "Replace files?" question, for tests

    # --- versions ---------------------------------------------------------------------------------
    def open(self, only: str | None = None) -> ExportDialog | None:
        """The export dialog, with the visible versions ticked (or the version `only`)."""
        window = self.window
        if window.recording is None or not window.session.versions:
            return None
        dialog = ExportDialog(window.session.versions, window.recording.path.stem, window.recording.sample_rate,
                              window.recording.path.parent, window, window.view.selection, window.session.labels,
                              window.stored.export_choices(), window.stored.export_presets())
        dialog.preset_saved.connect(window.stored.save_export_preset)
        dialog.preset_deleted.connect(window.stored.delete_export_preset)
        if only is not None:
            dialog.tick_only(only)
        dialog.accepted.connect(lambda: self._on_accepted(dialog))
        dialog.open()
        return dialog

    def _on_accepted(self, dialog: ExportDialog) -> None:
        try:
            request = dialog.request()
        except AppError as err:
            self.window.show_error("Cannot export", str(err))
            return
        self.window.stored.set_export_choices(dialog.choices())
        self.start(request)

    def start(self, request: ExportRequest) -> JobEntry | QMessageBox | None:
        """Export as a job; if files exist, ask first (a Yes exports with overwriting)."""
        window = self.window
        if window.recording is None:
            return None
        paths = export_paths(request.versions, request.folder, request.template, window.recording.path.stem,
                             request.settings, request.labels, request.multichannel)
        taken = existing_files(paths)
        if taken and not request.settings.overwrite:
            box = QMessageBox(QMessageBox.Icon.Question, "Replace files?",
                              f"{', '.join(p.name for p in taken)} already exist(s) in {request.folder}. Replace?",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, window)
            box.setDefaultButton(QMessageBox.StandardButton.No)
            box.finished.connect(lambda answer: self.start(
                replace(request, settings=replace(request.settings, overwrite=True)))
                if answer == QMessageBox.StandardButton.Yes else None)
            self.overwrite_box = box
            box.open()
            return box
        name = window.recording.path.stem
        return window.jobs.submit(f"Export {len(paths)} file(s) to {request.folder.name or request.folder}",
                                  lambda: export_versions_job(request.versions, request.folder, request.template,
                                                              name, request.settings, request.sample_rate,
                                                              request.span, request.labels, request.multichannel),
                                  self._on_exported)

    def _on_exported(self, paths: list[Path]) -> None:
        self.window.statusBar().showMessage(f"Exported {len(paths)} file(s) to {paths[0].parent}" if paths else "",
                                            10_000)

    # --- the recording's own audio ------------------------------------------------------------------
    def recording_audio(self, path: str | Path | None = None,
                        channels: tuple[int, ...] | None = None) -> JobEntry | ExportAudioDialog | None:
        """The recording's channels (all, or those listed, 0-based), the selection or the whole,
        into a new file at its own rate (Audacity's Export Selected Audio): a clip to share or to
        test on. Without a `path`, a recording of several channels first asks which (the dialog is
        returned), then where."""
        window = self.window
        if window.recording is None:
            return None
        if path is None and channels is None and window.recording.channels > 1:
            dialog = ExportAudioDialog(window.recording, window.recorders, window.view.selection, window)
            dialog.accepted.connect(lambda: self._save_recording_audio(dialog.channels()))
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()
            return dialog
        return self._save_recording_audio(channels, path)

    def _save_recording_audio(self, channels: tuple[int, ...] | None, path: str | Path | None = None
                              ) -> JobEntry | None:
        window = self.window
        recording, span = window.recording, window.view.selection
        asked = path is None                      # the file dialog has asked before replacing a file
        if asked:
            which = f"_ch{channel_list_text(channels)}" if channels else ""
            suggested = recording.path.with_name(f"{recording.path.stem}_{'selection' if span else 'copy'}{which}.flac")
            path, _ = QFileDialog.getSaveFileName(window, "Export the recording's audio", str(suggested),
                                                  RECORDING_EXPORT_FILTER)
            if not path:
                return None
        try:
            settings = recording_export_settings(Path(path), recording.info.subtype, overwrite=asked)
        except AppError as err:
            window.show_error("Cannot export the audio", str(err))
            return None
        return window.jobs.submit(f"Export {'the selection of ' if span else ''}{recording.name}",
                                  lambda: export_recording_job(recording, Path(path), settings, span, channels),
                                  self._on_recording_exported)

    def _on_recording_exported(self, result: tuple[Path, str | None]) -> None:
        written, peak_note = result
        self.window.statusBar().showMessage(f"Exported {written.name}", 10_000)
        if peak_note:
            self.window.show_error("Samples beyond full scale were clipped",
                                   f"{peak_note}. A WAV copy keeps them as float.", QMessageBox.Icon.Warning)

    # --- an image of the view -----------------------------------------------------------------------
    def image(self, path: str | Path) -> bool:
        """The channels (and the version tracks, when there are any) as on screen, as a PNG: a
        figure for a paper or a report, at the screen's pixel density."""
        window = self.window
        widget = window.splitter if window.session.versions else window.splitter.widget(0)
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        widget.grab().save(buffer, "PNG")
        try:
            write_bytes_atomically(Path(path), bytes(data))
        except AppError as err:
            window.show_error("Could not export the image", str(err))
            return False
        window.statusBar().showMessage(f"Saved the view as {Path(path).name}", 5000)
        return True

    def _ask_path(self, title: str, ending: str, file_filter: str) -> str | None:
        """Where to write, suggested beside the recording as `<its stem><ending>`; the extension is
        added when the name is typed without it."""
        recording = self.window.recording
        suggested = recording.path.with_name(f"{recording.path.stem}{ending}") if recording else ""
        path, _ = QFileDialog.getSaveFileName(self.window, title, str(suggested), file_filter)
        extension = ending[ending.rindex("."):]
        return None if not path else path if path.lower().endswith(extension) else f"{path}{extension}"

    def ask_image(self) -> None:
        path = self._ask_path("Export an image of the view", ".png", "PNG images (*.png)")
        if path:
            self.image(path)

    # --- pitch tracks -------------------------------------------------------------------------------
    def pitch(self, path: str | Path) -> JobEntry | None:
        """Every channel's and shown version's F0 over the selection (or the whole recording) as
        one CSV, as View ▸ Pitch track draws them; pieces the view has tracked are not tracked again."""
        window = self.window
        if window.recording is None:
            return None
        lanes, settings = window.pitch.lanes(), window.pitch.settings
        known = [dict(window.pitch.pieces.get(lane.key, {})) for lane in lanes]
        start, stop = window.view.selection or (0.0, None)
        return window.jobs.submit(
            f"Export the pitch tracks of {window.recording.name}",
            lambda: pitch_export_job([(lane.source, lane.channel) for lane in lanes], [lane.column for lane in lanes],
                                     Path(path), settings, start, stop, known),
            lambda written: window.statusBar().showMessage(f"Wrote {written.name}", 10_000))

    def ask_pitch(self) -> None:
        path = self._ask_path("Export the pitch tracks", ".f0.csv", "CSV (*.csv)")
        if path:
            self.pitch(path)

    # --- the session's report -----------------------------------------------------------------------
    def report(self, path: str | Path) -> JobEntry | None:
        """The session's record in markdown (`meco-studio report` for a saved one), with the
        metrics the panel shows: a lab notebook's or a methods section's source."""
        window = self.window
        if window.recording is None:
            return None
        panel = window.metrics_panel
        snapshot, info, saved_at = window.session.snapshot(), window.recording.info, window.session.path
        return window.jobs.submit(f"Report on {window.recording.name}",
                                  lambda: report_job(snapshot, info, Path(path), saved_at, list(panel.rows),
                                                     panel.where),
                                  lambda written: window.statusBar().showMessage(f"Wrote {written.name}", 10_000))

    def ask_report(self) -> None:
        path = self._ask_path("Export the session's report", "-report.md", "Markdown (*.md)")
        if path:
            self.report(path)
