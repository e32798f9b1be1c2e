"""Sessions keep versions non-destructively and survive a save and reopen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.engine.documents import (
    UNDO_STEPS,
    WRITE_BLOCK_FRAMES,
    Session,
    Version,
    VersionKind,
    default_name,
    load_session,
    save_session,
    save_steps,
)
from app.engine.errors import AudioFileError, ExportError, JobCancelled
from app.engine.jobs import drive
from tests.conftest import mode_of


def _version(talker: int = 0, kind: VersionKind = VersionKind.SEPARATED, seed: int = 0) -> Version:
    audio = np.random.default_rng(seed).standard_normal(1600).astype(np.float32) * 0.1
    return Version(default_name(kind, talker), talker, kind, audio, 16_000, "tiny", {"chunk": {"seconds": 1.0}})


def test_version_audio_is_read_only_and_copied():
    audio = np.zeros(10, np.float32)
    version = Version("v", 0, VersionKind.SEPARATED, audio, 16_000, "m", {})
    audio[0] = 1.0
    assert version.audio[0] == 0.0
    with pytest.raises(ValueError):
        version.audio[0] = 2.0


def test_default_names_say_what_made_the_version():
    assert default_name(VersionKind.SEPARATED, 0) == "Separated · talker 1"
    assert default_name(VersionKind.CORRECTED, 1) == "MeCo · talker 2"
    assert default_name(VersionKind.ENHANCED, 0, "S3") == "Student S3 · talker 1"


def test_rename_hide_remove_change_only_the_session():
    session = Session()
    a, b = _version(0), _version(1)
    session.add([a, b])
    session.rename(a.id, "Alice")
    session.set_hidden(b.id, True)
    assert [v.name for v in session.versions] == ["Alice", "Separated · talker 2"]
    assert session.versions_of(1) == [] and session.versions_of(1, include_hidden=True)[0].id == b.id
    session.remove(a.id)
    assert [v.id for v in session.versions] == [b.id]
    assert a.name == "Separated · talker 1"          # versions themselves are immutable


def test_undo_brings_a_removed_version_back_in_its_place_and_redo_removes_it_again():
    session = Session()
    a, b, c = _version(0), _version(1), _version(0, VersionKind.CORRECTED)
    session.add([a, b, c])
    session.remove(b.id)
    assert session.undo_text == "remove “Separated · talker 2”"
    assert session.undo() == "remove “Separated · talker 2”"
    assert [v.id for v in session.versions] == [a.id, b.id, c.id]
    assert session.versions[1].audio is b.audio                     # no copy of the audio
    assert session.redo() == "remove “Separated · talker 2”"
    assert [v.id for v in session.versions] == [a.id, c.id]


def test_undo_steps_back_through_renames_hides_and_runs():
    session = Session()
    a = _version(0)
    session.add([a])
    session.rename(a.id, "Alice")
    session.set_hidden(a.id, True)
    assert session.undo() == "hide “Alice”" and not session.versions[0].hidden
    assert session.undo() == "rename “Separated · talker 1”" and session.versions[0].name == "Separated · talker 1"
    assert session.undo() == "add 1 version" and session.versions == []
    assert session.undo() is None and session.undo_text is None


def test_a_new_edit_after_undo_drops_the_redo_steps():
    session = Session()
    a = _version(0)
    session.add([a])
    session.rename(a.id, "Alice")
    session.undo()
    session.rename(a.id, "Bob")
    assert session.redo_text is None and session.redo() is None
    assert session.versions[0].name == "Bob"


def test_the_history_lists_what_can_be_undone_oldest_first_and_what_can_be_redone_next_first():
    session = Session()
    a = _version(0)
    session.add([a])
    for name in ("Alice", "Bob", "Carol"):
        session.rename(a.id, name)
    session.undo()
    session.undo()
    assert session.history == (["add 1 version", "rename “Separated · talker 1”"],
                               ["rename “Alice”", "rename “Bob”"])


def test_undo_keeps_a_bounded_number_of_steps():
    session = Session()
    a = _version(0)
    session.add([a])
    for k in range(UNDO_STEPS + 5):
        session.rename(a.id, f"name {k}")
    steps = 0
    while session.undo() is not None:
        steps += 1
    assert steps == UNDO_STEPS


def test_a_loaded_session_starts_with_nothing_to_undo(tmp_path):
    session = Session()
    session.add([_version(0)])
    assert load_session(save_session(session, tmp_path / "s")).undo_text is None


def test_session_round_trips_versions_references_and_settings(tmp_path):
    session = Session(tmp_path / "mix.wav")
    session.add([_version(0), _version(1, VersionKind.CORRECTED, seed=1)])
    session.references = {0: tmp_path / "t1.flac"}
    session.settings = {"chunk_seconds": 2.0}
    path = save_session(session, tmp_path / "meeting")
    assert path.name == "meeting.mecosession"
    loaded = load_session(path)
    assert loaded.recording_path == (tmp_path / "mix.wav").resolve()
    assert loaded.references == {0: (tmp_path / "t1.flac").resolve()} and loaded.settings == {"chunk_seconds": 2.0}
    for saved, back in zip(session.versions, loaded.versions):
        assert back.metadata() == saved.metadata()
        np.testing.assert_array_equal(back.audio, saved.audio)


def test_session_notes_are_an_edit_to_save_and_come_back_with_the_session(tmp_path):
    session = Session(tmp_path / "mix.wav")
    session.set_notes("Recorded in room 4.\nListen at 12 s.")
    assert session.modified and session.undo_text is None           # saved, but nothing to undo
    before = session.revision
    session.set_notes("Recorded in room 4.\nListen at 12 s.")
    assert session.revision == before                                # the same text is no edit
    loaded = load_session(save_session(session, tmp_path / "meeting"))
    assert loaded.notes == "Recorded in room 4.\nListen at 12 s."


def test_a_saved_session_gets_the_permissions_of_the_umask_not_those_of_a_private_temporary_folder(tmp_path, umask):
    session = Session(tmp_path / "mix.wav")
    session.add([_version()])
    path = save_session(session, tmp_path / "meeting")
    assert mode_of(path) == 0o777 & ~umask
    assert {mode_of(file) for file in path.iterdir()} == {0o666 & ~umask}


def test_save_never_overwrites_without_flag_and_replaces_with_it(tmp_path):
    session = Session(tmp_path / "mix.wav")
    session.add([_version()])
    path = save_session(session, tmp_path / "s.mecosession")
    with pytest.raises(ExportError, match="already exists"):
        save_session(session, path)
    session.add([_version(1)])
    save_session(session, path, overwrite=True)
    assert len(load_session(path).versions) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.mecosession"]


def test_a_folder_without_session_json_is_refused(tmp_path):
    with pytest.raises(AudioFileError, match="not a MeCo Studio session"):
        load_session(tmp_path)


def test_every_edit_undo_and_redo_leaves_the_session_modified_until_saved(tmp_path):
    session = Session(tmp_path / "mix.wav")
    assert not session.modified
    session.add([_version()])
    assert session.modified
    save_session(session, tmp_path / "s")
    assert not session.modified
    for edit in (lambda: session.rename(session.versions[0].id, "Alice"), session.undo, session.redo,
                 lambda: session.set_reference(0, tmp_path / "clean.wav")):
        edit()
        assert session.modified
        save_session(session, tmp_path / "s", overwrite=True)
        assert not session.modified


def test_an_edit_made_while_a_save_writes_stays_unsaved(tmp_path):
    session = Session(tmp_path / "mix.wav")
    session.add([_version()])
    snapshot = session.snapshot()
    session.add([_version(1)])                      # the user goes on while the worker writes
    path = drive(save_steps(snapshot, tmp_path / "s"))
    session.mark_saved(snapshot.revision, path)
    assert session.modified and session.path == path
    assert len(load_session(path).versions) == 1


def test_a_second_save_links_the_versions_it_already_wrote(tmp_path):
    session = Session(tmp_path / "mix.wav")
    first = _version()
    session.add([first])
    path = save_session(session, tmp_path / "s")
    inode = (path / f"{first.id}.wav").stat().st_ino
    session.add([_version(1, seed=1)])
    save_session(session, path, overwrite=True)
    assert (path / f"{first.id}.wav").stat().st_ino == inode
    loaded = load_session(path)
    for saved, back in zip(session.versions, loaded.versions):
        np.testing.assert_array_equal(back.audio, saved.audio)


def test_a_cancelled_save_leaves_the_previous_session_and_no_partial_folder(tmp_path):
    session = Session(tmp_path / "mix.wav")
    session.add([_version()])
    path = save_session(session, tmp_path / "s")
    long = Version("long", 0, VersionKind.SEPARATED, np.zeros(3 * WRITE_BLOCK_FRAMES, np.float32), 16_000, "m", {})
    session.add([long])
    with pytest.raises(JobCancelled):
        drive(save_steps(session.snapshot(), path, overwrite=True), should_stop=lambda: True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.mecosession"]
    assert len(load_session(path).versions) == 1


def test_saving_reports_progress_over_the_audio_it_writes(tmp_path):
    session = Session(tmp_path / "mix.wav")
    long = Version("long", 0, VersionKind.SEPARATED, np.zeros(2 * WRITE_BLOCK_FRAMES + 5, np.float32), 16_000, "m", {})
    session.add([long])
    seen = []
    drive(save_steps(session.snapshot(), tmp_path / "s"), seen.append)
    assert [p.done for p in seen] == [WRITE_BLOCK_FRAMES, 2 * WRITE_BLOCK_FRAMES, 2 * WRITE_BLOCK_FRAMES + 5]
    assert all(p.total == 2 * WRITE_BLOCK_FRAMES + 5 and p.stage == "save" for p in seen)


def test_a_session_moved_with_its_recording_and_references_still_finds_them(tmp_path):
    import shutil

    project = tmp_path / "project"
    project.mkdir()
    (project / "mix.wav").write_bytes(b"RIFF")              # only located, never read here
    (project / "clean1.flac").write_bytes(b"fLaC")
    session = Session(project / "mix.wav")
    session.add([_version()])
    session.set_reference(0, project / "clean1.flac")
    save_session(session, project / "sessions" / "meeting")
    moved = shutil.move(project, tmp_path / "elsewhere")
    loaded = load_session(Path(moved) / "sessions" / "meeting.mecosession")
    assert loaded.recording_path == (tmp_path / "elsewhere" / "mix.wav").resolve()
    assert loaded.references == {0: (tmp_path / "elsewhere" / "clean1.flac").resolve()}


def test_a_session_whose_recording_stayed_put_keeps_its_absolute_path(tmp_path):
    (tmp_path / "mix.wav").write_bytes(b"RIFF")
    session = Session(tmp_path / "mix.wav")
    path = save_session(session, tmp_path / "elsewhere" / "s")
    moved = tmp_path / "moved-session.mecosession"
    path.rename(moved)
    assert load_session(moved).recording_path == (tmp_path / "mix.wav").resolve()


def test_a_folder_that_is_not_a_session_is_never_replaced(tmp_path):
    precious = tmp_path / "thesis.mecosession"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("keep me")
    session = Session(tmp_path / "mix.wav")
    with pytest.raises(ExportError, match="not a MeCo Studio session, so it is not replaced"):
        save_session(session, precious, overwrite=True)
    assert (precious / "chapter1.tex").read_text() == "keep me"


def test_a_difference_pads_the_shorter_version_and_names_both():
    from app.engine.workflow import difference_version

    long, short = _version(0, seed=1), Version("short", 0, VersionKind.SEPARATED, np.ones(100, np.float32), 16_000,
                                               "m", {})
    difference = difference_version(long, short)
    assert difference.name == f"{long.name} − short" and difference.kind is VersionKind.DIFFERENCE
    np.testing.assert_allclose(difference.audio[:100], long.audio[:100] - 1.0)
    np.testing.assert_array_equal(difference.audio[100:], long.audio[100:])


def test_a_difference_across_rates_is_refused_by_name():
    from app.engine.errors import ChannelLayoutError
    from app.engine.workflow import difference_version

    other = Version("at 8 kHz", 0, VersionKind.SEPARATED, np.zeros(800, np.float32), 8_000, "m", {})
    with pytest.raises(ChannelLayoutError, match="at 8 kHz.*a difference needs versions at one rate"):
        difference_version(_version(), other)
