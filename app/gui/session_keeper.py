"""The window's session on disk: Save and Save as as jobs, the unsaved-changes question, autosave
and the offer to recover a crashed window's work.

Every session edit ends in `note_state`, which marks the title (`[*]`) and, at the first unsaved
edit, starts the autosave timer; the autosave itself runs in `Autosaver`'s thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.engine.documents import SESSION_SUFFIX, Session, contents_text, save_steps, session_folder
from app.engine.recovery import RecoverableSession, discard, recovery_dir
from app.gui.autosaver import Autosaver
from app.gui.dialogs.file_filters import SESSION_FILTER
from app.gui.workers import JobEntry

if TYPE_CHECKING:
    from app.gui.main_window import MainWindow

AUTOSAVE_DELAY_MS = 2000      # the first unsaved edit reaches the recovery folder this soon


class SessionKeeper(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.autosaver = Autosaver(recovery_dir())
        self.autosaver.failed.connect(
            lambda message: window.statusBar().showMessage(f"Autosave failed: {message}", 15_000))
        self.timer = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self.timer.timeout.connect(self._autosave)
        self.unsaved_box: QMessageBox | None = None       # the latest questions, for tests
        self.recovery_box: QMessageBox | None = None

    # --- saving -----------------------------------------------------------------------------------
    def save(self, then: Callable[[], object] | None = None) -> JobEntry | None:
        """Save where the session was last saved (asking where the first time); `then` runs once it is written."""
        if self.window.session.path is None:
            return self.save_as(then=then)
        return self._start(self.window.session.path, then)

    def save_as(self, path: str | Path | None = None, then: Callable[[], object] | None = None) -> JobEntry | None:
        recording = self.window.recording
        if recording is None:
            return None
        if path is None:
            start = str(self.window.session.path or recording.path.with_suffix(SESSION_SUFFIX))
            path, _ = QFileDialog.getSaveFileName(self.window, "Save the session", start, SESSION_FILTER)
            if not path:
                return None
        return self._start(session_folder(Path(path)), then)

    def _start(self, path: Path, then: Callable[[], object] | None) -> JobEntry:
        """A snapshot saved as a job: the window goes on while it is written, and edits made
        meanwhile stay marked unsaved."""
        session = self.window.session
        snapshot = session.snapshot()
        return self.window.jobs.submit(f"Save session {path.name}",
                                       lambda: save_steps(snapshot, path, overwrite=True, reuse=session.path),
                                       lambda saved: self._on_saved(session, snapshot.revision, saved, then))

    def _on_saved(self, session: Session, revision: int, path: Path, then: Callable[[], object] | None) -> None:
        session.mark_saved(revision, path)
        if session is not self.window.session:
            return
        self.note_state()
        self.window.remember_session(path)
        self.window.statusBar().showMessage(f"Saved {path.name}", 5000)
        if then is not None:
            QTimer.singleShot(0, then)        # after the save job has ended, so "jobs are running" holds no more

    # --- unsaved changes and autosave ---------------------------------------------------------------
    def note_state(self) -> None:
        """Title mark and autosave follow the session: a first unsaved edit is autosaved soon after."""
        session = self.window.session
        modified = session.modified and self.window.recording is not None
        self.window.setWindowModified(modified)
        if not modified:
            self.timer.stop()
            if self.autosaver.written_revision is not None:
                self.autosaver.clear()
        elif not self.timer.isActive() and self.autosaver.written_revision != session.revision:
            self.timer.start()

    def _autosave(self) -> None:
        if self.window.session.modified and self.window.recording is not None:
            self.autosaver.submit(self.window.session.snapshot())

    def restart(self) -> None:
        """Another session is about to be shown: the autosave slot holds one session at a time."""
        self.timer.stop()
        self.autosaver.clear()

    def close(self) -> None:
        """The window closes having saved or discarded its changes: nothing is left to recover."""
        self.timer.stop()
        self.autosaver.close()

    def confirm(self, doing: str, then: Callable[[], object], otherwise: Callable[[], object] | None = None) -> bool:
        """True when no unsaved change stands in the way. Otherwise ask Save / Discard / Cancel and
        return False: `then` runs after a save or a discard, `otherwise` on Cancel."""
        session, recording = self.window.session, self.window.recording
        if not session.modified or recording is None:
            return True
        holds = contents_text(len(session.versions), len(session.labels))
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"The session of {recording.path.name} has changes that are not saved; it holds "
                          f"{holds}. Save them before {doing}?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self.window)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.finished.connect(lambda answer: self._on_answer(answer, then, otherwise))
        self.unsaved_box = box
        box.open()
        return False

    def _on_answer(self, answer: int, then: Callable[[], object], otherwise: Callable[[], object] | None) -> None:
        if answer == QMessageBox.StandardButton.Save:
            if self.save(then=then) is not None:
                return
        elif answer == QMessageBox.StandardButton.Discard:
            self.discard_changes()
            then()
            return
        if otherwise is not None:
            otherwise()

    def discard_changes(self) -> None:
        """Drop the session's unsaved changes from the record: no question at close, nothing to recover."""
        self.window.session.discard_changes()
        self.note_state()

    # --- recovery -----------------------------------------------------------------------------------
    def offer_recovery(self, found: list[RecoverableSession]) -> QMessageBox | None:
        """After a crash: offer the newest autosave back (the others wait for the next start).
        Damaged autosaves are named and kept, their audio still there to copy out, until discarded."""
        if not found:
            return None
        readable = [f for f in found if not f.problem]
        damaged = [f for f in found if f.problem]
        lines = []
        if readable:
            lines.append(f"MeCo Studio did not close normally. Its autosave holds {readable[0].summary()}.")
            if len(readable) > 1:
                lines.append(f"{len(readable) - 1} older autosave(s) will be offered at the next start.")
        if damaged:
            lines.append(f"{len(damaged)} autosave(s) in {damaged[0].path.parent} cannot be opened; they are kept "
                         "so that their audio files can be copied out by hand:\n"
                         + "\n".join(f"• {d.summary()}" for d in damaged))
        box = QMessageBox(QMessageBox.Icon.Question if readable else QMessageBox.Icon.Warning,
                          "Recover unsaved work?" if readable else "Damaged autosave", "\n\n".join(lines),
                          QMessageBox.StandardButton.NoButton, self.window)
        actions = {}
        if readable:
            newest = readable[0]
            recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
            box.setDefaultButton(recover)
            actions[box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)] = lambda: discard(newest.path)
            actions[recover] = lambda: self.window.recover(newest)
        if damaged:
            def discard_damaged() -> None:
                for d in damaged:
                    discard(d.path)
            actions[box.addButton("Discard damaged", QMessageBox.ButtonRole.DestructiveRole)] = discard_damaged
        box.addButton("Later" if readable else "Keep", QMessageBox.ButtonRole.RejectRole)
        box.buttonClicked.connect(lambda button: actions.get(button, lambda: None)())
        self.recovery_box = box
        box.open()
        return box
