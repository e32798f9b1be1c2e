"""Autosaves outlive a crashed window and are offered back; a running window's slot is left alone."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from app.engine.documents import Session, Version, VersionKind
from app.engine.jobs import drive
from app.engine.labels import Label
from app.engine.recovery import RecoverySlot, discard, recoverable_sessions


def _session(tmp_path) -> Session:
    session = Session(tmp_path / "meeting.wav")
    audio = np.random.default_rng(0).standard_normal(1600).astype(np.float32) * 0.1
    session.add([Version("Separated · talker 1", 0, VersionKind.SEPARATED, audio, 16_000, "tiny", {})])
    session.add_label(Label(0.1, 0.5, "hello"))
    return session


def test_a_running_windows_autosave_is_not_offered(tmp_path):
    slot = RecoverySlot(tmp_path / "recovery")
    drive(slot.save(_session(tmp_path).snapshot()))
    assert recoverable_sessions(tmp_path / "recovery") == []
    slot.close()


def test_a_closed_slot_leaves_nothing_behind(tmp_path):
    slot = RecoverySlot(tmp_path / "recovery")
    drive(slot.save(_session(tmp_path).snapshot()))
    slot.close()
    assert list((tmp_path / "recovery").iterdir()) == []


def test_the_autosave_of_a_killed_process_is_recovered_with_its_versions_and_labels(tmp_path):
    root = tmp_path / "recovery"
    script = f"""
import os, numpy as np
from pathlib import Path
from app.engine.documents import Session, Version, VersionKind
from app.engine.jobs import drive
from app.engine.labels import Label
from app.engine.recovery import RecoverySlot
session = Session(Path({str(tmp_path / "meeting.wav")!r}))
audio = np.full(1600, 0.25, np.float32)
session.add([Version("Separated · talker 1", 0, VersionKind.SEPARATED, audio, 16000, "m", {{}})])
session.add_label(Label(0.1, 0.5, "hello"))
drive(RecoverySlot(Path({str(root)!r})).save(session.snapshot()))
os._exit(9)          # no cleanup, as a crash
"""
    subprocess.run([sys.executable, "-c", script], check=False, timeout=120)
    [found] = recoverable_sessions(root)
    assert (found.recording, found.versions, found.labels) == (tmp_path / "meeting.wav", 1, 1)
    assert "meeting.wav: 1 version and 1 label" in found.summary()
    session = found.load()
    assert session.modified and session.path is None
    np.testing.assert_array_equal(session.versions[0].audio, np.full(1600, 0.25, np.float32))
    assert session.labels == [Label(0.1, 0.5, "hello")]
    discard(found.path)
    assert recoverable_sessions(root) == [] and list(root.iterdir()) == []


def test_an_autosave_rewrites_only_the_versions_it_lacks(tmp_path):
    slot = RecoverySlot(tmp_path / "recovery")
    session = _session(tmp_path)
    drive(slot.save(session.snapshot()))
    first = session.versions[0]
    inode = (slot.path / f"{first.id}.wav").stat().st_ino
    session.add([Version("MeCo · talker 1", 0, VersionKind.CORRECTED, first.audio, 16_000, "m", {})])
    progress = []
    drive(slot.save(session.snapshot()), progress.append)
    assert (slot.path / f"{first.id}.wav").stat().st_ino == inode
    assert progress[-1].done == progress[-1].total == 2 * 1600
    slot.close()


def _crashed_slot(root):
    """A slot whose window died: its autosave stays, its lock is free."""
    slot = RecoverySlot(root)
    drive(slot.save(_session(root.parent).snapshot()))
    slot._lock.close()
    return slot.path


def test_a_damaged_autosave_is_kept_and_named_with_its_problem(tmp_path):
    folder = _crashed_slot(tmp_path / "recovery")
    (folder / "session.json").write_text("{ not json")
    [found] = recoverable_sessions(tmp_path / "recovery")
    assert found.problem == "its session.json is damaged"
    assert folder.name in found.summary() and "cannot be read" in found.summary()
    assert any(folder.glob("*.wav"))          # the audio is still there to copy out
    discard(found.path)
    assert not folder.exists()


def test_an_autosave_missing_its_session_file_says_so(tmp_path):
    folder = _crashed_slot(tmp_path / "recovery")
    (folder / "session.json").unlink()
    [found] = recoverable_sessions(tmp_path / "recovery")
    assert found.problem == "its session.json is missing" and folder.exists()
