"""Unsaved work is never lost silently: the title marks it, autosave keeps it, closing or opening
another file asks first, and a crashed window's work is offered back at the next start."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from app.engine.documents import load_session
from app.engine.labels import Label
from app.engine.recovery import discard, recoverable_sessions, recovery_dir
from app.gui.workers import JobState
from tests.gui.conftest import open_and_draw
from tests.gui.test_workflow import save_screenshot, wait_done


def _label(window) -> None:
    window.view.set_selection((0.5, 1.0))
    window.labels.add()


def _autosaved(window) -> bool:
    return window.sessions.autosaver.idle and window.sessions.autosaver.written_revision == window.session.revision


def test_an_edit_marks_the_window_modified_until_it_is_saved(qtbot, window, make_recording, tmp_path):
    open_and_draw(qtbot, window, make_recording())
    assert not window.isWindowModified()
    _label(window)
    assert window.isWindowModified()
    wait_done(qtbot, window, window.sessions.save_as(tmp_path / "meeting"))
    assert not window.isWindowModified() and window.session.path == tmp_path / "meeting.mecosession"
    window.labels_panel.text_edited.emit(0, "hello")
    entry = window.sessions.save()                  # saved before: no question where
    assert entry is not None
    wait_done(qtbot, window, entry)
    assert load_session(tmp_path / "meeting.mecosession").labels[0].text == "hello"


def test_the_first_unsaved_edit_is_autosaved_and_a_save_empties_the_autosave(qtbot, window, make_recording, tmp_path):
    open_and_draw(qtbot, window, make_recording())
    _label(window)
    qtbot.waitUntil(lambda: _autosaved(window), timeout=10_000)
    slot = window.sessions.autosaver.slot_path
    assert len(load_session(slot).labels) == 1
    wait_done(qtbot, window, window.sessions.save_as(tmp_path / "meeting"))
    qtbot.waitUntil(lambda: window.sessions.autosaver.idle and not slot.exists(), timeout=10_000)


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_everything(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording())
    _label(window)
    assert not window.close()
    box = window.sessions.unsaved_box
    assert box.isVisible() and "not saved" in box.text()
    save_screenshot(box, "unsaved-changes.png")
    box.done(QMessageBox.StandardButton.Cancel)
    assert window.isVisible() and window.session.modified and len(window.session.labels) == 1


def test_discarding_at_close_closes_and_leaves_nothing_to_recover(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording())
    _label(window)
    qtbot.waitUntil(lambda: _autosaved(window), timeout=10_000)
    slot = window.sessions.autosaver.slot_path
    window.close()
    window.sessions.unsaved_box.done(QMessageBox.StandardButton.Discard)
    assert not window.isVisible()
    assert not slot.exists() and not slot.with_suffix(".lock").exists()


def test_saving_at_close_writes_the_session_then_closes(qtbot, window, make_recording, tmp_path):
    open_and_draw(qtbot, window, make_recording())
    wait_done(qtbot, window, window.sessions.save_as(tmp_path / "meeting"))
    _label(window)
    window.close()
    window.sessions.unsaved_box.done(QMessageBox.StandardButton.Save)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert len(load_session(tmp_path / "meeting.mecosession").labels) == 1


def test_a_failed_save_at_close_keeps_the_window_open(qtbot, window, make_recording, tmp_path):
    open_and_draw(qtbot, window, make_recording())
    wait_done(qtbot, window, window.sessions.save_as(tmp_path / "sub" / "meeting"))
    shutil.rmtree(tmp_path / "sub")
    (tmp_path / "sub").write_text("a file where the session's folder was")
    _label(window)
    window.close()
    window.sessions.unsaved_box.done(QMessageBox.StandardButton.Save)
    entry = window.jobs.entries[-1]
    qtbot.waitUntil(lambda: entry.state is JobState.FAILED, timeout=10_000)
    qtbot.wait(50)
    assert window.isVisible() and window.session.modified and "could not be saved" in entry.message


def test_opening_another_file_asks_first_and_cancel_stays(qtbot, window, make_recording):
    first, second = make_recording("first.wav"), make_recording("second.wav", channels=2)
    open_and_draw(qtbot, window, first)
    _label(window)
    assert not window.open_path(second)
    window.sessions.unsaved_box.done(QMessageBox.StandardButton.Cancel)
    assert window.recording.path == first and len(window.session.labels) == 1
    assert not window.open_path(second)
    window.sessions.unsaved_box.done(QMessageBox.StandardButton.Discard)
    assert window.recording.path == second and not window.session.modified and not window.session.labels


def _crash_with_unsaved_work(recording: Path) -> None:
    """A separate process autosaves a session with one label, then dies without cleaning up."""
    script = f"""
