"""The window's labels: add (Ctrl+B), rename, remove, choose, step through (Alt+arrows), and
Audacity label files in and out. Every change is a session edit, so Undo, the title's unsaved
mark and the autosave follow it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from app.engine.diarization import describe, diarization_score
from app.engine.errors import AppError, ConfigError
from app.engine.files import Recording
from app.engine.export import write_text_atomically
from app.engine.label_stats import label_statistics, statistics_table
from app.engine.labels import RTTM_SUFFIX, SRT_SUFFIX, VTT_SUFFIX, Label, label_file_text, read_label_file
from app.engine.timecode import format_duration
from app.gui.dialogs.file_filters import LABEL_FILTER
from app.gui.dialogs.label_stats_dialog import LabelStatsDialog

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

LABEL_END_TOLERANCE_SECONDS = 0.001     # label files round times to microseconds
LABEL_STEP_SECONDS = 0.0005             # a label starting this close to the playhead is the current one


class LabelsController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._shown: list[Label] | None = None      # the list the panel and the bands show
        self.statistics: LabelStatsDialog | None = None
        self.reference: tuple[Recording | None, Path, list[Label]] | None = None   # the error rate is against it
        panel = window.labels_panel
        panel.text_edited.connect(self._on_text_edited)
        panel.times_edited.connect(self.move)
        window.view.label_moved.connect(self.move)          # an edge dragged on a waveform row
        panel.move_button.clicked.connect(self.move_to_selection)
        panel.label_chosen.connect(self.choose)
        panel.remove_requested.connect(self._on_remove_requested)
        panel.add_button.clicked.connect(self.add)
        panel.import_button.clicked.connect(self.ask_import)
        panel.export_button.clicked.connect(self.ask_export)

    def refresh(self) -> None:
        """The panel, the bands on the waveform rows and what can be done with the labels. The panel
        and the bands are rebuilt only when the labels changed (every edit makes a new list): a new
        version must not cost thousands of rows again."""
        window, labels = self.window, self.window.session.labels
        duration = window.duration() if window.recording is not None else 0.0
        if labels is not self._shown or duration != window.labels_panel.duration:
            window.labels_panel.set_labels(labels, duration)
            window.view.set_labels(labels)
            self._shown = labels
        window.labels_panel.add_button.setEnabled(window.recording is not None)
        window.labels_panel.import_button.setEnabled(window.recording is not None)
        for action in (window.export_labels_action, window.next_label_action, window.previous_label_action):
            action.setEnabled(bool(labels))
        window.evaluate_labels_action.setEnabled(bool(labels) and bool(window.session.versions))
        window.label_stats_action.setEnabled(window.recording is not None)
        if self.statistics is not None and self.statistics.isVisible():
            self._fill_statistics()

    def open_statistics(self) -> LabelStatsDialog:
        """Process ▸ Label statistics… (non-modal; it follows every label edit while it is open)."""
        if self.statistics is None:
            self.statistics = LabelStatsDialog(self.window)
            self.statistics.compare_button.clicked.connect(self.ask_reference)
        self._fill_statistics()
        self.statistics.show()
        self.statistics.raise_()
        return self.statistics

    def _fill_statistics(self) -> None:
        window = self.window
        duration = window.duration() if window.recording is not None else 0.0
        rows = label_statistics(window.session.labels, duration)
        name = window.recording.name if window.recording is not None else "no recording"
        self.statistics.set_table(statistics_table(rows) if rows else [],
                                  f"{name}: {len(window.session.labels)} label(s) over {format_duration(duration)}")
        if self.reference is None or self.reference[0] is not window.recording:     # another recording's: none
            self.statistics.set_diarization(None)
            return
        _, path, reference = self.reference
        try:
            end = max([duration, *(label.stop for label in reference)])
            text = describe(diarization_score(reference, window.session.labels, end))
        except ConfigError as err:
            text = str(err)
        self.statistics.set_diarization(f"Against {path.name}: {text}.")

    def compare_with(self, path: str | Path) -> bool:
        """Score the labels against the reference labelling in `path` from now on; a file that
        cannot be read is named in a message and changes nothing."""
        window = self.window
        try:
            reference = read_label_file(Path(path), window.recording.path.stem if window.recording else None)
        except AppError as err:
            window.show_error("Cannot read the reference labels", str(err))
            return False
        self.reference = (window.recording, Path(path), reference)
        self.open_statistics()
        return True

    def ask_reference(self) -> None:
        window = self.window
        folder = str(window.recording.path.parent) if window.recording else ""
        path, _ = QFileDialog.getOpenFileName(window, "Compare with a reference labelling", folder, LABEL_FILTER)
        if path:
            self.compare_with(path)

    def after_edit(self) -> None:
        self.refresh()
        self.window.update_edit_actions()

    def add(self) -> int | None:
        """Label the selection (the playhead without one) and start typing its text, as in Audacity."""
        window = self.window
        if window.recording is None:
            return None
        start, stop = window.view.selection or (window.view.playhead(),) * 2
        index = window.session.add_label(Label(start, stop))
        self.after_edit()
        self._show_panel()
        window.labels_panel.edit_text(index)
        return index

    def add_many(self, labels: list[Label], what: str) -> None:
        """Several labels as one undo step that `what` describes, shown in the panel."""
        self.window.session.add_labels(labels, what)
        self.after_edit()
        self._show_panel()

    def move(self, index: int, start: float, stop: float) -> int | None:
        """Label `index` to [start, stop) seconds (undoable); an end before the start is refused by name."""
        window = self.window
        if stop < start:
            window.show_error("Cannot move the label", f"Its end ({format_duration(stop)}) would come before its "
                              f"start ({format_duration(start)}).")
            self.refresh()                       # the panel shows the label as it still is
            return None
        moved = window.session.set_label_range(index, start, stop)
        self.after_edit()
        window.labels_panel.show_current(moved)
        return moved

    def move_to_selection(self) -> int | None:
        """The chosen label takes the selection's range: drag the right range, then click To selection."""
        index, selection = self.window.labels_panel.current_index(), self.window.view.selection
        if index is None or selection is None:
            self.window.statusBar().showMessage("Choose a label in the Labels panel and drag the range it should "
                                                "cover first.", 5000)
            return None
        return self.move(index, *selection)

    def choose(self, index: int) -> None:
        """Select the label's range (a point label clears the selection); the playhead goes to its start."""
        label = self.window.session.labels[index]
        self.window.view.set_selection((label.start, label.stop) if label.stop > label.start else None)
        self.window.playback.seek(label.start, reveal=True)

    def step(self, direction: int) -> int | None:
        """Select the first label starting after the playhead (`direction` 1) or the last one
        starting before it (-1), as Audacity's Alt+arrows do."""
        here, starts = self.window.view.playhead(), [label.start for label in self.window.session.labels]
        if direction > 0:
            index = next((k for k, start in enumerate(starts) if start > here + LABEL_STEP_SECONDS), None)
        else:
            index = next((k for k in reversed(range(len(starts))) if starts[k] < here - LABEL_STEP_SECONDS), None)
        if index is not None:
            self.choose(index)
            self.window.labels_panel.show_current(index)
        return index

    def import_file(self, path: str | Path) -> bool:
        """Add the labels of an Audacity label file or an RTTM file; nothing is imported from a
        malformed file or one whose labels run past the end of the recording (made for another)."""
        window = self.window
        path, duration = Path(path), window.duration()
        try:
            labels = read_label_file(path, window.recording.path.stem)
            late = [label for label in labels if label.stop > duration + LABEL_END_TOLERANCE_SECONDS]
            if late:
                raise ConfigError(f"{path.name}: {len(late)} of its {len(labels)} labels run past the end of "
                                  f"{window.recording.path.name} ({format_duration(duration)}), the first at "
                                  f"{format_duration(late[0].start)}; were they made for another recording? "
                                  "Nothing was imported.")
        except AppError as err:
            window.show_error("Could not import the labels", str(err))
            return False
        self.add_many(labels, f"import {len(labels)} label{'s' if len(labels) != 1 else ''} from {path.name}")
        return True

    def export_file(self, path: str | Path) -> bool:
        labels = self.window.session.labels
        try:
            write_text_atomically(Path(path), label_file_text(labels, Path(path), self.window.recording.path.stem,
                                                              self.window.duration()))
        except AppError as err:
            self.window.show_error("Could not export the labels", str(err))
            return False
        self.window.statusBar().showMessage(f"Exported {len(labels)} labels to {Path(path).name}", 5000)
        return True

    def ask_import(self) -> None:
        recording = self.window.recording
        path, _ = QFileDialog.getOpenFileName(self.window, "Import labels (Audacity label file, RTTM, TextGrid or "
                                              "subtitles)",
                                              str(recording.path.parent) if recording else "", LABEL_FILTER)
        if path:
            self.import_file(path)

    def ask_export(self) -> None:
        recording = self.window.recording
        suggested = recording.path.with_name(f"{recording.path.stem}_labels.txt") if recording else ""
        path, chosen = QFileDialog.getSaveFileName(self.window, "Export labels (Audacity label file, RTTM, "
                                                   "TextGrid or subtitles)", str(suggested), LABEL_FILTER)
        if path and not Path(path).suffix:
            path += next((suffix for kind, suffix in (("RTTM", RTTM_SUFFIX), ("Praat", ".TextGrid"),
                                                      ("WebVTT", VTT_SUFFIX), ("SubRip", SRT_SUFFIX))
                          if chosen.startswith(kind)), "")
        if path:
            self.export_file(path)

    def _on_text_edited(self, index: int, text: str) -> None:
        if text != self.window.session.labels[index].text:
            self.window.session.set_label_text(index, text)
            self.after_edit()

    def _on_remove_requested(self, indices: list[int]) -> None:
        self.window.session.remove_labels(indices)
        self.after_edit()

    def _show_panel(self) -> None:
        self.window.labels_dock.show()
        self.window.labels_dock.raise_()