import os
from pathlib import Path
from app.engine.documents import Session
from app.engine.jobs import drive
from app.engine.labels import Label
from app.engine.recovery import RecoverySlot, recovery_dir
session = Session(Path({str(recording)!r}))
session.add_label(Label(0.2, 0.4, "before the crash"))
drive(RecoverySlot(recovery_dir()).save(session.snapshot()))
os._exit(9)
"""
    subprocess.run([sys.executable, "-c", script], check=False, timeout=120)


def test_a_crashed_windows_work_is_offered_back_and_recovered(qtbot, window, make_recording):
    recording = make_recording("crashed.wav")
    _crash_with_unsaved_work(recording)
    found = recoverable_sessions(recovery_dir())
    assert [f.recording for f in found] == [recording]
    box = window.sessions.offer_recovery(found)
    assert box.isVisible() and "crashed.wav: 0 versions and 1 label" in box.text()
    save_screenshot(box, "recover-unsaved-work.png")
    next(b for b in box.buttons() if b.text() == "Recover").click()
    qtbot.waitUntil(lambda: window.recording is not None and window.recording.path == recording, timeout=20_000)
    assert [label.text for label in window.session.labels] == ["before the crash"]
    assert window.isWindowModified() and window.session.path is None
    assert recoverable_sessions(recovery_dir()) == []


def test_a_damaged_autosave_is_named_beside_a_good_one_and_discarded_only_when_asked(qtbot, window,
                                                                                   make_recording):
    recording = make_recording("crashed.wav")
    _crash_with_unsaved_work(recording)
    _crash_with_unsaved_work(recording)
    damaged, good = sorted(recovery_dir().glob("*.mecosession"))
    (damaged / "session.json").write_text("{ not json")
    box = window.sessions.offer_recovery(recoverable_sessions(recovery_dir()))
    assert "crashed.wav: 0 versions and 1 label" in box.text()
    assert damaged.name in box.text() and "its session.json is damaged" in box.text()
    save_screenshot(box, "recover-damaged-autosave.png")
    next(b for b in box.buttons() if b.text() == "Discard damaged").click()
    assert not damaged.exists() and good.exists()
    assert [f.path for f in recoverable_sessions(recovery_dir())] == [good]
    discard(good)


def test_only_a_damaged_autosave_is_kept_when_the_user_says_keep(qtbot, window, make_recording):
    _crash_with_unsaved_work(make_recording("crashed.wav"))
    (damaged,) = recovery_dir().glob("*.mecosession")
    (damaged / "session.json").unlink()
    box = window.sessions.offer_recovery(recoverable_sessions(recovery_dir()))
    assert box.icon() == QMessageBox.Icon.Warning and "its session.json is missing" in box.text()
    assert sorted(b.text() for b in box.buttons()) == ["Discard damaged", "Keep"]
    next(b for b in box.buttons() if b.text() == "Keep").click()
    assert damaged.exists()
    discard(damaged)


def test_a_running_windows_autosave_is_not_offered_as_a_crash(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording())
    _label(window)
    qtbot.waitUntil(lambda: _autosaved(window), timeout=10_000)
    assert recoverable_sessions(recovery_dir()) == []


def test_an_autosave_that_cannot_be_written_says_why_and_holds_nothing(qtbot, tmp_path):
    from app.engine.documents import Session
    from app.gui.autosaver import Autosaver

    (tmp_path / "not-a-folder").write_text("x")
    autosaver = Autosaver(tmp_path / "not-a-folder" / "recovery")
    session = Session(tmp_path / "meeting.wav")
    session.add_label(Label(0.1, 0.2))
    with qtbot.waitSignal(autosaver.failed, timeout=10_000) as failed:
        autosaver.submit(session.snapshot())
    assert "Not a directory" in failed.args[0] and "not-a-folder" in failed.args[0]
    qtbot.waitUntil(lambda: autosaver.idle, timeout=10_000)
    assert autosaver.written_revision is None
    autosaver.close()


def test_an_autosave_whose_recording_is_gone_stays_offered(qtbot, window, make_recording):
    recording = make_recording("moved.wav")
    _crash_with_unsaved_work(recording)
    recording.unlink()
    [found] = recoverable_sessions(recovery_dir())
    messages = len(window.messages)
    wait_done(qtbot, window, window.recover(found))
    qtbot.waitUntil(lambda: len(window.messages) > messages, timeout=20_000)
    assert "moved.wav" in window.messages[-1].text()
    assert [f.path for f in recoverable_sessions(recovery_dir())] == [found.path]
    discard(found.path)


def test_a_saved_session_is_offered_in_open_recent_and_reopens_with_its_labels(qtbot, window, make_recording,
                                                                                tmp_path):
    open_and_draw(qtbot, window, make_recording("first.wav"))
    _label(window)
    wait_done(qtbot, window, window.sessions.save_as(tmp_path / "meeting"))
    session = str((tmp_path / "meeting.mecosession").resolve())
    assert window.recent_menu.actions()[0].toolTip() == session
    assert window.open_path(make_recording("second.wav", channels=2)) and not window.session.labels
    window.recent_menu.actions()[1].trigger()            # the session, below the recording opened since
    qtbot.waitUntil(lambda: window.recording.path.name == "first.wav", timeout=20_000)
    assert len(window.session.labels) == 1
    assert window.recent_menu.actions()[0].toolTip() == session


def test_a_session_is_read_in_a_job_and_not_while_other_jobs_run(qtbot, window, make_recording, tmp_path):
    open_and_draw(qtbot, window, make_recording("first.wav"))
    _label(window)
    wait_done(qtbot, window, window.sessions.save_as(tmp_path / "meeting"))
    busy = window.processing.run_analysis()                       # a job of its own, still queued or running
    assert window.open_session(tmp_path / "meeting.mecosession") is None
    assert "Wait for the running jobs" in window.messages[-1].text()
    wait_done(qtbot, window, busy)
    before = window.session
    entry = window.open_session(tmp_path / "meeting.mecosession")
    assert entry.title == "Open meeting.mecosession" and window.session is before     # the window goes on meanwhile
    wait_done(qtbot, window, entry)
    qtbot.waitUntil(lambda: window.session is not before, timeout=20_000)
    assert [label.text for label in window.session.labels] == [label.text for label in before.labels]


def test_session_notes_typed_in_the_dialog_mark_the_session_unsaved(qtbot, window, make_recording):
    open_and_draw(qtbot, window, make_recording())
    dialog = window.open_notes()
    dialog.editor.setPlainText("Channel 3 crackles.")
    dialog.accept()
    assert window.session.notes == "Channel 3 crackles." and window.session.modified
    assert "*" in window.windowTitle()
